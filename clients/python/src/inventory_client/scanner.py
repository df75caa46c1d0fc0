"""A handheld scanner's session: StreamCountItems over a flaky connection, nothing lost.

The session keeps every entry until the server acknowledges it (an ack means stored). When the
stream breaks it reconnects after an exponential, jittered, capped backoff and sends again every
entry that has no ack, with the same entry_id, so the server applies each entry exactly once.

    async with ScannerSession(channel, device_id="scanner-7", metadata=endpoint.metadata()) as s:
        await s.put(CountEntry(inventory_count_id=count_id, product=..., quantity=1, mode=ADD))
        ...
    # leaving the block waits until every entry is acknowledged
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc

from inventory.v1 import inventory_count_pb2 as counts_pb2
from inventory.v1 import inventory_count_pb2_grpc as counts_grpc
from inventory_client.errors import InventoryError, error_from_rpc
from inventory_client.retry import Backoff

# Marks the end of a stream's responses (missing from grpc-stubs).
_EOF: Any = grpc.aio.EOF  # type: ignore[attr-defined]

CountEntry = counts_pb2.CountEntry
CountEntryAck = counts_pb2.CountEntryAck

# Statuses that end the session: retrying cannot help (bad token, role, or request). Any other
# status resumes the stream: UNAVAILABLE, and also CANCELLED or INTERNAL, which is how a reset
# reaches the scanner when a replica dies behind a load balancer. A cancel of the session's own
# (abort(), or leaving `async with` on an exception) cancels its task and never resumes.
FATAL_CODES = frozenset(
    {
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.UNIMPLEMENTED,
    }
)


@dataclass
class ScannerStats:
    """Progress counters; read them at any time."""

    queued: int = 0  # entries given to the session
    sent: int = 0  # entries written to a stream, resends included
    resent: int = 0  # of which resends after a reconnect
    acked: int = 0  # stored (duplicates included)
    duplicates: int = 0  # acks saying the entry had been stored before
    rejected: int = 0  # acks carrying an error (the entry is not stored)
    reconnects: int = 0
    last_error: str = ""

    @property
    def answered(self) -> int:
        return self.acked + self.rejected


class SessionFailed(InventoryError):
    """The stream failed with a status that retrying cannot fix (see FATAL_CODES); carries the
    code, reason and violations the server sent, and the original error."""

    def __init__(self, error: grpc.aio.AioRpcError) -> None:
        decoded = error_from_rpc(error)
        super().__init__(decoded.code, decoded.message)
        vars(self).update(vars(decoded))
        self.error = error


@dataclass
class _Pending:
    entry: CountEntry
    sends: int = 0


AckCallback = Callable[[CountEntry, CountEntryAck], None]
ReconnectCallback = Callable[[int, float, str], None]  # attempt, delay, reason


@dataclass
class _Stream:
    call: grpc.aio.StreamStreamCall[
        counts_pb2.StreamCountItemsRequest, counts_pb2.StreamCountItemsResponse
    ]
    unsent: deque[str] = field(default_factory=deque)
    in_flight: deque[str] = field(default_factory=deque)


class ScannerSession:
    """One scanner's stream of count entries, resilient to broken connections.

    channel: a grpc.aio channel (it reconnects underneath; the session opens new streams).
    metadata: sent on every stream (the bearer token); `x-device-id` is added.
    max_entries_per_message: entries packed into one request (1 = one message per beep).
    max_unacked: entries held without an ack before put() waits (bounded memory).
    """

    def __init__(
        self,
        channel: grpc.aio.Channel,
        *,
        device_id: str,
        metadata: Sequence[tuple[str, str]] = (),
        max_entries_per_message: int = 100,
        max_unacked: int = 10_000,
        backoff: Backoff | None = None,
        on_ack: AckCallback | None = None,
        on_reconnect: ReconnectCallback | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if max_entries_per_message < 1 or max_unacked < 1:
            raise ValueError("max_entries_per_message and max_unacked must be at least 1")
        self.device_id = device_id
        self.stats = ScannerStats()
        self._stub = counts_grpc.InventoryCountServiceStub(channel)
        self._metadata = (*metadata, ("x-device-id", device_id))
        self._per_message = max_entries_per_message
        self._max_unacked = max_unacked
        self._backoff = backoff or Backoff()
        self._on_ack = on_ack
        self._on_reconnect = on_reconnect
        self._rng = rng or random.Random()
        # Entries without an ack, in the order they were given (dicts keep insertion order).
        self._unacked: dict[str, _Pending] = {}
        self._stream: _Stream | None = None
        self._wake_writer = asyncio.Event()
        self._progress = asyncio.Event()
        self._closing = False
        self._failure: BaseException | None = None
        self._task: asyncio.Task[None] | None = None

    # -- the caller's side ----------------------------------------------------------------

    async def __aenter__(self) -> ScannerSession:
        self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is None:
            await self.close()
        else:
            await self.abort()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"scanner:{self.device_id}")

    @property
    def unacked_count(self) -> int:
        return len(self._unacked)

    def unacked(self) -> list[CountEntry]:
        """Entries still waiting for an ack, oldest first (to keep them across a restart)."""
        return [pending.entry for pending in self._unacked.values()]

    async def put(self, entry: CountEntry) -> str:
        """Queues one entry (giving it an entry_id when it has none) and returns its id.

        Waits while max_unacked entries are already waiting for their acks."""
        if self._closing:
            raise RuntimeError("the session is closing")
        while len(self._unacked) >= self._max_unacked:
            await self._wait_for_progress()
        self._raise_if_failed()
        if not entry.entry_id:
            entry.entry_id = uuid.uuid4().hex
        if entry.entry_id not in self._unacked:
            self._unacked[entry.entry_id] = _Pending(entry)
            self.stats.queued += 1
            if self._stream is not None:
                self._stream.unsent.append(entry.entry_id)
                self._wake_writer.set()
        return entry.entry_id

    async def put_many(self, entries: Iterable[CountEntry]) -> None:
        for entry in entries:
            await self.put(entry)

    async def drain(self) -> None:
        """Waits until every queued entry has its ack (stored or rejected)."""
        while self._unacked:
            self._raise_if_failed()
            await self._wait_for_progress()
        self._raise_if_failed()

    async def close(self) -> None:
        """Waits for every ack, then ends the stream. To bound the wait, wrap it in
        asyncio.timeout() and abort() on timeout; unacked() lists what was not acknowledged."""
        await self.drain()
        self._closing = True
        self._wake_writer.set()
        if self._task is not None:
            await self._task
        self._raise_if_failed()

    async def abort(self) -> None:
        """Drops the stream at once; unacked entries stay in unacked()."""
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _raise_if_failed(self) -> None:
        if self._failure is not None:
            raise self._failure

    async def _wait_for_progress(self) -> None:
        self._raise_if_failed()
        if self._task is None:
            raise RuntimeError("start() the session first")
        if self._task.done():
            raise RuntimeError("the session has stopped")
        await self._progress.wait()

    def _notify(self) -> None:
        # Wake every waiter once; later waiters wait for the next change.
        self._progress.set()
        self._progress = asyncio.Event()

    # -- the connection's side ------------------------------------------------------------

    async def _run(self) -> None:
        attempt = 0
        try:
            while True:
                answered = self.stats.answered
                reason = "stream ended"
                try:
                    await self._stream_once()
                except grpc.aio.AioRpcError as error:
                    if error.code() in FATAL_CODES:
                        self._failure = SessionFailed(error)
                        return
                    reason = f"{error.code().name}: {error.details()}"
                self.stats.last_error = reason
                if self._closing and not self._unacked:
                    return
                # A stream that got acks resets the backoff; one that got none grows it.
                attempt = 0 if self.stats.answered > answered else attempt + 1
                delay = self._backoff.delay(attempt, self._rng)
                self.stats.reconnects += 1
                if self._on_reconnect is not None:
                    self._on_reconnect(attempt, delay, reason)
                await asyncio.sleep(delay)
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # a bug or a callback's error: surface it to the caller
            self._failure = error
        finally:
            self._notify()

    async def _stream_once(self) -> None:
        # No request iterator: this session writes with call.write() (grpc-stubs miss it).
        open_stream: Any = self._stub.StreamCountItems
        call = open_stream(metadata=self._metadata)
        # Every entry without an ack goes again, in its original order.
        stream = _Stream(call, unsent=deque(self._unacked))
        self._stream = stream
        writer = asyncio.create_task(self._write(stream))
        try:
            while True:
                response = await call.read()
                if response is _EOF:
                    return
                self._on_response(stream, response)
        finally:
            self._stream = None
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            if not call.done():
                call.cancel()

    async def _write(self, stream: _Stream) -> None:
        # The first message names the device even when there is nothing to send yet.
        request = counts_pb2.StreamCountItemsRequest(device_id=self.device_id)
        try:
            while True:
                ids: list[str] = []
                while stream.unsent and len(ids) < self._per_message:
                    entry_id = stream.unsent.popleft()
                    pending = self._unacked.get(entry_id)
                    if pending is None:
                        continue
                    request.entries.append(pending.entry)
                    ids.append(entry_id)
                    if pending.sends:
                        self.stats.resent += 1
                    pending.sends += 1
                if ids or request.device_id:
                    # Recorded before the write, so an ack racing back finds its entry.
                    stream.in_flight.extend(ids)
                    self.stats.sent += len(ids)
                    await stream.call.write(request)
                    request = counts_pb2.StreamCountItemsRequest()
                    continue
                if self._closing:
                    await stream.call.done_writing()
                    return
                self._wake_writer.clear()
                await self._wake_writer.wait()
        except (grpc.RpcError, asyncio.InvalidStateError):
            return  # the call ended; the reader reports how

    def _on_response(self, stream: _Stream, response: counts_pb2.StreamCountItemsResponse) -> None:
        for ack in response.acks:
            if stream.in_flight:
                stream.in_flight.popleft()
            pending = self._unacked.pop(ack.entry_id, None)
            if pending is None:
                continue  # an ack for an entry answered already
            if ack.WhichOneof("result") == "error":
                self.stats.rejected += 1
            else:
                self.stats.acked += 1
                if ack.duplicate:
                    self.stats.duplicates += 1
            if self._on_ack is not None:
                self._on_ack(pending.entry, ack)
        self._notify()
