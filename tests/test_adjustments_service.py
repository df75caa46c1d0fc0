"""The adjustment workflow in the service layer, over an in-memory unit of work: creation,
approval and rejection, and what each leaves of stock and the ledger. Milliseconds each; the
end-to-end tests cover the same through a real channel and database. The count of pending
approvals is read with SQL of its own, so its test runs on the real databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from inventory_service.bootstrap import ServiceLayer
from inventory_service.db.models import LedgerEntry, StockLevel
from inventory_service.domain.adjustment_rules import AdjustmentDraft
from inventory_service.domain.catalog_rules import ProductDraft
from inventory_service.domain.enums import AdjustmentStatus, AdjustmentType
from inventory_service.domain.errors import FailedPrecondition, PermissionDenied
from inventory_service.domain.identity import Caller, Role
from inventory_service.services.adjustments.adjustment_views import PendingApprovals
from tests.fakes import FakeDatabase, seed_product

SAM = Caller("sam", Role.STAFF)
MIA = Caller("mia", Role.MANAGER)
MAX = Caller("max", Role.MANAGER)


def on_hand(fake_db: FakeDatabase, product_id: str) -> int:
    levels = fake_db.table(StockLevel).values()
    return sum(level.quantity for level in levels if level.product_id == product_id)


def ledger(fake_db: FakeDatabase) -> list[tuple[int, int, int]]:
    rows = sorted(fake_db.table(LedgerEntry).values(), key=lambda e: e.sequence)
    return [(e.quantity_before, e.quantity_delta, e.quantity_after) for e in rows]


def draft(product_id: str, type_: AdjustmentType, change: int) -> AdjustmentDraft:
    return AdjustmentDraft(product_id=product_id, type=type_, quantity_change=change, reason="x")


def test_a_small_adjustment_applies_at_once_through_the_ledger(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    soap = seed_product(fake_db, "SOAP", cost="2.00", on_hand=40)
    made = fake_services.adjustments.create(SAM, draft(soap.id, AdjustmentType.DAMAGE, -3))
    assert made.status is AdjustmentStatus.APPLIED
    assert (made.quantity_before, made.quantity_after) == (40, 37)
    assert made.cost_impact == Decimal("-6.00")
    assert on_hand(fake_db, soap.id) == 37
    assert ledger(fake_db) == [(40, -3, 37)]


def test_a_theft_waits_for_a_manager_who_did_not_report_it(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    soap = seed_product(fake_db, "SOAP", on_hand=40)
    pending = fake_services.adjustments.create(MIA, draft(soap.id, AdjustmentType.THEFT, -2))
    assert pending.status is AdjustmentStatus.PENDING
    assert pending.quantity_before is None
    assert on_hand(fake_db, soap.id) == 40

    with pytest.raises(PermissionDenied) as own:
        fake_services.adjustments.approve(MIA, pending.id)
    assert own.value.reason == "SELF_APPROVAL_FORBIDDEN"
    assert on_hand(fake_db, soap.id) == 40

    approved = fake_services.adjustments.approve(MAX, pending.id, "seen on camera")
    assert approved.status is AdjustmentStatus.APPLIED
    assert (approved.quantity_before, approved.quantity_after) == (40, 38)
    assert (approved.decided_by, approved.decision_notes) == ("max", "seen on camera")
    assert ledger(fake_db) == [(40, -2, 38)]

    with pytest.raises(FailedPrecondition) as twice:
        fake_services.adjustments.approve(MAX, pending.id)
    assert twice.value.reason == "ADJUSTMENT_NOT_PENDING"
    assert on_hand(fake_db, soap.id) == 38


def test_approval_takes_before_and_after_at_the_moment_it_applies(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    soap = seed_product(fake_db, "SOAP", on_hand=100)
    pending = fake_services.adjustments.create(SAM, draft(soap.id, AdjustmentType.CORRECTION, -60))
    fake_services.adjustments.create(SAM, draft(soap.id, AdjustmentType.DAMAGE, -30))
    approved = fake_services.adjustments.approve(MIA, pending.id)
    assert (approved.quantity_before, approved.quantity_after) == (70, 10)


def test_an_approval_that_would_go_below_zero_changes_nothing(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    soap = seed_product(fake_db, "SOAP", on_hand=100)
    pending = fake_services.adjustments.create(SAM, draft(soap.id, AdjustmentType.CORRECTION, -60))
    fake_services.adjustments.create(SAM, draft(soap.id, AdjustmentType.DAMAGE, -50))
    with pytest.raises(FailedPrecondition) as short:
        fake_services.adjustments.approve(MIA, pending.id)
    assert short.value.reason == "INSUFFICIENT_STOCK"
    assert fake_services.adjustments.get(SAM, pending.id).status is AdjustmentStatus.PENDING
    assert on_hand(fake_db, soap.id) == 50
    assert ledger(fake_db) == [(100, -50, 50)]


def test_a_rejection_closes_the_adjustment_without_touching_stock(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    soap = seed_product(fake_db, "SOAP", on_hand=10)
    pending = fake_services.adjustments.create(SAM, draft(soap.id, AdjustmentType.THEFT, -1))
    rejected = fake_services.adjustments.reject(MIA, pending.id, "found it behind the shelf")
    assert rejected.status is AdjustmentStatus.REJECTED
    assert rejected.quantity_after is None
    assert on_hand(fake_db, soap.id) == 10
    assert ledger(fake_db) == []


def test_pending_approvals_count_what_waits_and_date_the_oldest(services: ServiceLayer) -> None:
    """What the metrics endpoint reports, read from a real database (both backends)."""
    assert services.adjustments.pending_approvals() == PendingApprovals(0, None)
    admin = Caller("ada", Role.ADMIN)
    soap = services.products.create(
        admin, ProductDraft(sku="SOAP", name="Soap", unit_cost=Decimal("2.00")), opening_quantity=9
    )
    before = datetime.now(UTC)
    first = services.adjustments.create(SAM, draft(soap.id, AdjustmentType.THEFT, -1))
    services.adjustments.create(SAM, draft(soap.id, AdjustmentType.THEFT, -2))
    decided = services.adjustments.create(SAM, draft(soap.id, AdjustmentType.THEFT, -3))
    services.adjustments.reject(MIA, decided.id, "found")
    services.adjustments.create(SAM, draft(soap.id, AdjustmentType.DAMAGE, -1))  # applied

    pending = services.adjustments.pending_approvals()
    assert pending.waiting == 2
    assert pending.oldest_created_at == first.created_at
    assert pending.oldest_created_at is not None
    assert pending.oldest_created_at >= before - timedelta(seconds=1)
