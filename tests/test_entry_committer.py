"""The entry committer (api/entry_committer.py) without a database: every submission is
recorded, however submissions and the end of a transaction interleave on the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from inventory_service.api.entry_committer import EntryCommitter
from inventory_service.services.count_stream import EntryOutcome, StreamEntry


class RecordingService:
    """Stands in for CountStreamService: each entry is 'stored' as an outcome of its id."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def record_batch(self, entries: Sequence[StreamEntry]) -> list[EntryOutcome]:
        self.batches.append([e.entry_id for e in entries])
        return [EntryOutcome(e.entry_id) for e in entries]


async def run_inline(fn: Callable[..., Any], /, *args: Any) -> Any:
    return fn(*args)


def entry(entry_id: str) -> StreamEntry:
    stub: Any = None  # the service above reads only the entry_id
    return StreamEntry(entry_id, stub, stub)


def test_a_submission_made_as_the_last_transaction_ends_is_recorded() -> None:
    """A stream that gets its outcomes and hands over its next entries at once (its client
    closed: no wait for more) runs before the finished transaction's task is forgotten; it must
    start a new one, not wait on the finished one for ever."""

    async def scenario() -> list[list[str]]:
        service = RecordingService()
        runner: Any = run_inline
        committer = EntryCommitter(service, runner)  # type: ignore[arg-type]
        first = await committer.record([entry("a")])
        async with asyncio.timeout(5):  # in this task: no loop turn before the hand-over
            second = await committer.record([entry("b")])
        assert [o.entry_id for o in first + second] == ["a", "b"]
        return service.batches

    assert asyncio.run(scenario()) == [["a"], ["b"]]
