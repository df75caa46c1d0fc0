"""The group committer and the recorder behind it, over an in-memory unit of work: what arrives
while a transaction runs goes into the next one, each submitter hears its own outcomes, and each
entry applies once. A gate stands in for the database threads, so a test decides when a
transaction runs. Milliseconds each; the end-to-end tests do the same on real databases."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import pytest

from inventory_service.bootstrap import build_services
from inventory_service.db.models import CountItem, StoredCountEntry
from inventory_service.domain.catalog_keys import ProductKey
from inventory_service.domain.count_entries import CountEntry
from inventory_service.domain.enums import CountMode, CountType
from inventory_service.domain.identity import Caller, Role
from inventory_service.services.ingestion.committer import EntryCommitter
from inventory_service.services.ingestion.entries import EntryOutcome
from inventory_service.settings import Settings
from tests.fakes import FakeDatabase, fake_uow_factory, seed_product

T = TypeVar("T")
SAM = Caller("sam", Role.STAFF)
MIA = Caller("mia", Role.MANAGER)


class Gate:
    """Runs each transaction on the loop once the test opens the gate; remembers their sizes."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.sizes: list[int] = []
        self.running = 0
        self.most_at_once = 0

    async def __call__(self, record: Callable[[Sequence[Any]], T], entries: Sequence[Any]) -> T:
        self.sizes.append(len(entries))
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            await self.open.wait()
            return record(entries)
        finally:
            self.running -= 1


class Counting:
    """A count over a fake database, with one product, and a committer in front of its recorder."""

    def __init__(self, **options: Any) -> None:
        self.db = FakeDatabase()
        self.services = build_services(fake_uow_factory(self.db), Settings())  # type: ignore[arg-type]
        seed_product(self.db, "SOAP", on_hand=10)
        seed_product(self.db, "TEA", on_hand=10)
        self.count_id = self.services.counts.start(MIA, name="A1", count_type=CountType.CYCLE).id
        self.gate = Gate()
        self.committer = EntryCommitter(self.services.recorder.record, self.gate, **options)

    def entry(self, quantity: int = 1, sku: str = "SOAP", entry_id: str = "") -> CountEntry:
        return CountEntry(
            entry_id=entry_id or uuid.uuid4().hex,
            inventory_count_id=self.count_id,
            product=ProductKey(sku=sku),
            quantity=quantity,
            caller=SAM,
            mode=CountMode.ADD,
        )

    def submit(self, *entries: CountEntry) -> asyncio.Task[list[EntryOutcome]]:
        return asyncio.create_task(self.committer.record(list(entries)))

    def counted(self) -> dict[str, int]:
        skus = {"SOAP": 0, "TEA": 0}
        for item in self.db.table(CountItem).values():
            product = self.services.products.get(ProductKey(id=item.product_id))
            skus[product.sku] = item.counted_quantity
        return skus


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_what_arrives_while_a_transaction_runs_goes_into_the_next_one() -> None:
    async def scenario() -> None:
        c = Counting()
        first = c.submit(c.entry())
        await settle()  # the first transaction is under way, with one entry
        rest = [c.submit(c.entry(2)), c.submit(c.entry(3, "TEA")), c.submit(c.entry(4))]
        await settle()
        c.gate.open.set()
        outcomes = await asyncio.gather(first, *rest)

        assert c.gate.sizes == [1, 3]
        assert c.db.commits == 2 + 1  # the count's start, then two transactions of entries
        # Entries of one line in one transaction are acknowledged with the line as it left it.
        assert [o.line.line.counted_quantity for [o] in outcomes if o.line] == [1, 7, 3, 7]
        assert c.counted() == {"SOAP": 7, "TEA": 3}

    run(scenario)


def test_each_submitter_gets_its_own_outcomes_in_order() -> None:
    async def scenario() -> None:
        c = Counting()
        c.gate.open.set()
        stream = [c.entry(1), c.entry(-1), c.entry(2, "TEA")]
        alone = c.entry(5, "NOPE")
        got_stream, got_alone = await asyncio.gather(c.submit(*stream), c.submit(alone))

        assert [o.entry_id for o in got_stream] == [e.entry_id for e in stream]
        assert got_stream[0].line is not None
        assert got_stream[1].error is not None
        assert got_stream[1].error.reason == "INVALID_ARGUMENT"
        assert got_stream[2].line is not None
        assert [o.entry_id for o in got_alone] == [alone.entry_id]
        assert got_alone[0].error is not None
        assert got_alone[0].error.reason == "PRODUCT_NOT_FOUND"

    run(scenario)


