"""A scanner stream a test drives step by step: send entries, read acks, cut the connection."""

from __future__ import annotations

import queue
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2

from inventory.v1 import catalog_pb2
from inventory.v1 import inventory_count_pb2 as pb
from tests.catalog_data import MANAGER
from tests.support import Clients

ADD = pb.COUNT_MODE_ADD
SET = pb.COUNT_MODE_SET


class ScannerStream:
    """One StreamCountItems call; requests go through a queue so a test interleaves steps."""

    def __init__(
        self, api: Clients, metadata: Sequence[tuple[str, str]] | None, device_id: str = ""
    ) -> None:
        self._requests: queue.Queue[pb.StreamCountItemsRequest | None] = queue.Queue()
        self._device_id = device_id
        self._call: Any = api.counts.StreamCountItems(
            iter(self._requests.get, None), metadata=metadata
        )
        self._responses: Iterator[pb.StreamCountItemsResponse] = iter(self._call)

    def send(self, *entries: pb.CountEntry) -> None:
        self._requests.put(
            pb.StreamCountItemsRequest(device_id=self._device_id, entries=list(entries))
        )
        self._device_id = ""  # the device id travels in the first message only

    def acks(self, n: int) -> list[pb.CountEntryAck]:
        """The acks of the next responses, until there are at least n (a response carries the
        acks of one transaction, so there may be more)."""
        acks: list[pb.CountEntryAck] = []
        while len(acks) < n:
            acks.extend(next(self._responses).acks)
        return acks

    def finish(self) -> list[pb.CountEntryAck]:
        """Ends the request side; returns the acks still to come."""
        self._requests.put(None)
        return [ack for response in self._responses for ack in response.acks]

    def cancel(self) -> None:
        self._call.cancel()
        self._requests.put(None)


def roundtrip(
    api: Clients, metadata: Sequence[tuple[str, str]], *entries: pb.CountEntry, **kw: Any
) -> list[pb.CountEntryAck]:
    """One stream: every entry in one message, every ack back."""
    stream = ScannerStream(api, metadata, **kw)
    stream.send(*entries)
    return stream.finish()


def scan(
    count_id: str,
    *,
    sku: str = "",
    barcode: str = "",
    product_id: str = "",
    quantity: int = 1,
    mode: pb.CountMode.ValueType = ADD,
    lot: str = "",
    entry_id: str | None = None,
    location: str = "",
) -> pb.CountEntry:
    product = catalog_pb2.ProductSelector()
    if product_id:
        product.id = product_id
    elif sku:
        product.sku = sku
    else:
        product.barcode = barcode
    entry = pb.CountEntry(
        entry_id=uuid.uuid4().hex if entry_id is None else entry_id,
        inventory_count_id=count_id,
        product=product,
        quantity=quantity,
        mode=mode,
        location=location,
    )
    entry.scan_time.GetCurrentTime()
    if lot:
        entry.lot_number = lot
    return entry


def start_count(api: Clients, *, blind: bool = False, name: str = "Aisle 7") -> str:
    response = api.counts.StartInventoryCount(
        pb.StartInventoryCountRequest(name=name, type=pb.INVENTORY_COUNT_TYPE_CYCLE, blind=blind),
        metadata=MANAGER,
    )
    return response.inventory_count.id


def lines(api: Clients, count_id: str) -> dict[tuple[str, str], int]:
    """(product id, batch id) -> counted quantity, for every line of the count."""
    found: dict[tuple[str, str], int] = {}
    token = ""
    while True:
        page = api.counts.ListCountItems(
            pb.ListCountItemsRequest(inventory_count_id=count_id, page_size=500, page_token=token),
            metadata=MANAGER,
        )
        for item in page.items:
            found[(item.product_id, item.batch_id)] = item.counted_quantity
        token = page.next_page_token
        if not token:
            return found


def error_of(ack: pb.CountEntryAck) -> tuple[grpc.StatusCode, str]:
    """(code, ErrorInfo reason) of a rejected entry."""
    assert ack.WhichOneof("result") == "error", f"entry {ack.entry_id} was not rejected"
    status: status_pb2.Status = ack.error
    reason = ""
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason = info.reason
    code = next(c for c in grpc.StatusCode if c.value[0] == status.code)
    return code, reason


def violations_of(ack: pb.CountEntryAck) -> dict[str, str]:
    for detail in ack.error.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            return {v.field: v.description for v in bad.field_violations}
    raise AssertionError("no BadRequest detail")
