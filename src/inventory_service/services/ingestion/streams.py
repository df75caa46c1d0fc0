"""Streams of count entries (scanners): read into a bounded buffer, recorded in batches, answered
with outcomes once stored.

Each stream has a reader task that puts what arrives in its buffer; the stream takes what has
gathered (up to max_batch entries, waiting at most `linger` for more), hands it to the
committer, which records it in a transaction shared with other streams' entries, and only once
that transaction committed yields the outcomes. When the database is slow the buffer fills, the
reader stops reading, and the transport's flow control slows the scanner: the server never holds
more than max_in_flight entries per stream. An open stream with nothing to do holds no thread,
only its buffer and two suspended tasks.

A client that goes away cancels the stream (asyncio cancellation); a batch already handed to
the database still commits, and the scanner, seeing no ack, sends it again and gets duplicates."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from inventory_service import metrics
from inventory_service.domain.count_entries import CountEntry
from inventory_service.domain.errors import ResourceExhausted, Unavailable
from inventory_service.domain.rate_limit import TokenBucket
from inventory_service.services.ingestion.buffer import EntryBuffer
from inventory_service.services.ingestion.committer import EntryCommitter
from inventory_service.services.ingestion.entries import EntryOutcome

# An entry to record, or one already rejected on reading.
Item = CountEntry | EntryOutcome


@dataclass(frozen=True)
class StreamLimits:
    max_batch: int = 1000  # entries a stream hands over at once (bigger batches: less per entry)
    linger: float = 0.002  # seconds a batch waits for more entries before it is recorded
    max_in_flight: int = 2000  # entries read but not yet acknowledged, per stream
    # Entries a stream may send per second, with bursts of twice that (0: no limit). Past it
    # the stream ends RESOURCE_EXHAUSTED (STREAM_RATE_EXCEEDED) with a RetryInfo, after the
    # acks of what it sent before, so one caller cannot take the database from the others.
    entries_per_second: float = 0.0

    def bucket(self) -> TokenBucket | None:
        rate = self.entries_per_second
        return TokenBucket(rate, 2 * rate) if rate > 0 else None


class EntryStreams:
    """The open streams of this server, so shutdown can drain them."""

    def __init__(self, committer: EntryCommitter, limits: StreamLimits | None = None) -> None:
        self.committer = committer
        self.limits = limits or StreamLimits()
        self._open: set[tuple[asyncio.Task[None], EntryBuffer[Item]]] = set()
        self._draining = False

    async def run(
        self, arriving: AsyncIterator[Sequence[Item]]
    ) -> AsyncIterator[list[EntryOutcome]]:
        """The outcomes of each recorded batch, in the order the items arrived. An error of
        `arriving` ends the stream with it, after the outcomes of what came before."""
        buffer: EntryBuffer[Item] = EntryBuffer(self.limits.max_in_flight)
        reader = asyncio.create_task(self._read(arriving, buffer, self.limits.bucket()))
        stream = (reader, buffer)
        # Known to drain() before the first await: a stream opening as the server stops is
        # told to reconnect too, instead of holding the shutdown for the grace period.
        self._open.add(stream)
        if self._draining:
            self._end(stream)
        metrics.open_streams.inc()
        try:
            while True:
                items = await buffer.take(self.limits.max_batch, self.limits.linger)
                if not items:
                    break
                outcomes = await self._record(items)
                _count_results(outcomes)
                yield outcomes
        finally:
            metrics.open_streams.dec()
            self._open.discard(stream)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    def drain(self) -> None:
        """Server shutdown: every open stream stops reading, answers what it has read once it is
        stored, then ends UNAVAILABLE, so scanners reconnect (to another replica) and resend
        what had no ack, instead of holding shutdown for the whole grace period."""
        self._draining = True
        for stream in list(self._open):
            self._end(stream)

    @staticmethod
    def _end(stream: tuple[asyncio.Task[None], EntryBuffer[Item]]) -> None:
        reader, buffer = stream
        reader.cancel()
        if not buffer.closed:
            buffer.close(
                Unavailable("the server is shutting down; reconnect", reason="SERVER_DRAINING")
            )

    @staticmethod
    async def _read(
        arriving: AsyncIterator[Sequence[Item]],
        buffer: EntryBuffer[Item],
        bucket: TokenBucket | None,
    ) -> None:
        try:
            async for items in arriving:
                wait = bucket.take(len(items), time.monotonic()) if bucket else 0.0
                if wait > 0:
                    raise _too_fast(bucket, wait)
                await buffer.put_all(items)
        except Exception as error:  # a bad first message, or the call failing: end the stream
            buffer.close(error)
        else:
            buffer.close()

    async def _record(self, items: list[Item]) -> list[EntryOutcome]:
        entries = [item for item in items if isinstance(item, CountEntry)]
        recorded = iter(await self.committer.record(entries) if entries else [])
        return [item if isinstance(item, EntryOutcome) else next(recorded) for item in items]


def _too_fast(bucket: TokenBucket | None, wait: float) -> ResourceExhausted:
    rate = bucket.rate if bucket else 0.0
    return ResourceExhausted(
        f"this stream sent entries faster than {rate:g} per second; the entries of this "
        "message and after were not read: send them again after the retry delay",
        reason="STREAM_RATE_EXCEEDED",
        metadata={"entries_per_second": f"{rate:g}"},
        retry_after=wait,
    )


def _count_results(outcomes: list[EntryOutcome]) -> None:
    rejected = [outcome.error.reason for outcome in outcomes if outcome.error is not None]
    duplicates = sum(outcome.duplicate for outcome in outcomes)
    metrics.count_stream_results(len(outcomes) - duplicates - len(rejected), duplicates, rejected)
