"""The lot rules on their own (domain/lot_rules.py) and in the service layer over an in-memory
unit of work: which stock change names a batch, when tracking may change, when a batch is
expired."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from inventory_service.bootstrap import ServiceLayer
from inventory_service.domain.catalog_keys import ProductKey
from inventory_service.domain.catalog_rules import ProductDraft
from inventory_service.domain.count_entries import CountEntry
from inventory_service.domain.enums import CountType, TrackingMode
from inventory_service.domain.errors import FailedPrecondition, InvalidArgument
from inventory_service.domain.identity import Caller, Role
from inventory_service.domain.lot_rules import (
    BATCH_REQUIRED,
    PRODUCT_NOT_LOT_TRACKED,
    TRACKING_CHANGE_WITH_STOCK,
    batch_problem,
    check_tracking_change,
    first_problem,
    is_expired,
)
from tests.fakes import FakeDatabase, seed_batch, seed_product

ADA = Caller("ada", Role.ADMIN)
SAM = Caller("sam", Role.STAFF)
LOT, NONE = TrackingMode.LOT.value, TrackingMode.NONE.value


@pytest.mark.parametrize(
    ("tracking", "names_batch", "reason"),
    [
        (LOT, True, None),
        (LOT, False, BATCH_REQUIRED),
        (NONE, False, None),
        (NONE, True, PRODUCT_NOT_LOT_TRACKED),
    ],
)
def test_a_lot_product_names_a_batch_and_another_names_none(
    tracking: str, names_batch: bool, reason: str | None
) -> None:
    problem = batch_problem(tracking, "PILLS", names_batch=names_batch, field_name="batch_id")
    assert (problem.reason if problem else None) == reason
    if problem:
        assert [v.field for v in problem.violations] == ["batch_id"]


def test_several_changes_report_every_bad_field_with_the_first_reason() -> None:
    problem = first_problem(
        [
            None,
            batch_problem(LOT, "A", names_batch=False, field_name="movements[1].batch_id"),
            batch_problem(NONE, "B", names_batch=True, field_name="movements[2].batch_id"),
        ]
    )
    assert problem is not None
    assert problem.reason == BATCH_REQUIRED
    assert [v.field for v in problem.violations] == [
        "movements[1].batch_id",
        "movements[2].batch_id",
    ]
    assert first_problem([None, None]) is None


def test_tracking_changes_only_without_stock_held_the_other_way() -> None:
    check_tracking_change("p", NONE, LOT, unbatched=0, batched=0)
    check_tracking_change("p", LOT, NONE, unbatched=0, batched=0)
    check_tracking_change("p", LOT, LOT, unbatched=5, batched=5)  # no change
    with pytest.raises(FailedPrecondition) as to_lot:
        check_tracking_change("p", NONE, LOT, unbatched=3, batched=0)
    with pytest.raises(FailedPrecondition) as to_none:
        check_tracking_change("p", LOT, NONE, unbatched=0, batched=2)
    assert to_lot.value.reason == to_none.value.reason == TRACKING_CHANGE_WITH_STOCK
    assert to_lot.value.metadata["quantity"] == "3"


def test_a_batch_is_expired_the_day_after_its_expiry_date() -> None:
    assert not is_expired(date(2026, 5, 31), date(2026, 5, 31))
    assert is_expired(date(2026, 5, 31), date(2026, 6, 1))
    assert not is_expired(None, date(2099, 1, 1))


def test_the_service_layer_refuses_an_unbatched_entry_of_a_lot_product(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    pills = seed_product(fake_db, "PILLS")
    seed_batch(fake_db, pills, "L-7", on_hand=4)
    count_id = fake_services.counts.start(ADA, name="Shelf", count_type=CountType.SPOT).id

    def entry(lot: str) -> CountEntry:
        return CountEntry(
            uuid.uuid4().hex, count_id, ProductKey(sku="PILLS"), 4, SAM, lot_number=lot
        )

    refused, kept = fake_services.recorder.record([entry(""), entry("L-7")])

    assert isinstance(refused.error, InvalidArgument)
    assert refused.error.reason == BATCH_REQUIRED
    assert kept.line is not None
    assert kept.line.lot_number == "L-7"


def test_the_service_layer_changes_tracking_of_an_empty_product(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    soap = seed_product(fake_db, "SOAP", on_hand=2)
    with pytest.raises(FailedPrecondition):
        fake_services.products.update(ADA, soap.id, ProductDraft(tracking=TrackingMode.LOT))
    empty = seed_product(fake_db, "EMPTY")
    view = fake_services.products.update(ADA, empty.id, ProductDraft(tracking=TrackingMode.LOT))
    assert view.tracking == TrackingMode.LOT
