"""The metrics endpoint under a hostile or idle client (issue 16): scrapes are served while a
connection sits half-open, database figures come from a background read (not one query per
scrape), SIGTERM always stops it, and an address without a host binds loopback only."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deploy.processes import ServerProcess, clean_env
from inventory_service.metrics_endpoint import DatabaseFigures, loopback_unless_named
from inventory_service.services.adjustments.adjustment_views import PendingApprovals
from inventory_service.workers import reserve_port
from tests.helpers import TEST_SECRET

# The endpoint alone, in a process of its own, over a database stand-in that notes each read.
ENDPOINT = """
import os, sys
from datetime import UTC, datetime, timedelta
import time
listen, metrics_dir, reads, refresh, slow = sys.argv[1:6]
os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
from inventory_service.logs import configure_logging
from inventory_service.metrics_endpoint import serve_metrics
from inventory_service.services.adjustments.adjustment_views import PendingApprovals

def pending():
    with open(reads, "a") as out:
        out.write("read\\n")
    time.sleep(float(slow))  # a database that takes its time
    return PendingApprovals(2, datetime.now(UTC) - timedelta(minutes=5))

configure_logging()
sys.exit(serve_metrics(listen, pending, float(refresh)))
"""


class Endpoint:
    def __init__(self, tmp_path: Path, refresh_seconds: float, slow: float = 0.0) -> None:
        self.reservation, listen = reserve_port("127.0.0.1:0")
        self.port = int(listen.rsplit(":", 1)[1])
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.reads = tmp_path / "reads"
        self.reads.touch()
        (tmp_path / "metrics").mkdir(exist_ok=True)
        metrics_dir, timing = str(tmp_path / "metrics"), [str(refresh_seconds), str(slow)]
        self.process = subprocess.Popen(
            [sys.executable, "-c", ENDPOINT, listen, metrics_dir, str(self.reads), *timing],
            env=clean_env(),
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.scrape(timeout=1)
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.05)

    def scrape(self, timeout: float = 3.0) -> str:
        url = f"http://127.0.0.1:{self.port}/metrics"
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return str(response.read().decode())

    def half_open(self) -> socket.socket:
        """A connection that starts a request and never finishes it."""
        connection = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        connection.sendall(b"GET /metrics HTTP/1.1\r\nHost: scraper\r\n")
        return connection

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self.reservation.close()


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[Endpoint]:
    running = Endpoint(tmp_path, refresh_seconds=5.0)
    try:
        yield running
    finally:
        running.stop()


def test_a_half_open_request_does_not_hold_up_other_scrapes(endpoint: Endpoint) -> None:
    idle = endpoint.half_open()
    try:
        started = time.monotonic()
        assert "inventory_database_up 1.0" in endpoint.scrape(timeout=3)
        assert time.monotonic() - started < 2
    finally:
        idle.close()


def test_scrapes_read_the_database_figures_of_the_background_refresh(endpoint: Endpoint) -> None:
    for _ in range(10):
        text = endpoint.scrape()
    assert "inventory_pending_adjustments 2.0" in text
    assert endpoint.reads.read_text().count("read") == 1  # refreshed every 5 s, not per scrape


def test_sigterm_stops_the_endpoint_during_a_scrape_and_a_half_open_request(
    tmp_path: Path,
) -> None:
    """SIGTERM arriving while a scrape is answered (the database slow to answer) must stop
    the endpoint, not be caught as an error of that scrape."""
    running = Endpoint(tmp_path, refresh_seconds=0.1, slow=1.0)
    scraping = threading.Thread(target=lambda: _try(running.scrape), daemon=True)
    scraping.start()
    time.sleep(0.3)  # the scrape is being answered
    idle = running.half_open()
    try:
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(5) == 0
    finally:
        idle.close()
        running.stop()


def _try(work: Callable[[], object]) -> None:
    with contextlib.suppress(OSError):
        work()


def test_database_figures_go_stale_when_the_database_stops_answering() -> None:
    now = [100.0]
    answers: list[PendingApprovals | Exception] = [PendingApprovals(1, datetime.now(UTC))]

    def pending() -> PendingApprovals:
        answer = answers[-1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    figures = DatabaseFigures(pending, interval=2.0, clock=lambda: now[0])
    assert figures.latest() is None  # nothing read yet: the database is not known to be up
    figures.refresh()
    assert figures.latest() == answers[0]
    now[0] += 6.5  # the background read hangs: after three intervals the figures are stale
    assert figures.latest() is None
    answers.append(ConnectionError("database down"))
    figures.refresh()
    assert figures.latest() is None


def test_an_address_without_a_host_binds_loopback_only(tmp_path: Path) -> None:
    assert loopback_unless_named(":9464") == "127.0.0.1:9464"
    assert loopback_unless_named("0.0.0.0:9464") == "0.0.0.0:9464"
    assert loopback_unless_named("[::1]:9464") == "[::1]:9464"
    args = ["--listen", "127.0.0.1:0", "--workers", "1", "--metrics-listen", ":0"]
    args += ["--database-url", f"sqlite:///{tmp_path / 'inventory.db'}"]
    env = clean_env(INVENTORY_JWT_SECRET=TEST_SECRET)
    with ServerProcess("metrics-loopback", args, env, tmp_path) as server:
        record = server.wait_for(lambda r: r.get("message") == "metrics serving")
        assert record["listen"].startswith("127.0.0.1:")