def test_the_same_entry_from_two_submitters_applies_once() -> None:
    async def scenario() -> None:
        c = Counting()
        resent = c.entry(4, entry_id="scan-1")
        first = c.submit(c.entry(1))
        await settle()
        twins = [c.submit(resent), c.submit(resent)]  # a scanner reconnecting meanwhile
        c.gate.open.set()
        await first
        a, b = [outcome for [outcome] in await asyncio.gather(*twins)]
        assert (a.duplicate, b.duplicate) == (False, True)
        assert a.line == b.line
        [again] = await c.submit(resent)  # later, in a transaction of its own
        assert again.duplicate
        assert again.line == a.line
        assert c.counted()["SOAP"] == 5
        assert [entry_id for _, entry_id in c.db.table(StoredCountEntry)].count("scan-1") == 1

    run(scenario)


def test_a_failed_transaction_fails_each_of_its_submitters_and_the_next_goes_on() -> None:
    async def scenario() -> None:
        c = Counting()
        real_record = c.committer.record_batch
        calls = 0

        def failing_once(entries: Sequence[CountEntry]) -> list[EntryOutcome]:
            nonlocal calls
            calls += 1
            if calls == 2:
                raise RuntimeError("database gone")
            return real_record(entries)

        c.committer.record_batch = failing_once
        first = c.submit(c.entry(1))
        await settle()
        doomed = [c.submit(c.entry(2)), c.submit(c.entry(3))]
        await settle()
        c.gate.open.set()
        await first
        for task in doomed:
            with pytest.raises(RuntimeError):
                await task
        [later] = await c.submit(c.entry(4))
        assert later.line is not None
        assert c.counted()["SOAP"] == 5

    run(scenario)


def test_a_second_transaction_runs_alongside_only_while_a_full_batch_waits() -> None:
    async def scenario() -> None:
        c = Counting(max_batch=3)
        small = [c.submit(c.entry())]
        await settle()
        small += [c.submit(c.entry()) for _ in range(2)]
        await settle()
        assert c.gate.most_at_once == 1  # less than a full batch waits: one at a time
        c.gate.open.set()
        await asyncio.gather(*small)
        assert c.gate.sizes == [1, 2]

        c.gate.open.clear()
        bulk = [c.submit(*[c.entry() for _ in range(2)]) for _ in range(3)]
        await settle()
        assert c.gate.most_at_once == 2
        c.gate.open.set()
        await asyncio.gather(*bulk)
        assert c.gate.sizes[2:] == [2, 2, 2]
        assert c.counted()["SOAP"] == 3 + 6

    run(scenario)


def test_a_submitter_that_goes_away_leaves_its_entries_recorded() -> None:
    async def scenario() -> None:
        c = Counting()
        first = c.submit(c.entry(1))
        await settle()
        gone = c.submit(c.entry(2))
        stays = c.submit(c.entry(3, "TEA"))
        await settle()
        gone.cancel()
        c.gate.open.set()
        await first
        [outcome] = await stays
        assert outcome.line is not None
        with pytest.raises(asyncio.CancelledError):
            await gone
        assert c.counted() == {"SOAP": 3, "TEA": 3}  # no ack, but stored: a resend is a duplicate

    run(scenario)


def test_every_entry_is_kept_as_its_lines_history() -> None:
    """A plain AddCountItem call (no request_id, never looked up as a resend) is stored too."""

    async def scenario() -> None:
        c = Counting()
        c.gate.open.set()
        scanned = c.entry(1)
        plain_call = dataclasses.replace(c.entry(2), kept=False)  # AddCountItem, no request_id
        outcomes = await c.submit(scanned, plain_call)
        assert [o.line is not None for o in outcomes] == [True, True]
        stored = {entry_id: row for (_, entry_id), row in c.db.table(StoredCountEntry).items()}
        assert sorted(stored) == sorted([scanned.entry_id, plain_call.entry_id])
        assert [stored[e.entry_id].counted_quantity for e in (scanned, plain_call)] == [3, 3]
        assert c.counted()["SOAP"] == 3

    run(scenario)


def test_a_submission_made_as_the_last_transaction_ends_is_recorded() -> None:
    """A stream that gets its outcomes and hands over its next entries at once (no loop turn in
    between) must start a new transaction, not wait for ever on the one that just finished."""

    async def scenario() -> None:
        c = Counting()
        c.gate.open.set()
        first = await c.committer.record([c.entry(1)])
        async with asyncio.timeout(5):  # in this task: no loop turn before the hand-over
            second = await c.committer.record([c.entry(2)])
        assert [o.line.line.counted_quantity for o in first + second if o.line] == [1, 3]
        assert c.gate.sizes == [1, 1]

    run(scenario)
