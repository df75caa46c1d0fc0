"""A catalog CSV file read strictly: every bad row of the file is reported in one pass, in plain
words, before anything is imported. No network here: `products import` applies what this reads.

Columns: sku, name, unit_cost (required); barcode, opening_quantity, tracking (none or lot),
lot_number, expiry_date (YYYY-MM-DD). A row with a lot_number is one lot (batch) of a
lot-tracked product: its opening_quantity is that lot's stock. Several rows may name the same
product, one per lot."""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar

REQUIRED = ("sku", "name", "unit_cost")
OPTIONAL = ("barcode", "opening_quantity", "tracking", "lot_number", "expiry_date")
COLUMNS = REQUIRED + OPTIONAL
TRACKING = ("none", "lot")
MAX_QUANTITY = 2**63 - 1
_WHOLE = re.compile(r"[+-]?\d+")
T = TypeVar("T")


@dataclass(frozen=True)
class CatalogRow:
    """One good row: a product, and a lot of it when lot_number is set."""

    line: int
    sku: str
    name: str
    unit_cost: Decimal
    barcode: str = ""
    opening_quantity: int = 0
    tracking: str = "none"
    lot_number: str = ""
    expiry_date: datetime.date | None = None


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.line}, {self.column}" if self.column else f"row {self.line}"
        return f"{where}: {self.message}"


@dataclass
class CatalogFile:
    rows: list[CatalogRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    # A problem of the whole file (its header): nothing of it can be read.
    header_problem: str = ""


def price(text: str) -> Decimal:
    """A unit cost as written in the file: 2.50, 0.125; ValueError in words otherwise."""
    if "," in text and "." not in text:
        raise ValueError(f'"{text}" is not a price; use a point: {text.replace(",", ".")}')
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f'"{text}" is not a price') from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f'"{text}" is not a price')
    return amount


def whole_number(text: str) -> int:
    if not _WHOLE.fullmatch(text):
        raise ValueError(f'"{text}" is not a whole number')
    value = int(text)
    if not 0 <= value <= MAX_QUANTITY:
        raise ValueError(f'"{text}" is out of range (0 to {MAX_QUANTITY:,})')
    return value


def read_catalog(path: Path) -> CatalogFile:
    """Every row of the file, good or bad; nothing stops at the first bad row."""
    result = CatalogFile()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or ()]
        unknown = [name for name in header if name not in COLUMNS]
        missing = [name for name in REQUIRED if name not in header]
        if unknown or missing:
            parts = []
            if missing:
                parts.append(f"missing column(s) {', '.join(missing)}")
            if unknown:
                parts.append(f"unknown column(s) {', '.join(unknown)}")
            result.header_problem = "; ".join(parts) + f" (the columns are {', '.join(COLUMNS)})"
            return result
        reader.fieldnames = header
        for raw in reader:
            _read_row(result, reader.line_num, raw, len(header))
    return result


def _read_row(result: CatalogFile, line: int, raw: dict[str | None, object], width: int) -> None:
    extra = raw.get(None)
    if extra:
        count = width + len(extra) if isinstance(extra, list) else width + 1
        result.problems.append(
            RowProblem(
                line,
                "",
                f"{count} fields where the header has {width}"
                " (a comma inside a value needs quotes; a decimal comma, a point)",
            )
        )
        return
    if any(value is None for value in raw.values()):
        filled = sum(1 for value in raw.values() if value is not None)
        result.problems.append(
            RowProblem(line, "", f"{filled} fields where the header has {width}")
        )
        return
    values = {key: str(value).strip() for key, value in raw.items() if key is not None}
    problems: list[RowProblem] = []

    def take(column: str, parse: Callable[[str], T], otherwise: T) -> T:
        text = values.get(column, "")
        if not text:
            return otherwise
        try:
            return parse(text)
        except ValueError as error:
            problems.append(RowProblem(line, column, str(error)))
            return otherwise

    for column in REQUIRED:
        if not values.get(column):
            problems.append(RowProblem(line, column, "required"))
    cost = take("unit_cost", price, Decimal(0))
    opening = take("opening_quantity", whole_number, 0)
    expiry = take("expiry_date", _date, None)
    tracking = values.get("tracking", "").lower() or "none"
    lot = values.get("lot_number", "")
    if tracking not in TRACKING:
        problems.append(RowProblem(line, "tracking", f'"{tracking}" is not none or lot'))
    if values.get("expiry_date") and not lot:
        problems.append(RowProblem(line, "expiry_date", "only with a lot_number"))
    if lot and tracking != "lot":
        problems.append(RowProblem(line, "lot_number", "only for tracking lot"))
    if tracking == "lot" and not lot and opening:
        problems.append(
            RowProblem(
                line,
                "opening_quantity",
                "a lot-tracked product's stock is given per lot: fill lot_number",
            )
        )
    if problems:
        result.problems.extend(problems)
        return
    result.rows.append(
        CatalogRow(
            line=line,
            sku=values["sku"],
            name=values["name"],
            unit_cost=cost,
            barcode=values.get("barcode", ""),
            opening_quantity=opening,
            tracking=tracking,
            lot_number=lot,
            expiry_date=expiry,
        )
    )


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f'"{text}" is not a date (YYYY-MM-DD)') from None
