"""What a well-formed transfer is, and who may move stock between which places: staff within
a site, managers across sites."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inventory_service.domain.catalog_rules import MAX_REFERENCE, MAX_TEXT
from inventory_service.domain.errors import ErrorCollector, InvalidArgument, PermissionDenied
from inventory_service.domain.identity import Caller, Role
from inventory_service.domain.places import LocationKey, check_location_key
from inventory_service.domain.quantities import TOO_LARGE, out_of_range

MAX_LINES = 1000


@dataclass(frozen=True)
class TransferLine:
    """Units of one product (and batch) from one location to another."""

    product_id: str
    batch_id: str | None
    from_location: LocationKey
    to_location: LocationKey
    quantity: int


def check_transfer(lines: Sequence[TransferLine], reason: str, source_reference: str) -> None:
    """INVALID_ARGUMENT naming every bad field of every line."""
    errors = ErrorCollector()
    if not lines:
        errors.add("lines", "at least one line")
    if len(lines) > MAX_LINES:
        errors.add("lines", f"at most {MAX_LINES} per call")
    for i, line in enumerate(lines):
        if not line.product_id:
            errors.add(f"lines[{i}].product_id", "required")
        for name, key in (("from_location", line.from_location), ("to_location", line.to_location)):
            field_name = f"lines[{i}].{name}"
            if not key.given:
                errors.add(field_name, "required: a location id, or a site code and/or code")
            problem = check_location_key(key, field_name)
            if problem is not None:
                errors.extend(problem.violations)
        if line.quantity <= 0:
            errors.add(f"lines[{i}].quantity", "must be positive")
        elif out_of_range(line.quantity):
            errors.add(f"lines[{i}].quantity", TOO_LARGE)
    if len(reason) > MAX_TEXT:
        errors.add("reason", f"at most {MAX_TEXT} characters")
    if len(source_reference) > MAX_REFERENCE:
        errors.add("source_reference", f"at most {MAX_REFERENCE} characters")
    errors.raise_if_any()


def same_location(index: int, location_id: str) -> InvalidArgument:
    return InvalidArgument.one(
        f"lines[{index}].to_location", f"names the location it leaves ({location_id})"
    )


def check_cross_site(caller: Caller, from_site: str, to_site: str) -> None:
    """A transfer between two sites needs a manager: PERMISSION_DENIED, CROSS_SITE_TRANSFER."""
    if from_site != to_site and not caller.at_least(Role.MANAGER):
        raise PermissionDenied(
            f"moving stock from site {from_site} to site {to_site} needs a manager",
            reason="CROSS_SITE_TRANSFER",
        )
