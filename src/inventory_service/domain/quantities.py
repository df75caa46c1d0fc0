"""Bounds on unit quantities, so no input can overflow a 64-bit column or a SQLite integer."""

from __future__ import annotations

MAX_QUANTITY = 10**12
TOO_LARGE = f"must be between -{MAX_QUANTITY} and {MAX_QUANTITY}"


def out_of_range(value: int) -> bool:
    return abs(value) > MAX_QUANTITY
