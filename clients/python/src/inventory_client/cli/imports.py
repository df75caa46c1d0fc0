"""Imports of CSV files (`products import`, `locations import`): each row one create call with a
request id derived from the row's values, so an import run again creates nothing twice
(AIP-155); the rejected rows are printed, and the exit code says whether every row was done."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from google.protobuf.message import Message

from inventory_client.cli.context import EXIT_OK, EXIT_PARTIAL, App, InputError
from inventory_client.cli.render import to_json
from inventory_client.errors import InventoryError

M = TypeVar("M", bound=Message)
R = TypeVar("R", bound=Message)


def csv_rows(
    path: Path, columns: Sequence[str], required: set[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, values of columns stripped, "" when absent) of each row of the file."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = required - set(reader.fieldnames or ())
        if missing:
            raise InputError(f"{path}: missing columns {sorted(missing)} (of {tuple(columns)})")
        for row in reader:
            yield reader.line_num, {k: (row.get(k) or "").strip() for k in columns}


def request_id(namespace: uuid.UUID, values: dict[str, str]) -> str:
    """The same for the same row values: a row imported before is not created again."""
    return str(uuid.uuid5(namespace, "|".join(values.values())))


@dataclass
class ImportRow(Generic[R]):
    line: int
    name: str  # what a person calls the row's resource (a SKU, SITE:CODE)
    request: R


@dataclass
class _Result(Generic[M]):
    line: int
    name: str
    created: M | None = None
    error: InventoryError | None = None


def run_import(
    app: App,
    file: Path,
    rows: Sequence[ImportRow[R]],
    create: Callable[[R], M],
    *,
    name: str,
    resource: str,
) -> int:
    """Creates each row with create(request); prints a table (or JSON: per row its line,
    `name`, and `resource` or error); returns EXIT_PARTIAL when some row was rejected."""
    results: list[_Result[M]] = []
    for row in rows:
        result: _Result[M] = _Result(row.line, row.name)
        try:
            result.created = create(row.request)
        except InventoryError as error:
            result.error = error
            app.output.note(f"{file}:{row.line}: {row.name}: {error.summary()}")
        results.append(result)
    rejected = sum(1 for r in results if r.error is not None)
    if app.output.as_json:
        app.output.json(
            [
                {
                    "line": r.line,
                    name: r.name,
                    **({resource: to_json(r.created)} if r.created is not None else {}),
                    **({"error": r.error.as_dict()} if r.error is not None else {}),
                }
                for r in results
            ]
        )
    else:
        app.output.table(
            results,
            [
                ("Line", lambda r: r.line),
                (name.capitalize() if name != "sku" else "SKU", lambda r: r.name),
                ("Result", lambda r: "rejected" if r.error else "imported"),
                ("Id", lambda r: _id(r)),
            ],
            title=f"Import of {file.name}: {len(rows) - rejected} of {len(rows)} rows imported",
        )
    return EXIT_PARTIAL if rejected else EXIT_OK


def _id(result: _Result[M]) -> str:
    if result.created is not None:
        return str(getattr(result.created, "id", ""))
    return result.error.reason if result.error else ""
