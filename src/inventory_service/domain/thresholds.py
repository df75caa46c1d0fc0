"""The business thresholds a site may configure (PRODUCT.md gives the defaults)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Thresholds:
    """When a count line is a significant discrepancy, and when an adjustment needs approval."""

    discrepancy_units: int = 10
    discrepancy_value: Decimal = Decimal("100.00")
    approval_units: int = 50
    approval_value: Decimal = Decimal("500.00")
