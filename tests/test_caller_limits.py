"""Fairness under abuse (issue 16): one caller (token `sub`) may hold only so many unary calls
at once, and one scanner stream may send only so many entries per second; past either the
caller gets RESOURCE_EXHAUSTED with a google.rpc.RetryInfo saying when to try again, and other
callers are served. (benchmarks/fairness.py prints what this does to another caller's p99.)"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import psycopg
import pytest
from google.rpc import error_details_pb2

from inventory.v1 import catalog_pb2
from inventory_service.domain.identity import Role
from inventory_service.domain.rate_limit import TokenBucket
from tests.helpers import (
    STAFF,
    Clients,
    ScannerStream,
    ServerThread,
    _detail,
    auth,
    clients,
    create_product,
    error_info,
    expect_error,
    lines,
    rich_status,
    scan,
    start_count,
    test_settings,
)


def test_a_token_bucket_lets_a_burst_through_then_the_rate() -> None:
    bucket = TokenBucket(rate=10, burst=20)
    assert bucket.take(15, now=0.0) == 0
    assert bucket.take(10, now=0.0) == pytest.approx(0.5)  # 5 left, 5 more in 0.5 s
    assert bucket.take(10, now=0.5) == 0
    # More than a burst at once goes through on a full bucket, and is paid for after.
    assert bucket.take(30, now=100.0) == 0
    assert bucket.take(1, now=100.0) == pytest.approx(1.1)


def _retry_delay(error: grpc.RpcError) -> float:
    info: error_details_pb2.RetryInfo = _detail(rich_status(error), error_details_pb2.RetryInfo)
    return info.retry_delay.ToNanoseconds() / 1e9


@pytest.fixture
def slow_stream_api(sqlite_template: Path, tmp_path: Path) -> Iterator[Clients]:
    path = tmp_path / "inventory.db"
    path.write_bytes(sqlite_template.read_bytes())
    settings = test_settings(f"sqlite:///{path}", max_stream_entries_per_second=10.0)
    server = ServerThread(settings).start()
    try:
        with clients(server.port) as api:
            yield api
    finally:
        server.stop()


def test_a_stream_sending_faster_than_its_rate_ends_resource_exhausted(
    slow_stream_api: Clients,
) -> None:
    api = slow_stream_api
    product = create_product(api, "FAIR-1", opening=100)
    count = start_count(api)
    stream = ScannerStream(api, STAFF)
    stream.send(*[scan(count.id, sku="FAIR-1") for _ in range(15)])  # within the burst of 20
    assert len(stream.acks(15)) == 15
    stream.send(*[scan(count.id, sku="FAIR-1") for _ in range(15)])  # 5 left: too fast
    with pytest.raises(grpc.RpcError) as raised:
        stream.finish()
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_info(raised.value).reason == "STREAM_RATE_EXCEEDED"
    assert 0 < _retry_delay(raised.value) <= 2.0
    assert lines(api, count.id) == {(product.id, ""): 15}  # the second message was not read


def _waiting_on_stock_levels(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE relation = 'stock_levels'::regclass "
            "AND NOT granted"
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_caller_over_its_calls_in_progress_is_refused_others_are_served(
    postgres_url: str,
) -> None:
    server = ServerThread(dataclasses.replace(test_settings(postgres_url), max_calls_per_caller=1))
    server.start()
    flood, other = auth(Role.STAFF, "flooding-service"), auth(Role.STAFF, "till-3")
    try:
        with clients(server.port) as api, psycopg.connect(postgres_url) as lock:
            product = create_product(api, "FAIR-2", opening=10)
            get = catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(id=product.id))
            # The flooding caller's first call waits on a stock level this test holds locked.
            lock.execute("SELECT * FROM stock_levels FOR UPDATE")
            move = catalog_pb2.RecordStockMovementsRequest(
                movements=[
                    catalog_pb2.StockMovement(
                        product_id=product.id, quantity_delta=1, source_reference="GRN-9"
                    )
                ]
            )
            first = threading.Thread(
                target=lambda: api.catalog.RecordStockMovements(move, metadata=flood, timeout=30)
            )
            first.start()
            deadline = time.monotonic() + 10
            while _waiting_on_stock_levels(postgres_url) == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            error = expect_error(
                grpc.StatusCode.RESOURCE_EXHAUSTED, api.catalog.GetProduct, get, metadata=flood
            )
            assert error_info(error).reason == "TOO_MANY_CALLS_FROM_CALLER"
            assert error_info(error).metadata["limit"] == "1"
            assert _retry_delay(error) > 0
            assert api.catalog.GetProduct(get, metadata=other).product.id == product.id
            lock.rollback()
            first.join(30)
            assert api.catalog.GetProduct(get, metadata=flood).product.stock_quantity == 11
    finally:
        server.stop()
