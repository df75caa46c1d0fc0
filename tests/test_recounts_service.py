"""Recounts in the service layer, over an in-memory unit of work, and the pure rules: the
recorder's rules within one batch, a manager's request, completion with recounts pending."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from inventory_service.bootstrap import ServiceLayer
from inventory_service.db.engine import create_db_engine
from inventory_service.db.models import CountItem, InventoryCount, StoredCountEntry
from inventory_service.db.types import utcnow
from inventory_service.domain import recount_rules
from inventory_service.domain.catalog_keys import ProductKey
from inventory_service.domain.catalog_rules import ProductDraft
from inventory_service.domain.completion_rules import CompletionOptions
from inventory_service.domain.count_entries import CountEntry
from inventory_service.domain.enums import CountMode, CountStatus, CountType
from inventory_service.domain.errors import FailedPrecondition, NotFound, PermissionDenied
from inventory_service.domain.identity import Caller, Role
from inventory_service.domain.paging import PageRequest
from tests.fakes import FakeDatabase, seed_product

BOB = Caller("bob", Role.STAFF)
CAROL = Caller("carol", Role.STAFF)
DAVE = Caller("dave", Role.STAFF)
MIA = Caller("mia", Role.MANAGER)


def start(services: ServiceLayer, *, flag: bool = True) -> str:
    return services.counts.start(
        MIA, name="Aisle 7", count_type=CountType.CYCLE, recount_significant=flag
    ).id


def entry(count_id: str, who: Caller, quantity: int, mode: CountMode = CountMode.SET) -> CountEntry:
    return CountEntry(
        entry_id=uuid.uuid4().hex,
        inventory_count_id=count_id,
        product=ProductKey(sku="SOAP"),
        quantity=quantity,
        caller=who,
        mode=mode,
    )


def line(fake_db: FakeDatabase) -> CountItem:
    [item] = fake_db.table(CountItem).values()
    return item


def test_a_batch_that_leaves_a_line_significant_flags_it_for_the_system(
    fake_services: ServiceLayer, fake_db: FakeDatabase
) -> None:
    seed_product(fake_db, "SOAP", on_hand=100)
    count_id = start(fake_services)
    # One transaction, two counters: the line is judged as the batch leaves it.
    fake_services.recorder.record(
        [entry(count_id, BOB, 50), entry(count_id, CAROL, 30, CountMode.ADD)]
    )
    item = line(fake_db)
    assert (item.status, item.counted_quantity, item.recount_requested_by) == (
        "RECOUNT_REQUESTED",
        80,
        "system",
    )
    assert item.recount_requested_at == item.counted_at
    assert [e.recount for e in fake_db.table(StoredCountEntry).values()] == [False, False]


def test_in_one_batch_a_first_counter_is_refused_and_a_recounter_applies(
    fake_services: ServiceLayer, fake_db: FakeDatabase
) -> None:
    seed_product(fake_db, "SOAP", on_hand=100)
    count_id = start(fake_services)
    fake_services.recorder.record([entry(count_id, BOB, 80)])
    outcomes = fake_services.recorder.record(
        [
            entry(count_id, BOB, 1, CountMode.ADD),
            entry(count_id, CAROL, 90, CountMode.ADD),
            entry(count_id, CAROL, 5, CountMode.ADD),
        ]
    )
    assert isinstance(outcomes[0].error, PermissionDenied)
    assert outcomes[0].error.reason == "RECOUNT_BY_SAME_COUNTER"
    assert [o.line.line.counted_quantity for o in outcomes[1:] if o.line] == [95, 95]
    assert (line(fake_db).status, line(fake_db).counted_quantity) == ("RECOUNTED", 95)


def test_a_request_marks_the_lines_and_completion_then_waits_for_them(
    fake_services: ServiceLayer, fake_db: FakeDatabase
) -> None:
    seed_product(fake_db, "SOAP", on_hand=10)
    count_id = start(fake_services, flag=False)
    fake_services.recorder.record([entry(count_id, BOB, 10)])
    item = line(fake_db)
    with pytest.raises(NotFound):
        fake_services.recounts.request(MIA, count_id, [item.id, "gone"])
    assert line(fake_db).status == "COUNTED"  # all or nothing

    [view] = fake_services.recounts.request(MIA, count_id, [item.id], reason="looks off")
    assert (view.line.status, view.line.recount_requested_by) == ("RECOUNT_REQUESTED", "mia")
    assert fake_services.counts.get(MIA, count_id).pending_recounts == 1

    apply = CompletionOptions(apply_adjustments=True)
    with pytest.raises(FailedPrecondition) as refused:
        fake_services.completion.complete(MIA, count_id, apply)
    assert refused.value.reason == "RECOUNTS_PENDING"
    assert [v.subject for v in refused.value.violations] == [f"countItems/{item.id}"]
    assert fake_db.table(InventoryCount)[count_id].status == CountStatus.IN_PROGRESS.value

    forced = CompletionOptions(apply_adjustments=True, force_reason="store closing")
    done = fake_services.completion.complete(MIA, count_id, forced)
    assert done.count.forced_completion_reason == "store closing"


def test_the_history_pages_oldest_first(fake_services: ServiceLayer, fake_db: FakeDatabase) -> None:
    seed_product(fake_db, "SOAP", on_hand=10)
    count_id = start(fake_services, flag=False)
    for quantity in (1, 2, 3):
        fake_services.recorder.record([entry(count_id, BOB, quantity, CountMode.ADD)])
    first = fake_services.recounts.history(BOB, count_id, line(fake_db).id, PageRequest(size=2))
    rest = fake_services.recounts.history(
        BOB, count_id, line(fake_db).id, PageRequest(size=2, after=first.next_key)
    )
    assert [e.counted_quantity for e in first.items + rest.items] == [1, 3, 6]
    assert rest.next_key is None


# -- the pure rules -----------------------------------------------------------------------


def test_the_first_recount_entry_replaces_the_figure_whatever_its_mode() -> None:
    requested, counted = recount_rules.REQUESTED, recount_rules.RECOUNTED
    assert recount_rules.counted_after(requested, 80, 5, CountMode.ADD) == 5
    assert recount_rules.counted_after(counted, 80, 5, CountMode.ADD) == 85
    assert recount_rules.counted_after(counted, 80, 5, CountMode.SET) == 5
    assert recount_rules.status_after_entry(requested) == counted


def test_only_a_counted_significant_line_of_a_flagging_count_is_flagged() -> None:
    flags = recount_rules.flags_for_recount
    assert flags("COUNTED", significant=True, recount_significant=True)
    assert not flags("COUNTED", significant=True, recount_significant=False)
    assert not flags("COUNTED", significant=False, recount_significant=True)
    assert not flags("RECOUNTED", significant=True, recount_significant=True)


def test_a_request_is_never_dated_before_the_lines_last_entry() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ahead = now + timedelta(milliseconds=3)  # another replica's clock
    assert recount_rules.requested_at(now, ahead) == ahead
    assert recount_rules.requested_at(now, now - timedelta(seconds=1)) == now


def test_while_awaited_the_last_counter_is_a_first_counter() -> None:
    assert recount_rules.first_counters("RECOUNT_REQUESTED", "bob", {"ann"}) == {"ann", "bob"}
    assert recount_rules.first_counters("RECOUNTED", "carol", {"bob"}) == {"bob"}


def test_staff_alone_are_kept_from_the_first_figure() -> None:
    assert recount_rules.hides_first_figure(BOB, "RECOUNT_REQUESTED")
    assert not recount_rules.hides_first_figure(MIA, "RECOUNT_REQUESTED")
    assert not recount_rules.hides_first_figure(BOB, "RECOUNTED")
    assert recount_rules.hides_count_statistics(BOB, pending_recounts=1)
    assert not recount_rules.hides_count_statistics(BOB, pending_recounts=0)
    assert not recount_rules.hides_count_statistics(MIA, pending_recounts=1)


def test_a_refusal_lists_at_most_fifty_lines_and_says_how_many() -> None:
    error = recount_rules.recounts_pending("c1", [f"l{i}" for i in range(60)])
    assert len(error.violations) == 50
    assert error.metadata == {"pending_recounts": "60"}


def test_a_replica_clock_ahead_does_not_let_an_earlier_recounter_recount_again(
    services: ServiceLayer, database_url: str
) -> None:
    """Carol's recount was stored by a replica whose clock ran ahead, later than the next
    request's time: she counted the line before that request all the same."""
    services.products.create(
        MIA, ProductDraft(sku="SOAP", name="Soap", unit_cost=Decimal(1)), opening_quantity=10
    )
    count_id = start(services, flag=False)
    [bob] = services.recorder.record([entry(count_id, BOB, 10)])
    line_id = bob.line_or_raise().line.id
    services.recounts.request(MIA, count_id, [line_id])
    services.recorder.record([entry(count_id, CAROL, 12)])
    services.recorder.record([entry(count_id, DAVE, 1, CountMode.ADD)])  # the line's last counter
    engine = create_db_engine(database_url)
    with engine.begin() as connection:  # as the fast replica stored it
        connection.execute(
            update(StoredCountEntry)
            .where(StoredCountEntry.counted_by == "carol")
            .values(stored_at=utcnow() + timedelta(minutes=5))
        )
    engine.dispose()
    services.recounts.request(MIA, count_id, [line_id])

    [again] = services.recorder.record([entry(count_id, CAROL, 11)])
    assert isinstance(again.error, PermissionDenied)
    [erin] = services.recorder.record([entry(count_id, Caller("erin", Role.STAFF), 11)])
    assert erin.line_or_raise().line.status == "RECOUNTED"
