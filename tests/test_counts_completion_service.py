"""Completing a count in the service layer, over an in-memory unit of work: which CORRECTIONs
it writes in each mode, the lines whose stock moved, levels never counted, and all-or-nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from inventory_service.bootstrap import ServiceLayer, build_services
from inventory_service.db.models import InventoryCount, LedgerEntry, StockLevel
from inventory_service.domain.catalog_keys import ProductKey
from inventory_service.domain.completion_rules import CompletionOptions
from inventory_service.domain.count_entries import CountEntry
from inventory_service.domain.enums import (
    AdjustmentType,
    CountMode,
    CountStatus,
    CountType,
    StockApplyMode,
)
from inventory_service.domain.errors import FailedPrecondition, InvalidArgument
from inventory_service.domain.identity import Caller, Role
from inventory_service.settings import Settings
from tests.fakes import FakeDatabase, fake_uow_factory, seed_batch, seed_product

SAM = Caller("sam", Role.STAFF)
MIA = Caller("mia", Role.MANAGER)
APPLY = CompletionOptions(apply_adjustments=True, notes="done")


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def services(db: FakeDatabase) -> ServiceLayer:
    return build_services(fake_uow_factory(db), Settings())  # type: ignore[arg-type]


def count_of(services: ServiceLayer, count_type: CountType = CountType.CYCLE) -> str:
    return services.counts.start(MIA, name="Aisle 1", count_type=count_type).id


def counted(services: ServiceLayer, count_id: str, sku: str, quantity: int, lot: str = "") -> None:
    entry = CountEntry(
        entry_id=uuid.uuid4().hex,
        inventory_count_id=count_id,
        product=ProductKey(sku=sku),
        quantity=quantity,
        caller=SAM,
        mode=CountMode.SET,
        lot_number=lot,
    )
    [outcome] = services.recorder.record([entry])
    outcome.line_or_raise()


def level(db: FakeDatabase, product_id: str, batch_id: str | None = None) -> int:
    levels = db.table(StockLevel).values()
    key = (product_id, batch_id)
    return next(lv.quantity for lv in levels if (lv.product_id, lv.batch_id) == key)


def set_level(db: FakeDatabase, product_id: str, quantity: int) -> None:
    """A sale between the scan and the completion (as a movement would leave the level)."""
    for lv in db.table(StockLevel).values():
        if lv.product_id == product_id and lv.batch_id is None:
            lv.quantity = quantity


def test_difference_mode_keeps_the_movements_after_the_scan(
    db: FakeDatabase, services: ServiceLayer
) -> None:
    soap = seed_product(db, "SOAP", cost="2.00", on_hand=10)
    tea = seed_product(db, "TEA", on_hand=5)
    count_id = count_of(services)
    counted(services, count_id, "SOAP", 8)  # 2 missing
    counted(services, count_id, "TEA", 5)  # exact
    set_level(db, soap.id, 7)  # 3 sold after the scan

    result = services.completion.complete(MIA, count_id, APPLY)

    assert result.count.status is CountStatus.COMPLETED
    [correction] = result.adjustments
    assert (correction.type, correction.quantity_change) == (AdjustmentType.CORRECTION, -2)
    assert correction.cost_impact == Decimal("-4.00")
    assert (correction.created_by, correction.decided_by) == ("mia", "mia")
    assert level(db, soap.id) == 5  # the sale survives
    assert level(db, tea.id) == 5
    [moved] = result.moved
    assert (moved.line.line.product_id, moved.current_quantity) == (soap.id, 7)


def test_set_counted_mode_overrides_what_moved(db: FakeDatabase, services: ServiceLayer) -> None:
    soap = seed_product(db, "SOAP", on_hand=10)
    count_id = count_of(services)
    counted(services, count_id, "SOAP", 8)
    set_level(db, soap.id, 7)
    options = CompletionOptions(apply_adjustments=True, apply_mode=StockApplyMode.SET_COUNTED)
    [correction] = services.completion.complete(MIA, count_id, options).adjustments
    assert correction.quantity_change == 1
    assert level(db, soap.id) == 8


def test_a_full_count_lists_and_may_zero_the_levels_never_counted(
    db: FakeDatabase, services: ServiceLayer
) -> None:
    seed_product(db, "SOAP", on_hand=10)
    pills = seed_product(db, "PILLS", on_hand=0)
    lot = seed_batch(db, pills, "L-7", on_hand=4)
    seed_product(db, "OLD", on_hand=9, active=False)
    count_id = count_of(services, CountType.FULL)
    counted(services, count_id, "SOAP", 10)

    options = CompletionOptions(apply_adjustments=True, zero_uncounted=True)
    result = services.completion.complete(MIA, count_id, options)

    assert {(u.product_id, u.batch_id, u.quantity) for u in result.uncounted} == {
        (pills.id, None, 0),
        (pills.id, lot.id, 4),
    }
    assert [(a.product_id, a.quantity_change) for a in result.adjustments] == [(pills.id, -4)]
    assert level(db, pills.id, lot.id) == 0


def test_only_whole_site_counts_zero_uncounted_levels(
    db: FakeDatabase, services: ServiceLayer
) -> None:
    seed_product(db, "SOAP", on_hand=10)
    count_id = count_of(services)
    options = CompletionOptions(apply_adjustments=True, zero_uncounted=True)
    with pytest.raises(InvalidArgument) as raised:
        services.completion.complete(MIA, count_id, options)
    assert [v.field for v in raised.value.violations] == ["zero_uncounted"]
    assert db.table(InventoryCount)[count_id].status == CountStatus.IN_PROGRESS.value


def test_a_correction_that_cannot_apply_fails_the_whole_completion(
    db: FakeDatabase, services: ServiceLayer
) -> None:
    soap = seed_product(db, "SOAP", on_hand=10)
    tea = seed_product(db, "TEA", on_hand=10)
    count_id = count_of(services)
    counted(services, count_id, "SOAP", 12)  # +2: applies first
    counted(services, count_id, "TEA", 0)  # -10: but 9 are sold meanwhile
    set_level(db, tea.id, 1)

    with pytest.raises(FailedPrecondition) as raised:
        services.completion.complete(MIA, count_id, APPLY)

    assert raised.value.reason == "INSUFFICIENT_STOCK"
    assert level(db, soap.id) == 10  # its correction was rolled back with the rest
    assert db.table(LedgerEntry) == {}
    assert services.counts.get(count_id).status is CountStatus.IN_PROGRESS


def test_a_completed_count_takes_no_more_entries_and_cannot_complete_again(
    db: FakeDatabase, services: ServiceLayer
) -> None:
    seed_product(db, "SOAP", on_hand=10)
    count_id = count_of(services)
    first = services.completion.complete(MIA, count_id, APPLY, request_id="done-1")
    again = services.completion.complete(MIA, count_id, APPLY, request_id="done-1")
    assert again.count == first.count
    with pytest.raises(FailedPrecondition) as twice:
        services.completion.complete(MIA, count_id, APPLY)
    assert twice.value.reason == "COUNT_NOT_IN_PROGRESS"
    with pytest.raises(FailedPrecondition):
        counted(services, count_id, "SOAP", 1)
