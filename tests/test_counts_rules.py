"""The pure rules of count lines and blind counts, without a database or gRPC."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from inventory_service.domain.count_rules import (
    combined_count,
    completion_change,
    is_significant,
    line_figures,
    visible_to,
)
from inventory_service.domain.enums import CountMode, StockApplyMode
from inventory_service.domain.identity import Caller, Role
from inventory_service.domain.thresholds import Thresholds

DEFAULTS = Thresholds()


@dataclass(frozen=True)
class Count:
    blind: bool


def test_variance_is_counted_minus_system_and_valued_at_unit_cost() -> None:
    figures = line_figures(
        system_quantity=20, counted_quantity=13, unit_cost=Decimal("1.333333"), thresholds=DEFAULTS
    )
    assert figures.variance == -7
    assert figures.variance_value == Decimal("-9.333331")
    assert not figures.significant


@pytest.mark.parametrize(
    ("variance", "value", "significant"),
    [
        (0, "0", False),
        (9, "99.99", False),
        (-9, "-99.99", False),
        (10, "0.10", True),  # units threshold reached
        (-10, "-0.10", True),
        (1, "100.00", True),  # value threshold reached
        (-1, "-100.00", True),
    ],
)
def test_significance_uses_either_threshold_inclusively(
    variance: int, value: str, significant: bool
) -> None:
    assert is_significant(variance, Decimal(value), DEFAULTS) is significant


def test_thresholds_are_configurable_and_a_match_is_never_significant() -> None:
    strict = Thresholds(discrepancy_units=0, discrepancy_value=Decimal("0"))
    assert is_significant(1, Decimal("0.01"), strict)
    assert not is_significant(0, Decimal("0"), strict)
    lax = Thresholds(discrepancy_units=1000, discrepancy_value=Decimal("1000000"))
    assert not is_significant(-999, Decimal("-999999.99"), lax)


def test_set_replaces_and_add_adds_to_the_line() -> None:
    assert combined_count(None, 5, CountMode.SET) == 5
    assert combined_count(None, 5, CountMode.ADD) == 5
    assert combined_count(7, 5, CountMode.SET) == 5
    assert combined_count(7, 5, CountMode.ADD) == 12


def test_completion_applies_the_difference_or_sets_the_counted_figure() -> None:
    # Counted 22 when the system said 25; a sale of 5 since leaves 20 on the shelf record.
    moved = {"counted": 22, "system_at_count": 25, "current": 20}
    assert completion_change(**moved, mode=StockApplyMode.DIFFERENCE) == -3
    assert completion_change(**moved, mode=StockApplyMode.SET_COUNTED) == 2
    still = {"counted": 10, "system_at_count": 10, "current": 14}
    assert completion_change(**still, mode=StockApplyMode.DIFFERENCE) == 0
    assert completion_change(**still, mode=StockApplyMode.SET_COUNTED) == -4


def test_blind_counts_hide_figures_from_staff_only() -> None:
    staff = Caller("s", Role.STAFF)
    manager = Caller("m", Role.MANAGER)
    admin = Caller("a", Role.ADMIN)
    assert not visible_to(staff, Count(blind=True))
    assert visible_to(staff, Count(blind=False))
    assert visible_to(manager, Count(blind=True))
    assert visible_to(admin, Count(blind=True))
