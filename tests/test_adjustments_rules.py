"""The adjustment rules on their own: no database, no gRPC."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pytest

from inventory_service.domain.adjustment_rules import (
    AdjustmentDraft,
    Decision,
    check_draft,
    ensure_decidable,
    requires_approval,
    sign_problem,
)
from inventory_service.domain.enums import AdjustmentStatus, AdjustmentType
from inventory_service.domain.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from inventory_service.domain.identity import Caller, Role
from inventory_service.domain.quantities import MAX_QUANTITY
from inventory_service.domain.stock_rules import check_stock_change
from inventory_service.domain.thresholds import Thresholds

DEFAULTS = Thresholds()
A = AdjustmentType


@pytest.mark.parametrize(
    ("type_", "change", "cost", "expected"),
    [
        (A.DAMAGE, -50, Decimal("-50.00"), False),
        (A.DAMAGE, -51, Decimal("-51.00"), True),
        (A.FOUND, 50, Decimal("500.00"), False),
        (A.FOUND, 1, Decimal("500.01"), True),
        (A.CORRECTION, -1, Decimal("-500.01"), True),
        (A.CORRECTION, -1, Decimal("-500.000001"), True),
        (A.RETURN, 1, Decimal("0"), False),
        (A.THEFT, -1, Decimal("-0.01"), True),
        (A.THEFT, -1, Decimal("0"), True),
    ],
)
def test_requires_approval_at_the_default_thresholds(
    type_: AdjustmentType, change: int, cost: Decimal, expected: bool
) -> None:
    assert requires_approval(type_, change, cost, DEFAULTS) is expected


def test_thresholds_come_from_settings() -> None:
    strict = Thresholds(approval_units=5, approval_value=Decimal("10.00"))

    assert requires_approval(A.DAMAGE, -6, Decimal("-6"), strict)
    assert requires_approval(A.DAMAGE, -1, Decimal("-10.01"), strict)
    assert not requires_approval(A.DAMAGE, -5, Decimal("-10.00"), strict)


@pytest.mark.parametrize(
    ("type_", "down", "up"),
    [
        (A.DAMAGE, True, False),
        (A.THEFT, True, False),
        (A.EXPIRED, True, False),
        (A.FOUND, False, True),
        (A.CORRECTION, True, True),
        (A.RETURN, True, True),
    ],
)
def test_sign_rules(type_: AdjustmentType, down: bool, up: bool) -> None:
    assert (sign_problem(type_, -1) is None) is down
    assert (sign_problem(type_, 1) is None) is up


GOOD = AdjustmentDraft(product_id="p", type=A.DAMAGE, quantity_change=-1, reason="broken")


def draft(**fields: Any) -> AdjustmentDraft:
    return replace(GOOD, **fields)


def test_a_good_draft_passes() -> None:
    check_draft(draft())


def test_wrong_sign_alone_has_its_own_reason() -> None:
    with pytest.raises(InvalidArgument) as raised:
        check_draft(draft(quantity_change=3))

    assert raised.value.reason == "QUANTITY_SIGN_MISMATCH"
    assert [v.field for v in raised.value.violations] == ["quantity_change"]


def test_all_problems_at_once() -> None:
    with pytest.raises(InvalidArgument) as raised:
        check_draft(
            draft(product_id="", type=None, quantity_change=0, reason=" ", notes="n" * 2001)
        )

    assert raised.value.reason == "INVALID_ARGUMENT"
    assert {v.field for v in raised.value.violations} == {
        "product_id",
        "type",
        "quantity_change",
        "reason",
        "notes",
    }


@dataclass(frozen=True)
class Adjustment:
    """What a decision reads of an adjustment."""

    id: str
    status: str
    created_by: str


def pending_by(user: str, status: AdjustmentStatus = AdjustmentStatus.PENDING) -> Adjustment:
    return Adjustment(id="a-1", created_by=user, status=status.value)


def test_the_creator_may_not_decide() -> None:
    manager = Caller("boss", Role.MANAGER)

    with pytest.raises(PermissionDenied) as approving:
        ensure_decidable(pending_by("boss"), manager, Decision.APPROVE)
    with pytest.raises(PermissionDenied) as rejecting:
        ensure_decidable(pending_by("boss"), manager, Decision.REJECT)

    assert approving.value.reason == "SELF_APPROVAL_FORBIDDEN"
    assert rejecting.value.reason == "SELF_REJECTION_FORBIDDEN"


@pytest.mark.parametrize("status", [AdjustmentStatus.APPLIED, AdjustmentStatus.REJECTED])
def test_only_pending_is_decided(status: AdjustmentStatus) -> None:
    with pytest.raises(FailedPrecondition) as raised:
        ensure_decidable(
            pending_by("clerk", status), Caller("boss", Role.MANAGER), Decision.APPROVE
        )

    assert raised.value.reason == "ADJUSTMENT_NOT_PENDING"


def test_another_manager_may_decide_a_pending_one() -> None:
    ensure_decidable(pending_by("clerk"), Caller("boss", Role.MANAGER), Decision.APPROVE)


def test_a_stock_change_never_takes_a_level_below_zero_or_past_the_bound() -> None:
    check_stock_change("p-1", None, on_hand=5, delta=-5)
    with pytest.raises(FailedPrecondition) as short:
        check_stock_change("p-1", "b-1", on_hand=5, delta=-6)
    assert short.value.reason == "INSUFFICIENT_STOCK"
    assert short.value.violations[0].subject == "products/p-1/batches/b-1"
    with pytest.raises(FailedPrecondition) as past:
        check_stock_change("p-1", None, on_hand=MAX_QUANTITY, delta=1)
    assert past.value.reason == "STOCK_LIMIT_EXCEEDED"
