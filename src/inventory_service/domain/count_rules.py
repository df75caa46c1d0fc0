"""The rules of a count line and of blind counts, as pure functions (no database, no gRPC)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from inventory_service.domain.enums import CountMode, StockApplyMode
from inventory_service.domain.identity import Caller, Role
from inventory_service.domain.money import line_value
from inventory_service.domain.thresholds import Thresholds


@dataclass(frozen=True)
class LineFigures:
    """What a line records about one (re)count."""

    system_quantity: int
    counted_quantity: int
    variance: int
    variance_value: Decimal
    significant: bool


def is_significant(variance: int, variance_value: Decimal, thresholds: Thresholds) -> bool:
    """Over either review threshold; a line without a variance never is."""
    if variance == 0:
        return False
    return (
        abs(variance) >= thresholds.discrepancy_units
        or abs(variance_value) >= thresholds.discrepancy_value
    )


def line_figures(
    *, system_quantity: int, counted_quantity: int, unit_cost: Decimal, thresholds: Thresholds
) -> LineFigures:
    variance = counted_quantity - system_quantity
    value = line_value(variance, unit_cost)
    return LineFigures(
        system_quantity=system_quantity,
        counted_quantity=counted_quantity,
        variance=variance,
        variance_value=value,
        significant=is_significant(variance, value, thresholds),
    )


def combined_count(previous: int | None, quantity: int, mode: CountMode) -> int:
    """The line's counted quantity after an entry: SET replaces (a recount), ADD adds."""
    if mode is CountMode.ADD and previous is not None:
        return previous + quantity
    return quantity


def completion_change(
    *, counted: int, system_at_count: int, current: int, mode: StockApplyMode
) -> int:
    """The change completion makes to a counted line's level. DIFFERENCE applies the variance
    found at count time, so movements after the scan survive; SET_COUNTED overrides them."""
    if mode is StockApplyMode.DIFFERENCE:
        return counted - system_at_count
    return counted - current


class BlindFlag(Protocol):
    @property
    def blind(self) -> bool: ...


def sees_blind_figures(caller: Caller) -> bool:
    """Managers and admins see system quantities and variances of blind counts; staff never."""
    return caller.at_least(Role.MANAGER)


def visible_to(caller: Caller, count: BlindFlag) -> bool:
    """Whether replies to caller about count may carry system quantities, variances,
    significance and statistics. The one place this is decided."""
    return not count.blind or sees_blind_figures(caller)
