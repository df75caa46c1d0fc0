"""Request ids: each call has one (the caller's x-request-id, or a new one), it is on every log
line of the call and in the call's trailing metadata, and a scanner entry's row keeps the id of
the stream that stored it, so one scan can be followed from the scanner's log to the row."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import grpc
import pytest
from sqlalchemy import select

from inventory.v1 import catalog_pb2
from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.db.engine import create_db_engine
from inventory_service.db.models import StoredCountEntry
from tests.helpers import STAFF, Clients, ScannerStream, create_product, scan, start_count

GET = "/inventory.v1.CatalogService/GetProduct"


class LogLines:
    """The server's log as JSON lines (tests/conftest.py: server_log)."""

    def __init__(self, buffer: io.StringIO) -> None:
        self.buffer = buffer

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.buffer.getvalue().splitlines()]

    def of_request(self, request_id: str, until: str = "rpc") -> list[dict[str, Any]]:
        """The lines of one call, once its line `until` is there (the server logs a call's
        access line just after the client has its answer)."""
        deadline = time.monotonic() + 10
        while True:
            lines = [r for r in self.records() if r.get("request_id") == request_id]
            if any(r["message"] == until for r in lines) or time.monotonic() > deadline:
                return lines
            time.sleep(0.01)


@pytest.fixture
def log_lines(server_log: io.StringIO) -> LogLines:
    return LogLines(server_log)


def _get_product(api: Clients, product_id: str, *extra: tuple[str, str]) -> Any:
    request = catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(id=product_id))
    return api.catalog.GetProduct.with_call(request, metadata=[*STAFF, *extra])


def _trailing_id(call: Any) -> str:
    return dict(call.trailing_metadata())["x-request-id"]


def _stored(database_url: str, count_id: str) -> list[tuple[str, str]]:
    """(request id, device id) of each count_entries row of the count."""
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(StoredCountEntry.request_id, StoredCountEntry.device_id).where(
                    StoredCountEntry.inventory_count_id == count_id
                )
            ).all()
    finally:
        engine.dispose()
    return [(request_id, device_id) for request_id, device_id in rows]


def test_the_callers_request_id_is_logged_and_returned(api: Clients, log_lines: LogLines) -> None:
    product = create_product(api, "RID-1")
    _, call = _get_product(api, product.id, ("x-request-id", "till-7-0042"))
    assert _trailing_id(call) == "till-7-0042"
    (access,) = [r for r in log_lines.of_request("till-7-0042") if r["message"] == "rpc"]
    assert (access["method"], access["code"]) == (GET, "OK")


def test_a_call_without_one_gets_a_new_id_and_each_call_its_own(
    api: Clients, log_lines: LogLines
) -> None:
    product = create_product(api, "RID-2")
    _, first = _get_product(api, product.id)
    _, second = _get_product(api, product.id, ("x-request-id", "x" * 300))  # too long: replaced
    ids = {_trailing_id(first), _trailing_id(second)}
    assert len(ids) == 2
    for request_id in ids:
        assert len(request_id) == 32
        assert int(request_id, 16) >= 0
        assert [r["method"] for r in log_lines.of_request(request_id)] == [GET]


def test_a_failed_call_returns_its_request_id_beside_the_error_details(
    api: Clients, log_lines: LogLines
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        _get_product(api, "no-such-product", ("x-request-id", "lookup-1"))
    error: Any = raised.value
    trailing = dict(error.trailing_metadata())
    assert trailing["x-request-id"] == "lookup-1"
    assert "grpc-status-details-bin" in trailing
    (access,) = log_lines.of_request("lookup-1")
    assert access["code"] == "NOT_FOUND"


def test_a_scan_can_be_followed_from_the_stream_to_its_row_and_log_lines(
    api: Clients, database_url: str, log_lines: LogLines
) -> None:
    create_product(api, "RID-3", cost="50.00", opening=10)
    count_id = start_count(api).id
    stream = ScannerStream(
        api, [*STAFF, ("x-request-id", "scanner-7-shift-1")], device_id="scanner-7"
    )
    entry = scan(count_id, sku="RID-3", quantity=1, mode=pb.COUNT_MODE_SET)  # 9 short: $450
    stream.send(entry)
    assert stream.acks(1)[0].item.significant_discrepancy
    stream.finish()

    assert _stored(database_url, count_id) == [("scanner-7-shift-1", "scanner-7")]
    messages = [r["message"] for r in log_lines.of_request("scanner-7-shift-1")]
    assert "significant count discrepancy" in messages
    assert "rpc" in messages  # the stream's own line, when it ended


def test_an_add_count_item_that_can_be_retried_keeps_its_call_on_its_row(
    api: Clients, database_url: str, log_lines: LogLines
) -> None:
    """AddCountItem with a request_id (AIP-155) keeps a row, as a scanner entry does: it names
    the call's x-request-id, which is not the request_id (that one only makes a retry safe)."""
    product = create_product(api, "RID-4", cost="50.00", opening=10)
    count_id = start_count(api).id
    request = pb.AddCountItemRequest(
        inventory_count_id=count_id,
        product=catalog_pb2.ProductSelector(sku="RID-4"),
        counted_quantity=1,  # 9 short: $450
        request_id="till-7-add-1",
    )
    api.counts.AddCountItem(request, metadata=[*STAFF, ("x-request-id", "till-7-0043")])

    assert _stored(database_url, count_id) == [("till-7-0043", "")]
    (discrepancy,) = [
        r
        for r in log_lines.of_request("till-7-0043")
        if r["message"] == "significant count discrepancy"
    ]
    assert discrepancy["product_id"] == product.id
