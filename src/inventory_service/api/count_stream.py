"""StreamCountItems: scanner messages in, batches to the database, acks out.

A reader task turns request messages into entries and puts them in a bounded buffer; the handler
takes what has gathered (up to max_batch entries, waiting at most `linger` for more), hands it to
the committer, which records it in a transaction shared with other streams' entries on the
database threads (api/entry_committer.py, services/count_stream.py), and only once that
transaction committed yields the acks. When the database is slow the buffer fills, the reader
stops reading, and gRPC flow control slows the scanner: the server never holds more than
max_in_flight entries per stream.
An open stream with nothing to do holds no thread, only its buffer and two suspended tasks.

A client that goes away cancels the handler (asyncio cancellation); a batch already handed to
the database still commits, and the scanner, seeing no ack, sends it again and gets duplicates."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import grpc

from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.api.call_details import call_details
from inventory_service.api.caller import current_caller
from inventory_service.api.catalog_servicer import product_key
from inventory_service.api.convert import enum_from_proto
from inventory_service.api.entry_committer import EntryCommitter
from inventory_service.api.errors import to_status_proto
from inventory_service.domain.enums import CountMode
from inventory_service.domain.errors import DomainError, InvalidArgument, Unavailable
from inventory_service.domain.identity import Caller
from inventory_service.services.count_entries import CountEntryInput
from inventory_service.services.count_stream import (
    EntryOutcome,
    StreamEntry,
    check_device_id,
)

T = TypeVar("T")
Context = grpc.aio.ServicerContext[Any, Any]


@dataclass(frozen=True)
class StreamLimits:
    max_batch: int = 1000  # entries a stream hands over at once (bigger batches: less per entry)
    linger: float = 0.002  # seconds a batch waits for more entries before it is recorded
    max_in_flight: int = 2000  # entries read but not yet acknowledged, per stream


class EntryBuffer(Generic[T]):
    """A bounded FIFO between one producer and one consumer, counted in entries."""

    def __init__(self, capacity: int) -> None:
        self._items: deque[T] = deque()
        self._capacity = capacity
        self._closed = False
        self._error: BaseException | None = None
        self._changed = asyncio.Event()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def put_all(self, items: Sequence[T]) -> None:
        """Adds items in order, waiting for room as it goes."""
        start = 0
        while start < len(items):
            room = self._capacity - len(self._items)
            if room <= 0:
                await self._changed.wait()
                continue
            self._items.extend(items[start : start + room])
            start += room
            self._notify()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self, error: BaseException | None = None) -> None:
        self._closed = True
        self._error = error
        self._notify()

    async def take(self, max_items: int, linger: float) -> list[T]:
        """Up to max_items, waiting for the first and up to linger seconds for a fuller batch;
        [] once closed and empty. Raises the error the producer closed with."""
        while not self._items:
            if self._error is not None:
                raise self._error
            if self._closed:
                return []
            await self._changed.wait()
        if linger > 0 and len(self._items) < max_items and not self._closed:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(linger):
                    while len(self._items) < max_items and not self._closed:
                        await self._changed.wait()
        count = min(max_items, len(self._items))
        taken = [self._items.popleft() for _ in range(count)]
        self._notify()
        return taken


# The common modes by value, ahead of the general (slower) enum conversion.
_MODES = {pb.COUNT_MODE_SET: CountMode.SET, pb.COUNT_MODE_ADD: CountMode.ADD}


def stream_entry(message: pb.CountEntry, caller: Caller, device_id: str) -> StreamEntry:
    """Raises InvalidArgument for what cannot be read (an unknown mode, a bad time)."""
    return StreamEntry(
        entry_id=message.entry_id,
        caller=caller,
        device_id=device_id,
        entry=CountEntryInput(
            inventory_count_id=message.inventory_count_id,
            product=product_key(message.product),
            quantity=message.quantity,
            batch_id=message.batch_id,
            lot_number=message.lot_number,
            mode=_MODES.get(message.mode)
            or enum_from_proto(
                message.mode, pb.CountMode, "COUNT_MODE_", CountMode, "mode", default=CountMode.SET
            ),
            reason=message.reason,
            notes=message.notes,
            location=message.location,
        ),
        scanned_at=_scan_time(message),
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _scan_time(message: pb.CountEntry) -> datetime | None:
    # Plain datetime arithmetic: a third cheaper than Timestamp.ToDatetime, and it runs per entry.
    if not message.HasField("scan_time"):
        return None
    stamp = message.scan_time
    try:
        return _EPOCH + timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)
    except (ValueError, OverflowError) as error:
        raise InvalidArgument.one("scan_time", "not a valid time") from error


Item = StreamEntry | EntryOutcome  # an entry to record, or one already rejected on reading


class CountStreamHandler:
    def __init__(
        self,
        committer: EntryCommitter,
        item_message: Any,  # (LineView, Caller) -> pb.CountItem, the one blind-aware converter
        limits: StreamLimits | None = None,
    ) -> None:
        self.committer = committer
        self.item_message = item_message
        self.limits = limits or StreamLimits()
        self._open: set[tuple[asyncio.Task[None], EntryBuffer[Item]]] = set()

    async def handle(
        self, requests: AsyncIterator[pb.StreamCountItemsRequest], context: Context
    ) -> AsyncIterator[pb.StreamCountItemsResponse]:
        caller = current_caller()
        device_id = call_details(context).header("x-device-id") or ""
        buffer: EntryBuffer[Item] = EntryBuffer(self.limits.max_in_flight)
        reader = asyncio.create_task(self._read(requests, buffer, caller, device_id))
        stream = (reader, buffer)
        self._open.add(stream)
        try:
            while True:
                items = await buffer.take(self.limits.max_batch, self.limits.linger)
                if not items:
                    break
                yield self._response(await self._record(items), caller)
        finally:
            self._open.discard(stream)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    def drain(self) -> None:
        """Server shutdown: every open stream stops reading, acknowledges what it has read once
        it is stored, then ends UNAVAILABLE, so scanners reconnect (to another replica) and
        resend what had no ack, instead of holding shutdown for the whole grace period."""
        for reader, buffer in list(self._open):
            reader.cancel()
            if not buffer.closed:
                buffer.close(
                    Unavailable("the server is shutting down; reconnect", reason="SERVER_DRAINING")
                )

    async def _read(
        self,
        requests: AsyncIterator[pb.StreamCountItemsRequest],
        buffer: EntryBuffer[Item],
        caller: Caller,
        device_id: str,
    ) -> None:
        try:
            first = True
            async for request in requests:
                if first:  # the device id comes once, in the first message or the metadata
                    device_id = request.device_id or device_id
                    check_device_id(device_id)
                    first = False
                items: list[Item] = []
                for message in request.entries:
                    try:
                        items.append(stream_entry(message, caller, device_id))
                    except DomainError as error:
                        items.append(EntryOutcome(message.entry_id, error=error))
                await buffer.put_all(items)
        except Exception as error:  # a bad device id, or the call failing: end the stream
            buffer.close(error)
        else:
            buffer.close()

    async def _record(self, items: list[Item]) -> list[EntryOutcome]:
        entries = [item for item in items if isinstance(item, StreamEntry)]
        recorded = iter(await self.committer.record(entries) if entries else [])
        return [item if isinstance(item, EntryOutcome) else next(recorded) for item in items]

    def _response(
        self, outcomes: list[EntryOutcome], caller: Caller
    ) -> pb.StreamCountItemsResponse:
        response = pb.StreamCountItemsResponse()
        messages: dict[int, pb.CountItem] = {}  # one conversion per line view
        for outcome in outcomes:
            ack = response.acks.add(entry_id=outcome.entry_id, duplicate=outcome.duplicate)
            if outcome.line is not None:
                message = messages.get(id(outcome.line))
                if message is None:
                    message = messages[id(outcome.line)] = self.item_message(outcome.line, caller)
                ack.item.CopyFrom(message)
            elif outcome.error is not None:
                ack.error.CopyFrom(to_status_proto(outcome.error))
        return response
