"""AddCountItem calls without a request_id share transactions (group commit).

Concurrent calls of one caller queue here; while one batch is in the database the next gathers,
so under load a transaction carries many calls and at rest a call goes alone, with no added
wait. Each call still gets its own answer: its line, or its own error. Calls with a request_id
keep their one-call transaction, where the idempotency key is written with the line."""

from __future__ import annotations

import asyncio
from collections import deque

from inventory_service.api.blocking import BlockingRunner
from inventory_service.domain.identity import Caller
from inventory_service.services.count_entries import CountEntryInput
from inventory_service.services.count_stream import CountStreamService, EntryOutcome

MAX_BATCH = 256

_Call = tuple[CountEntryInput, "asyncio.Future[EntryOutcome]"]


class AddItemBatcher:
    def __init__(self, service: CountStreamService, run: BlockingRunner) -> None:
        self.service = service
        self.run = run
        # Batches are per caller: the caller is recorded on the line (counted_by).
        self._waiting: dict[Caller, deque[_Call]] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # held, so none is collected mid-run

    async def record(self, caller: Caller, entry: CountEntryInput) -> EntryOutcome:
        outcome: asyncio.Future[EntryOutcome] = asyncio.get_running_loop().create_future()
        waiting = self._waiting.get(caller)
        if waiting is None:
            waiting = self._waiting[caller] = deque()
            task = asyncio.create_task(self._drain(caller, waiting))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        waiting.append((entry, outcome))
        return await outcome

    async def _drain(self, caller: Caller, waiting: deque[_Call]) -> None:
        try:
            while waiting:
                calls = [waiting.popleft() for _ in range(min(MAX_BATCH, len(waiting)))]
                try:
                    outcomes = await self.run(
                        self.service.record_items, caller, [entry for entry, _ in calls]
                    )
                except BaseException as error:  # the whole batch failed: every call says so
                    for _, future in calls:
                        if not future.done():
                            future.set_exception(error)
                    if isinstance(error, asyncio.CancelledError):
                        raise
                    continue
                for (_, future), result in zip(calls, outcomes, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            del self._waiting[caller]
