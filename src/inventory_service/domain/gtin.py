"""GTIN barcodes (GTIN-8, -12, -13, -14) with their mod-10 check digit."""

from __future__ import annotations

GTIN_LENGTHS = (8, 12, 13, 14)


def gtin_problem(barcode: str) -> str | None:
    """Why barcode is not a valid GTIN, or None when it is."""
    if not barcode.isdigit() or not barcode.isascii():
        return "must contain digits only"
    if len(barcode) not in GTIN_LENGTHS:
        return "must have 8, 12, 13 or 14 digits"
    digits = [int(c) for c in barcode]
    body, check = digits[:-1], digits[-1]
    # Weights 3,1,3,1... from the rightmost body digit.
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    if (10 - total % 10) % 10 != check:
        return "check digit is wrong"
    return None


def with_check_digit(body: str) -> str:
    """body plus its check digit (for demo data and tests)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)
