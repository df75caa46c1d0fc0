"""The rule every stock change obeys: a level never goes below zero, nor past the bound."""

from __future__ import annotations

from collections.abc import Callable

from inventory_service.domain.errors import FailedPrecondition, PreconditionViolation
from inventory_service.domain.quantities import MAX_QUANTITY, out_of_range


def check_stock_change(
    product_id: str,
    batch_id: str | None,
    on_hand: int,
    delta: int,
    describe: Callable[[], str] | None = None,
) -> None:
    """FAILED_PRECONDITION (INSUFFICIENT_STOCK) when delta would take the level below zero,
    STOCK_LIMIT_EXCEEDED when past the quantity bound. describe: the level as people name it
    (SKU and lot), asked only for the message of a refusal; the violation keeps the ids."""
    after = on_hand + delta
    if after < 0:
        subject = f"products/{product_id}" + (f"/batches/{batch_id}" if batch_id else "")
        named = describe() if describe is not None else subject
        raise FailedPrecondition(
            f"stock of {named} is {on_hand}; a change of {delta} would take it below zero",
            reason="INSUFFICIENT_STOCK",
            violations=[
                PreconditionViolation(
                    "STOCK", subject, f"on hand {on_hand}, change {delta}: would be {after}"
                )
            ],
            metadata={"on_hand": str(on_hand), "quantity_delta": str(delta)},
        )
    if out_of_range(after):
        raise FailedPrecondition(
            f"a change of {delta} would take stock past {MAX_QUANTITY} units",
            reason="STOCK_LIMIT_EXCEEDED",
            metadata={"on_hand": str(on_hand), "quantity_delta": str(delta)},
        )
