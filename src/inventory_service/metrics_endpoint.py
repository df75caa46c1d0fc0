"""The metrics endpoint (INVENTORY_METRICS_LISTEN): Prometheus text over HTTP, in a process of
its own under `serve`, adding up what every worker recorded (prometheus-client's multiprocess
mode) and what only the database knows (adjustments waiting for approval, whether it answers),
read in the background: bootstrap.py hands it the service call that reads them. Scrapes are
served concurrently, each with a read timeout, so one idle client cannot blind the others."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from inventory_service.services.adjustments.adjustment_views import PendingApprovals
from inventory_service.settings import join_listen, split_listen

log = logging.getLogger("inventory_service.metrics")
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# A scrape must send its request within this; an idle or half-open connection is then closed.
READ_TIMEOUT_SECONDS = 5.0


def use_multiprocess_dir() -> Path:
    """A fresh directory for the workers' metric files. Call before prometheus_client is
    imported: it picks its storage (memory or files) once, at import."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its multiprocess directory")
    path = Path(tempfile.mkdtemp(prefix="inventory-metrics-"))
    os.environ[MULTIPROCESS_ENV] = str(path)
    return path


class DatabaseFigures:
    """Figures only the database knows, read by a background thread every `interval` seconds:
    a scrape reads the last ones and never waits on the database (a slow or stuck database
    shows as inventory_database_up 0 once the last answer is older than `stale_after`)."""

    def __init__(
        self,
        pending_approvals: Callable[[], PendingApprovals],
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pending_approvals = pending_approvals
        self.interval = interval
        self.stale_after = 3 * interval
        self.clock = clock
        self._last: tuple[float, PendingApprovals | None] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._refresh, name="metrics-db", daemon=True)

    def start(self) -> DatabaseFigures:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def refresh(self) -> None:
        try:
            pending: PendingApprovals | None = self.pending_approvals()
        except Exception as error:  # an outage is a figure here, not a failed scrape
            log.warning(
                "metrics: the database did not answer", extra={"fields": {"error": str(error)}}
            )
            pending = None
        self._last = (self.clock(), pending)

    def _refresh(self) -> None:
        while not self._stop.is_set():
            self.refresh()
            self._stop.wait(self.interval)

    def latest(self) -> PendingApprovals | None:
        """The last figures read, if the database answered recently."""
        last = self._last
        if last is None or self.clock() - last[0] > self.stale_after:
            return None
        return last[1]


class DatabaseCollector:
    """Figures from the database (DatabaseFigures), the same for every worker and replica."""

    def __init__(self, figures: DatabaseFigures) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        pending = self.figures.latest()
        yield GaugeMetricFamily(
            "inventory_database_up",
            "1 when the database answered the metrics endpoint's last probe, else 0.",
            value=0 if pending is None else 1,
        )
        if pending is None:
            return
        yield GaugeMetricFamily(
            "inventory_pending_adjustments",
            "Stock adjustments waiting for a manager's approval.",
            value=pending.waiting,
        )
        oldest = pending.oldest_created_at
        age = 0.0 if oldest is None else max(0.0, time.time() - oldest.timestamp())
        yield GaugeMetricFamily(
            "inventory_oldest_pending_adjustment_seconds",
            "Age of the oldest adjustment waiting for approval (0 when none waits).",
            value=age,
        )


class _ReusePortServer(ThreadingMixIn, WSGIServer):
    """Serves each scrape in a thread of its own, so a slow or idle client holds only its own
    connection; binds with SO_REUSEPORT: the parent keeps the port reserved across restarts."""

    daemon_threads = True  # a connection still open at shutdown does not hold the process

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


class _ReusePortServer6(_ReusePortServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    timeout = READ_TIMEOUT_SECONDS  # a request not sent whole by then is dropped

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:  # the client was too slow (TimeoutError) or went away: its loss
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # scrapes are not news
        pass


def loopback_unless_named(listen: str) -> str:
    """listen with 127.0.0.1 as its host when it names none (':9464'): the endpoint answers
    anyone who reaches it, so every interface must be asked for (0.0.0.0:9464)."""
    host, port = split_listen(listen)
    return listen if host else join_listen("127.0.0.1", port)


def serve_metrics(
    listen: str, pending_approvals: Callable[[], PendingApprovals], refresh_seconds: float
) -> int:
    """Serves /metrics on listen (a concrete host:port) until SIGTERM; database figures are
    read every refresh_seconds in the background."""
    from prometheus_client import CollectorRegistry, make_wsgi_app
    from prometheus_client.multiprocess import MultiProcessCollector

    stop = threading.Event()
    # Only the event is set in the handler: raising SystemExit there could land inside a
    # request's error handling and be swallowed, leaving the process running.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    figures = DatabaseFigures(pending_approvals, refresh_seconds).start()
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    registry.register(DatabaseCollector(figures))
    host, port = split_listen(listen)
    server_class = _ReusePortServer6 if ":" in host else _ReusePortServer
    httpd = make_server(
        host, port, make_wsgi_app(registry), server_class=server_class, handler_class=_QuietHandler
    )
    serving = threading.Thread(target=httpd.serve_forever, name="metrics-http", daemon=True)
    serving.start()
    log.info("metrics serving", extra={"fields": {"listen": listen, "port": port}})
    try:
        while not stop.wait(1.0):
            pass
    finally:
        httpd.shutdown()
        httpd.server_close()
        figures.stop()
    return 0
