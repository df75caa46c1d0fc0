"""Exact money: Decimal amounts, stored as integer micros (1e-6 of the currency unit)."""

from __future__ import annotations

from decimal import Decimal

MICROS = Decimal("0.000001")
ZERO = Decimal("0")


def is_micro_exact(amount: Decimal) -> bool:
    return amount == amount.quantize(MICROS)


def to_micros(amount: Decimal) -> int:
    return int((amount / MICROS).to_integral_exact())


def from_micros(micros: int) -> Decimal:
    return (Decimal(micros) * MICROS).quantize(MICROS)


def line_value(quantity: int, unit_cost: Decimal) -> Decimal:
    """quantity x unit cost, exact (unit costs carry at most 6 decimal places)."""
    return (Decimal(quantity) * unit_cost).quantize(MICROS)
