"""Reports a stock controller opens in a spreadsheet: one sheet of rows written as CSV or XLSX.
Money goes out as numbers (two decimals in XLSX, with the currency in its own column), never as
text, so a spreadsheet sums it; times in the local zone, as the tables show them."""

from __future__ import annotations

import csv
import datetime
import io
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, TypeVar

import click
from google.protobuf import timestamp_pb2
from google.type import date_pb2, money_pb2

T = TypeVar("T")
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class ExportColumn(Generic[T]):
    header: str
    value: Callable[[T], Any]
    kind: str = "text"  # text, number, money, time, date


def amount(value: money_pb2.Money) -> Decimal:
    return Decimal(value.units) + Decimal(value.nanos) / Decimal(1_000_000_000)


def moment(value: timestamp_pb2.Timestamp) -> datetime.datetime | None:
    if not value.seconds and not value.nanos:
        return None
    stamp = datetime.datetime.fromtimestamp(value.seconds, datetime.UTC).astimezone()
    return stamp.replace(tzinfo=None)  # spreadsheets hold no zone: the local time


def day(value: date_pb2.Date) -> datetime.date | None:
    return datetime.date(value.year, value.month, value.day) if value.year else None


def export(
    rows: Iterable[T],
    columns: Sequence[ExportColumn[T]],
    *,
    fmt: str,
    output: Path | None,
    sheet: str,
) -> int:
    """Writes rows to output (stdout for CSV when None); returns how many were written."""
    if fmt == "xlsx":
        if output is None:
            raise click.UsageError("--format xlsx needs --output FILE.xlsx")
        return _xlsx(rows, columns, output, sheet)
    if output is None:
        return _csv(rows, columns, sys.stdout)
    with output.open("w", newline="", encoding="utf-8") as handle:
        return _csv(rows, columns, handle)


def _cell(column: ExportColumn[T], row: T) -> Any:
    value = column.value(row)
    if column.kind == "money" and isinstance(value, money_pb2.Money):
        return amount(value)
    return value


def _csv(rows: Iterable[T], columns: Sequence[ExportColumn[T]], handle: io.TextIOBase | Any) -> int:
    writer = csv.writer(handle)
    writer.writerow([c.header for c in columns])
    written = 0
    for row in rows:
        cells = []
        for column in columns:
            value = _cell(column, row)
            if value is None:
                cells.append("")
            elif isinstance(value, Decimal):
                cells.append(f"{value:.2f}" if value == round(value, 2) else str(value))
            elif isinstance(value, datetime.datetime):
                cells.append(value.isoformat(sep=" ", timespec="seconds"))
            else:
                cells.append(str(value))
        writer.writerow(cells)
        written += 1
    return written


def _xlsx(rows: Iterable[T], columns: Sequence[ExportColumn[T]], path: Path, sheet: str) -> int:
    import xlsxwriter  # the cli extra's; only an XLSX export needs it

    workbook = xlsxwriter.Workbook(str(path))
    try:
        formats = {
            "money": workbook.add_format({"num_format": "#,##0.00"}),
            "time": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "header": workbook.add_format({"bold": True}),
        }
        worksheet = workbook.add_worksheet(sheet[:31])
        for col, column in enumerate(columns):
            worksheet.write_string(0, col, column.header, formats["header"])
        written = 0
        for written, row in enumerate(rows, start=1):
            for col, column in enumerate(columns):
                value = _cell(column, row)
                if value is None or value == "":
                    continue
                if column.kind == "money":
                    worksheet.write_number(written, col, float(value), formats["money"])
                elif column.kind == "number":
                    worksheet.write_number(written, col, int(value))
                elif column.kind in ("time", "date"):
                    worksheet.write_datetime(written, col, value, formats[column.kind])
                else:
                    worksheet.write_string(written, col, str(value))
        worksheet.freeze_panes(1, 0)
        worksheet.autofilter(0, 0, max(written, 1), len(columns) - 1)
    finally:
        workbook.close()
    return written


def format_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--format csv|xlsx and --output FILE."""
    command = click.option(
        "--output",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        help="The file to write (CSV goes to stdout without it).",
    )(command)
    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True
    )(command)
