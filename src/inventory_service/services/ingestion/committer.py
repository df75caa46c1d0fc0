"""Group commit for count entries: what every stream and AddCountItem call hands over while a
transaction runs goes into the next one.

A stream hands over its next entries and waits for their outcomes; an AddCountItem call hands
over one entry. Up to `concurrency` transactions run at once, each taking all that waits (up to
max_batch entries), so under load one commit carries many streams' entries and at rest an entry
goes alone, with no added wait. Each submitter gets its own outcomes, in order.

A second transaction starts only while a full batch is waiting (bulk streams): then its Python
work overlaps the first one's waits on PostgreSQL (+15-20% with 8 bulk streams, measured with
benchmarks/stream_ingest.py). Small entries (scanners, AddCountItem) keep to one transaction at
a time, where splitting the batch in two only cost more Python per entry. More throughput comes
from more server processes (replicas)."""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from inventory_service import metrics
from inventory_service.domain.count_entries import CountEntry
from inventory_service.services.ingestion.entries import EntryOutcome

Record = Callable[[Sequence[CountEntry]], list[EntryOutcome]]
_Submission = tuple[Sequence[CountEntry], "asyncio.Future[list[EntryOutcome]]"]


class RunBlocking(Protocol):
    """Runs a blocking call off the event loop (api/blocking.py's BlockingRunner)."""

    def __call__(
        self, fn: Record, entries: Sequence[CountEntry], /
    ) -> Awaitable[list[EntryOutcome]]: ...


class EntryCommitter:
    def __init__(
        self,
        record: Record,
        run: RunBlocking,
        *,
        max_batch: int = 2000,
        concurrency: int = 2,
    ) -> None:
        self.record_batch = record
        self.run = run
        self.max_batch = max_batch
        self.concurrency = concurrency
        self._waiting: deque[_Submission] = deque()
        self._waiting_entries = 0
        self._workers: set[asyncio.Task[None]] = set()

    async def record(self, entries: Sequence[CountEntry]) -> list[EntryOutcome]:
        """The outcomes of entries (in order), once the transaction holding them committed."""
        outcomes: asyncio.Future[list[EntryOutcome]] = asyncio.get_running_loop().create_future()
        self._waiting.append((entries, outcomes))
        self._waiting_entries += len(entries)
        if not self._workers or (
            len(self._workers) < self.concurrency and self._waiting_entries >= self.max_batch
        ):
            # A context of its own: the batch serves many calls, not the one that started it.
            self._workers.add(asyncio.create_task(self._work(), context=contextvars.Context()))
        return await outcomes

    def _take(self) -> list[_Submission]:
        taken = [self._waiting.popleft()]
        size = len(taken[0][0])
        while self._waiting and size + len(self._waiting[0][0]) <= self.max_batch:
            submission = self._waiting.popleft()
            taken.append(submission)
            size += len(submission[0])
        self._waiting_entries -= size
        return taken

    async def _work(self) -> None:
        try:
            await self._work_while_waiting()
        finally:
            # Gone from the set in the same step that finds nothing waiting: a done-callback
            # runs a loop turn later, and a submission made in between (a caller handing over
            # its next entries as soon as it has its outcomes) would wait on a finished worker.
            current = asyncio.current_task()
            if current is not None:
                self._workers.discard(current)

    async def _work_while_waiting(self) -> None:
        while self._waiting:
            taken = self._take()
            entries = [entry for submitted, _ in taken for entry in submitted]
            started = time.perf_counter()
            try:
                outcomes = await self.run(self.record_batch, entries)
            except BaseException as error:  # the transaction failed: each submitter hears why
                for _, future in taken:
                    if not future.done():
                        future.set_exception(error)
                if isinstance(error, asyncio.CancelledError):
                    raise
                continue
            metrics.entry_batch_seconds.observe(time.perf_counter() - started)
            metrics.entry_batch_size.observe(len(entries))
            start = 0
            for submitted, future in taken:
                if not future.done():  # a cancelled call no longer listens
                    future.set_result(outcomes[start : start + len(submitted)])
                start += len(submitted)
