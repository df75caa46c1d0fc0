"""The rules of a stock adjustment that need no database: what a valid request looks like,
which sign each type allows, when a manager must approve, and who may decide."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from inventory_service.domain.enums import AdjustmentStatus, AdjustmentType
from inventory_service.domain.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    PermissionDenied,
    PreconditionViolation,
)
from inventory_service.domain.identity import Caller
from inventory_service.domain.places import NO_LOCATION, LocationKey
from inventory_service.domain.quantities import TOO_LARGE, out_of_range
from inventory_service.domain.thresholds import Thresholds

MAX_REASON = 500
MAX_NOTES = 2000
MAX_REFERENCE = 200  # the column's width

DECREASING = frozenset({AdjustmentType.DAMAGE, AdjustmentType.THEFT, AdjustmentType.EXPIRED})
INCREASING = frozenset({AdjustmentType.FOUND})
ALWAYS_NEEDS_APPROVAL = frozenset({AdjustmentType.THEFT})

SIGN_MISMATCH = "QUANTITY_SIGN_MISMATCH"


class Decision(enum.Enum):
    """What a manager does with a pending adjustment; the value is the reason code given to
    its creator trying it on their own adjustment."""

    APPROVE = "SELF_APPROVAL_FORBIDDEN"
    REJECT = "SELF_REJECTION_FORBIDDEN"


class Decidable(Protocol):
    """What a decision needs to know of an adjustment."""

    id: str
    status: str
    created_by: str


@dataclass(frozen=True)
class AdjustmentDraft:
    """A new adjustment as the caller asks for it. type None means 'not given'."""

    product_id: str
    type: AdjustmentType | None
    quantity_change: int
    reason: str
    batch_id: str = ""
    notes: str = ""
    reference_number: str = ""
    # Where the stock is (the default place when none is named).
    location: LocationKey = NO_LOCATION


def sign_problem(adjustment_type: AdjustmentType, quantity_change: int) -> str | None:
    """Why quantity_change has the wrong sign for the type, or None when it fits."""
    if adjustment_type in DECREASING and quantity_change > 0:
        return f"{adjustment_type.value} decreases stock: the change must be negative"
    if adjustment_type in INCREASING and quantity_change < 0:
        return f"{adjustment_type.value} increases stock: the change must be positive"
    return None


def check_draft(draft: AdjustmentDraft) -> None:
    """INVALID_ARGUMENT listing every problem of the draft at once.

    The reason code is QUANTITY_SIGN_MISMATCH when a wrong sign is the only problem, so a
    client can tell it apart from a malformed request."""
    problems: list[tuple[FieldViolation, str]] = []

    def add(field_name: str, description: str, reason: str = "INVALID_ARGUMENT") -> None:
        problems.append((FieldViolation(field_name, description), reason))

    if not draft.product_id:
        add("product_id", "required")
    if draft.type is None:
        add("type", "required")
    if draft.quantity_change == 0:
        add("quantity_change", "must not be zero")
    elif out_of_range(draft.quantity_change):
        add("quantity_change", TOO_LARGE)
    elif draft.type is not None:
        problem = sign_problem(draft.type, draft.quantity_change)
        if problem:
            add("quantity_change", problem, SIGN_MISMATCH)
    if not draft.reason.strip():
        add("reason", "required")
    elif len(draft.reason) > MAX_REASON:
        add("reason", f"at most {MAX_REASON} characters")
    if len(draft.notes) > MAX_NOTES:
        add("notes", f"at most {MAX_NOTES} characters")
    if len(draft.reference_number) > MAX_REFERENCE:
        add("reference_number", f"at most {MAX_REFERENCE} characters")
    if problems:
        reasons = {reason for _, reason in problems}
        raise InvalidArgument(
            [violation for violation, _ in problems],
            reason=reasons.pop() if len(reasons) == 1 else "INVALID_ARGUMENT",
        )


def requires_approval(
    adjustment_type: AdjustmentType,
    quantity_change: int,
    cost_impact: Decimal,
    thresholds: Thresholds,
) -> bool:
    """A manager must approve above either threshold (equal to it is fine), or for THEFT."""
    return (
        abs(quantity_change) > thresholds.approval_units
        or abs(cost_impact) > thresholds.approval_value
        or adjustment_type in ALWAYS_NEEDS_APPROVAL
    )


def check_notes(notes: str, *, required: bool) -> None:
    if required and not notes.strip():
        raise InvalidArgument.one("notes", "required: say why")
    if len(notes) > MAX_NOTES:
        raise InvalidArgument.one("notes", f"at most {MAX_NOTES} characters")


def ensure_decidable(adjustment: Decidable, caller: Caller, decision: Decision) -> None:
    """Only a PENDING adjustment is decided, and never by the user who created it."""
    if adjustment.created_by == caller.user_id:
        raise PermissionDenied(
            f"nobody may {decision.name.lower()} a stock adjustment they created themselves",
            reason=decision.value,
        )
    if adjustment.status != AdjustmentStatus.PENDING.value:
        raise FailedPrecondition(
            f"stock adjustment {adjustment.id} is {adjustment.status}; only a PENDING one "
            f"can be decided",
            reason="ADJUSTMENT_NOT_PENDING",
            violations=[
                PreconditionViolation(
                    "STATUS",
                    f"stockAdjustments/{adjustment.id}",
                    f"status is {adjustment.status}, not PENDING",
                )
            ],
            metadata={"status": adjustment.status},
        )
