"""Completing a count in the service layer, over an in-memory unit of work: which CORRECTIONs
it writes in each mode, the lines whose stock moved, levels never counted, and all-or-nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from inventory_service.bootstrap import ServiceLayer
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
from tests.fakes import FakeDatabase, seed_batch, seed_product

SAM = Caller("sam", Role.STAFF)
MIA = Caller("mia", Role.MANAGER)
APPLY = CompletionOptions(apply_adjustments=True, notes="done")


def count_of(fake_services: ServiceLayer, count_type: CountType = CountType.CYCLE) -> str:
    return fake_services.counts.start(MIA, name="Aisle 1", count_type=count_type).id


def counted(
    fake_services: ServiceLayer, count_id: str, sku: str, quantity: int, lot: str = ""
) -> None:
    entry = CountEntry(
        entry_id=uuid.uuid4().hex,
        inventory_count_id=count_id,
        product=ProductKey(sku=sku),
        quantity=quantity,
        caller=SAM,
        mode=CountMode.SET,
        lot_number=lot,
    )
    [outcome] = fake_services.recorder.record([entry])
    outcome.line_or_raise()


def level(fake_db: FakeDatabase, product_id: str, batch_id: str | None = None) -> int:
    levels = fake_db.table(StockLevel).values()
    key = (product_id, batch_id)
    return next(lv.quantity for lv in levels if (lv.product_id, lv.batch_id) == key)


def set_level(fake_db: FakeDatabase, product_id: str, quantity: int) -> None:
    """A sale between the scan and the completion (as a movement would leave the level)."""
    for lv in fake_db.table(StockLevel).values():
        if lv.product_id == product_id and lv.batch_id is None:
            lv.quantity = quantity


def test_difference_mode_keeps_the_movements_after_the_scan(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    soap = seed_product(fake_db, "SOAP", cost="2.00", on_hand=10)
    tea = seed_product(fake_db, "TEA", on_hand=5)
    count_id = count_of(fake_services)
    counted(fake_services, count_id, "SOAP", 8)  # 2 missing
    counted(fake_services, count_id, "TEA", 5)  # exact
    set_level(fake_db, soap.id, 7)  # 3 sold after the scan

    result = fake_services.completion.complete(MIA, count_id, APPLY)

    assert result.count.status is CountStatus.COMPLETED
    [correction] = result.adjustments
    assert (correction.type, correction.quantity_change) == (AdjustmentType.CORRECTION, -2)
    assert correction.cost_impact == Decimal("-4.00")
    assert (correction.created_by, correction.decided_by) == ("mia", "mia")
    assert level(fake_db, soap.id) == 5  # the sale survives
    assert level(fake_db, tea.id) == 5
    [moved] = result.moved
    assert (moved.line.line.product_id, moved.current_quantity) == (soap.id, 7)


def test_set_counted_mode_overrides_what_moved(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    soap = seed_product(fake_db, "SOAP", on_hand=10)
    count_id = count_of(fake_services)
    counted(fake_services, count_id, "SOAP", 8)
    set_level(fake_db, soap.id, 7)
    options = CompletionOptions(apply_adjustments=True, apply_mode=StockApplyMode.SET_COUNTED)
    [correction] = fake_services.completion.complete(MIA, count_id, options).adjustments
    assert correction.quantity_change == 1
    assert level(fake_db, soap.id) == 8


def test_a_full_count_lists_and_may_zero_the_levels_never_counted(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    seed_product(fake_db, "SOAP", on_hand=10)
    pills = seed_product(fake_db, "PILLS", on_hand=0)
    lot = seed_batch(fake_db, pills, "L-7", on_hand=4)
    seed_product(fake_db, "OLD", on_hand=9, active=False)
    count_id = count_of(fake_services, CountType.FULL)
    counted(fake_services, count_id, "SOAP", 10)

    options = CompletionOptions(apply_adjustments=True, zero_uncounted=True)
    result = fake_services.completion.complete(MIA, count_id, options)

    assert {(u.product_id, u.batch_id, u.quantity) for u in result.uncounted} == {
        (pills.id, None, 0),
        (pills.id, lot.id, 4),
    }
    assert [(a.product_id, a.quantity_change) for a in result.adjustments] == [(pills.id, -4)]
    assert level(fake_db, pills.id, lot.id) == 0


def test_only_whole_site_counts_zero_uncounted_levels(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    seed_product(fake_db, "SOAP", on_hand=10)
    count_id = count_of(fake_services)
    options = CompletionOptions(apply_adjustments=True, zero_uncounted=True)
    with pytest.raises(InvalidArgument) as raised:
        fake_services.completion.complete(MIA, count_id, options)
    assert [v.field for v in raised.value.violations] == ["zero_uncounted"]
    assert fake_db.table(InventoryCount)[count_id].status == CountStatus.IN_PROGRESS.value


def test_a_correction_that_cannot_apply_fails_the_whole_completion(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    soap = seed_product(fake_db, "SOAP", on_hand=10)
    tea = seed_product(fake_db, "TEA", on_hand=10)
    count_id = count_of(fake_services)
    counted(fake_services, count_id, "SOAP", 12)  # +2: applies first
    counted(fake_services, count_id, "TEA", 0)  # -10: but 9 are sold meanwhile
    set_level(fake_db, tea.id, 1)

    with pytest.raises(FailedPrecondition) as raised:
        fake_services.completion.complete(MIA, count_id, APPLY)

    assert raised.value.reason == "INSUFFICIENT_STOCK"
    assert level(fake_db, soap.id) == 10  # its correction was rolled back with the rest
    assert fake_db.table(LedgerEntry) == {}
    assert fake_services.counts.get(MIA, count_id).status is CountStatus.IN_PROGRESS


def test_a_completed_count_takes_no_more_entries_and_cannot_complete_again(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    seed_product(fake_db, "SOAP", on_hand=10)
    count_id = count_of(fake_services)
    first = fake_services.completion.complete(MIA, count_id, APPLY, request_id="done-1")
    again = fake_services.completion.complete(MIA, count_id, APPLY, request_id="done-1")
    assert again.count == first.count
    with pytest.raises(FailedPrecondition) as twice:
        fake_services.completion.complete(MIA, count_id, APPLY)
    assert twice.value.reason == "COUNT_NOT_IN_PROGRESS"
    with pytest.raises(FailedPrecondition):
        counted(fake_services, count_id, "SOAP", 1)
