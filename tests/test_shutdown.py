"""Shutdown: open scanner streams are told to reconnect instead of holding the server for the
whole grace period, and nothing acknowledged is lost; database work cut off at the end of grace
commits nothing and does not hold the process."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from sqlalchemy import func, select

from deploy.processes import ServerProcess, clean_env
from inventory_service.api.server import ANSWER_SECONDS, THREADS_SECONDS
from inventory_service.db.engine import create_db_engine
from inventory_service.db.models import StoredCountEntry
from tests.helpers import (
    STAFF,
    TEST_SECRET,
    Clients,
    ScannerStream,
    ServerThread,
    clients,
    create_product,
    error_info,
    scan,
    start_count,
)
from tests.test_database_faults import ENTRY_CALLS, _working_calls, entries_waiting_on_the_count


def test_open_streams_end_unavailable_on_shutdown_after_their_acks(
    api: Clients, server: ServerThread, database_url: str
) -> None:
    create_product(api, "DRAIN-1", opening=10)
    count_id = start_count(api).id
    idle = ScannerStream(api, STAFF, device_id="idle-scanner")
    busy = ScannerStream(api, STAFF, device_id="busy-scanner")
    busy.send(*[scan(count_id, sku="DRAIN-1", quantity=1) for _ in range(5)])
    acked = busy.acks(5)
    assert all(a.WhichOneof("result") == "item" for a in acked)

    grace = 20.0
    stopping = threading.Thread(target=server.stop, args=(grace,))
    started = time.monotonic()
    stopping.start()
    for stream in (busy, idle):
        with pytest.raises(grpc.RpcError) as raised:
            stream.acks(1)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
        assert error_info(raised.value).reason == "SERVER_DRAINING"
    stopping.join(grace + 10)
    # Ended by the drain, not by the grace period running out.
    assert time.monotonic() - started < grace / 2

    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            stored = connection.scalar(select(func.count()).select_from(StoredCountEntry))
    finally:
        engine.dispose()
    assert stored == 5


def test_sigterm_while_database_work_is_stuck_exits_in_time_and_commits_nothing_it_cut_off(
    postgres_url: str, tmp_path: Path
) -> None:
    """The calls still waiting on the database when grace runs out answer UNAVAILABLE, and
    nothing they did commits afterwards, even once the database would let it; the process
    exits within grace plus a bounded margin although their statements could wait for ever."""
    grace = 2.0
    env = clean_env(
        INVENTORY_JWT_SECRET=TEST_SECRET,
        INVENTORY_DATABASE_URL=postgres_url,
        INVENTORY_SHUTDOWN_GRACE_SECONDS=str(grace),
    )
    server = ServerProcess("stuck", ["--listen", "127.0.0.1:0"], env, tmp_path)
    outcomes: dict[str, tuple[str, str]] = {}
    try:
        with clients(server.port) as api:
            count_id, calls = _working_calls(api, "SLOW-1")
            stored_before = _stored(postgres_url, count_id)
            with entries_waiting_on_the_count(postgres_url, count_id, calls, outcomes) as threads:
                started = time.monotonic()
                server.signal(signal.SIGTERM)
                try:
                    server.process.wait(grace + 30)
                finally:
                    took = time.monotonic() - started
            for thread in threads:
                thread.join(30)
    finally:
        server.stop()
    log = "\n".join(json.dumps(record) for record in server.records)

    assert took < grace + ANSWER_SECONDS + THREADS_SECONDS + 2, f"exit took {took:.1f} s"
    assert server.process.returncode == 0, log[-3000:]
    # Answered with what happened: not done, because the server is going away.
    assert set(outcomes) == set(ENTRY_CALLS)
    assert {code for code, _ in outcomes.values()} == {"UNAVAILABLE"}, outcomes
    assert {reason for _, reason in outcomes.values()} <= {
        "SERVER_SHUTTING_DOWN",
        "DATABASE_WORK_CANCELLED",
    }, outcomes
    assert "CancelledError" not in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    time.sleep(1)  # anything still running somewhere would have committed by now
    assert _stored(postgres_url, count_id) == stored_before, "an UNAVAILABLE call committed"


def _stored(url: str, count_id: str) -> tuple[Any, ...]:
    """What entries and request ids have stored: the count's total, its entry rows, the keys."""
    with psycopg.connect(url) as db:
        row = db.execute(
            "SELECT (SELECT coalesce(sum(counted_quantity), 0) FROM count_items"
            "        WHERE inventory_count_id = %(id)s),"
            " (SELECT count(*) FROM count_entries WHERE inventory_count_id = %(id)s),"
            " (SELECT count(*) FROM idempotency_keys)",
            {"id": count_id},
        ).fetchone()
    assert row is not None
    return tuple(row)
