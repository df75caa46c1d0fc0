"""Shutdown: open scanner streams are told to reconnect instead of holding the server for the
whole grace period, and nothing acknowledged is lost."""

from __future__ import annotations

import threading
import time

import grpc
import pytest
from sqlalchemy import func, select

from inventory_service.db.engine import create_db_engine
from inventory_service.db.models import StoredCountEntry
from tests.helpers import (
    STAFF,
    Clients,
    ScannerStream,
    ServerThread,
    create_product,
    error_info,
    scan,
    start_count,
)


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
