"""What well-formed catalog input is: product fields, batches, stock movements."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from inventory_service.domain.enums import TrackingMode
from inventory_service.domain.errors import ErrorCollector
from inventory_service.domain.gtin import gtin_problem
from inventory_service.domain.money import is_micro_exact
from inventory_service.domain.places import NO_LOCATION, LocationKey
from inventory_service.domain.quantities import TOO_LARGE, out_of_range

SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")
MAX_NAME = 200
MAX_LOT = 64
MAX_TEXT = 500
MAX_REFERENCE = 200
MAX_MOVEMENTS = 1000


@dataclass(frozen=True)
class ProductDraft:
    """Product fields as a caller gives them. None means 'not given'."""

    sku: str | None = None
    barcode: str | None = None
    name: str | None = None
    unit_cost: Decimal | None = None
    active: bool | None = None
    tracking: TrackingMode | None = None


@dataclass(frozen=True)
class MovementInput:
    product_id: str
    batch_id: str | None
    quantity_delta: int
    source_reference: str
    reason: str
    # Where the stock comes in or goes out (the default place when none is named).
    location: LocationKey = NO_LOCATION


def check_product(draft: ProductDraft, errors: ErrorCollector, *, creating: bool) -> None:
    """Adds the violations of the fields given (all of them when creating)."""
    if draft.sku is not None or creating:
        if not draft.sku:
            errors.add("product.sku", "required")
        elif not SKU_PATTERN.match(draft.sku):
            errors.add(
                "product.sku", "1-64 letters, digits or . _ - /, starting with a letter or digit"
            )
    if draft.barcode:
        problem = gtin_problem(draft.barcode)
        if problem:
            errors.add("product.barcode", f"not a GTIN: {problem}")
    if draft.name is not None or creating:
        if not draft.name or not draft.name.strip():
            errors.add("product.name", "required")
        elif len(draft.name) > MAX_NAME:
            errors.add("product.name", f"at most {MAX_NAME} characters")
    if draft.unit_cost is not None or creating:
        if draft.unit_cost is None:
            errors.add("product.unit_cost", "required")
        elif draft.unit_cost < 0:
            errors.add("product.unit_cost", "must not be negative")
        elif not is_micro_exact(draft.unit_cost):
            errors.add("product.unit_cost", "at most 6 decimal places")


def check_opening_quantity(quantity: int, errors: ErrorCollector) -> None:
    if quantity < 0:
        errors.add("opening_quantity", "must not be negative")
    elif out_of_range(quantity):
        errors.add("opening_quantity", TOO_LARGE)


def check_batch(product_id: str, lot_number: str, errors: ErrorCollector) -> None:
    if not product_id:
        errors.add("batch.product_id", "required")
    if not lot_number.strip():
        errors.add("batch.lot_number", "required")
    elif len(lot_number) > MAX_LOT:
        errors.add("batch.lot_number", f"at most {MAX_LOT} characters")


def check_movements(movements: Sequence[MovementInput]) -> None:
    """INVALID_ARGUMENT naming every bad field of every movement."""
    errors = ErrorCollector()
    if not movements:
        errors.add("movements", "at least one movement")
    if len(movements) > MAX_MOVEMENTS:
        errors.add("movements", f"at most {MAX_MOVEMENTS} per call")
    for i, m in enumerate(movements):
        if not m.product_id:
            errors.add(f"movements[{i}].product_id", "required")
        if m.quantity_delta == 0:
            errors.add(f"movements[{i}].quantity_delta", "must not be zero")
        elif out_of_range(m.quantity_delta):
            errors.add(f"movements[{i}].quantity_delta", TOO_LARGE)
        if not m.source_reference.strip():
            errors.add(f"movements[{i}].source_reference", "required")
        elif len(m.source_reference) > MAX_REFERENCE:
            errors.add(f"movements[{i}].source_reference", f"at most {MAX_REFERENCE} characters")
        if len(m.reason) > MAX_TEXT:
            errors.add(f"movements[{i}].reason", f"at most {MAX_TEXT} characters")
    errors.raise_if_any()
