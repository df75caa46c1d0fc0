"""Cycle-count plans: the ABC class of a product by consumption value, and when it is due.

The boundary rule, written once (db/cycle_plan_repository.py computes the same in SQL):
rank the active products by consumption value, highest first, ties by product id; `before` is
the value of the products ranked ahead of one. A product with a value above zero is
  A  when before < a_share x total             (it starts inside the top a_share of value),
  B  when before < (a_share + b_share) x total  (inside the next b_share),
and C otherwise; a product with no consumption is C. So the product that crosses the 80% line
is still A, and the first A product is A even when it alone holds more than 80%."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from inventory_service.domain.enums import AbcClass

SECONDS_PER_DAY = 86_400
MAX_DAYS = 36_500


def _default_frequencies() -> dict[AbcClass, int]:
    return {AbcClass.A: 30, AbcClass.B: 90, AbcClass.C: 180}


@dataclass(frozen=True)
class CyclePlan:
    """A site's plan: the consumption window, the class shares and how often each is counted."""

    window_days: int = 365
    a_share: Decimal = Decimal("0.80")
    b_share: Decimal = Decimal("0.15")
    frequency_days: dict[AbcClass, int] = field(default_factory=_default_frequencies)

    def problems(self) -> dict[str, str]:
        """Setting name (as in the fields; frequency_days_a for A) -> what is wrong with it."""
        found: dict[str, str] = {}
        if not 1 <= self.window_days <= MAX_DAYS:
            found["window_days"] = f"must be a whole number of days from 1 to {MAX_DAYS}"
        if not (self.a_share.is_finite() and 0 < self.a_share < 1):
            found["a_share"] = "must be a fraction above 0 and below 1 (0.80 is 80%)"
        if not (self.b_share.is_finite() and 0 <= self.b_share < 1):
            found["b_share"] = "must be a fraction from 0 to below 1 (0.15 is 15%)"
        elif "a_share" not in found and self.a_share + self.b_share > 1:
            found["b_share"] = "a_share + b_share must not exceed 1"
        for abc in AbcClass:
            days = self.frequency_days.get(abc, 0)
            if not 1 <= days <= MAX_DAYS:
                found[f"frequency_days_{abc.value.lower()}"] = (
                    f"must be a whole number of days from 1 to {MAX_DAYS}"
                )
        return found

    @property
    def a_limit(self) -> Fraction:
        """The share of total value below which a product's `before` makes it A."""
        return Fraction(self.a_share)

    @property
    def b_limit(self) -> Fraction:
        return Fraction(self.a_share + self.b_share)

    def frequency(self, abc: AbcClass) -> timedelta:
        return timedelta(days=self.frequency_days[abc])


def parse_days(text: str) -> int:
    """ValueError for anything but a whole number."""
    return int(text)


def parse_share(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as error:
        raise ValueError(f"{text!r} is not a number") from error


def abc_class(value: int, before: int, total: int, plan: CyclePlan) -> AbcClass:
    """The class of a product worth value, with before of value ranked ahead of it (exact)."""
    if value <= 0:
        return AbcClass.C
    if before < plan.a_limit * total:
        return AbcClass.A
    if before < plan.b_limit * total:
        return AbcClass.B
    return AbcClass.C


def classify(values: Iterable[tuple[str, int]], plan: CyclePlan) -> dict[str, AbcClass]:
    """product id -> class, from (product id, consumption value) of every active product."""
    ranked = sorted(values, key=lambda item: (-item[1], item[0]))
    total = sum(value for _, value in ranked)
    classes: dict[str, AbcClass] = {}
    before = 0
    for product_id, value in ranked:
        classes[product_id] = abc_class(value, before, total, plan)
        before += value
    return classes


@dataclass(frozen=True)
class ClassAccuracy:
    abc_class: AbcClass
    items_counted: int
    items_within_tolerance: int

    @property
    def accuracy(self) -> float:
        """Share of lines within tolerance; 1 when none were counted."""
        if not self.items_counted:
            return 1.0
        return self.items_within_tolerance / self.items_counted


def days_overdue(due: datetime, now: datetime) -> int:
    """Whole days past due (floor): 0 on the day it falls due, -1 the day before."""
    return math.floor((now - due).total_seconds() / SECONDS_PER_DAY)
