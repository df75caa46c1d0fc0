"""Lot tracking: a LOT product holds every unit in a batch, so each of its stock changes names
one; a NONE product holds unbatched stock only, so none of its changes may name one. One rule,
called by every path that changes stock (opening stock, movements, adjustments, count entries).
And when a batch counts as expired."""

from __future__ import annotations

from datetime import date

from inventory_service.domain.enums import TrackingMode
from inventory_service.domain.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    PreconditionViolation,
)

BATCH_REQUIRED = "BATCH_REQUIRED"
PRODUCT_NOT_LOT_TRACKED = "PRODUCT_NOT_LOT_TRACKED"
TRACKING_CHANGE_WITH_STOCK = "TRACKING_CHANGE_WITH_STOCK"


def batch_problem(
    tracking: str, sku: str, *, names_batch: bool, field_name: str
) -> InvalidArgument | None:
    """The error of a stock change of a product tracked so that names a batch (or not);
    None when it is well-formed."""
    if tracking == TrackingMode.LOT and not names_batch:
        return InvalidArgument(
            [FieldViolation(field_name, f"{sku} is lot-tracked: name its batch (or lot number)")],
            reason=BATCH_REQUIRED,
        )
    if tracking != TrackingMode.LOT and names_batch:
        return InvalidArgument(
            [FieldViolation(field_name, f"{sku} is not lot-tracked: it holds no batches")],
            reason=PRODUCT_NOT_LOT_TRACKED,
        )
    return None


def check_batch_named(tracking: str, sku: str, *, names_batch: bool, field_name: str) -> None:
    """INVALID_ARGUMENT BATCH_REQUIRED or PRODUCT_NOT_LOT_TRACKED (see batch_problem)."""
    problem = batch_problem(tracking, sku, names_batch=names_batch, field_name=field_name)
    if problem is not None:
        raise problem


def first_problem(problems: list[InvalidArgument | None]) -> InvalidArgument | None:
    """One error naming every bad field of several changes, with the first one's reason."""
    found = [p for p in problems if p is not None]
    if not found:
        return None
    return InvalidArgument([v for p in found for v in p.violations], reason=found[0].reason)


def check_tracking_change(
    product_id: str, current: str, wanted: str, *, unbatched: int, batched: int
) -> None:
    """A product may change how it is tracked only when it holds no stock the other way:
    no unbatched stock to become LOT, no stock in batches to become NONE."""
    if current == wanted:
        return
    held = unbatched if wanted == TrackingMode.LOT else batched
    if held <= 0:
        return
    kind = "unbatched stock" if wanted == TrackingMode.LOT else "stock in batches"
    settle = (
        "move it into a batch (adjust it out, then into a batch) first"
        if wanted == TrackingMode.LOT
        else "adjust it out of its batches first"
    )
    raise FailedPrecondition(
        f"product {product_id} holds {held} units of {kind}: it cannot become {wanted}; {settle}",
        reason=TRACKING_CHANGE_WITH_STOCK,
        violations=[
            PreconditionViolation(
                "STOCK", f"products/{product_id}", f"{held} units of {kind} on hand"
            )
        ],
        metadata={"tracking": current, "requested": wanted, "quantity": str(held)},
    )


def is_expired(expiry_date: date | None, on: date) -> bool:
    """A batch is expired on a day after its expiry date (it may still be on the shelf)."""
    return expiry_date is not None and expiry_date < on
