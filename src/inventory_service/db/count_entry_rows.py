"""What a batch of count entries writes, as Core statements on the tables and the values they
bind: the lines it inserts and updates, and a count_entries row per entry (the line as its ack
showed it)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, TypeDecorator, bindparam, insert, text, update
from sqlalchemy.dialects import postgresql

from inventory_service.db.models import CountItem, StoredCountEntry
from inventory_service.domain.count_entries import CountEntry, CountLine
from inventory_service.domain.money import to_micros
from inventory_service.domain.recount_rules import RECOUNTED

ENTRIES = cast(Table, StoredCountEntry.__table__)
ENTRY_COLUMNS = [column.name for column in ENTRIES.columns]
_MONEY = {"variance_value"}  # MoneyMicros: integer micros in the column

LINES = cast(Table, CountItem.__table__)
# The columns a CountLine carries; the others (the recount workflow's) keep their defaults here.
LINE_COLUMNS = [
    column.key
    for column in LINES.columns
    if column.key in {f.name for f in dataclasses.fields(CountLine)}
]
LINE_SELECT = [LINES.c[key] for key in LINE_COLUMNS]  # a line's row as its CountLine
# What a batch changes on an existing line: everything but its key and first count.
LINE_UPDATES = [
    key
    for key in LINE_COLUMNS
    if key
    not in (
        "id",
        "inventory_count_id",
        "product_id",
        "batch_id",
        "location_id",
        "site_id",
        "first_counted_at",
    )
]
INSERT_LINES = insert(LINES)
UPDATE_LINES = (
    update(LINES)
    .where(LINES.c.id == bindparam("line_id"))
    .values({key: bindparam(key) for key in LINE_UPDATES})
)
_PG = postgresql.dialect()  # type: ignore[no-untyped-call]
# PostgreSQL: every changed line in one UPDATE, its values as one array per column (unnest),
# instead of a pipelined UPDATE per line; each array cast to its column's type.
# The statement is made of the table's own names and types, never of input.
UPDATE_LINES_PG = text(
    f"UPDATE {LINES.name} AS line SET "  # noqa: S608
    + ", ".join(f"{key} = v.{key}" for key in LINE_UPDATES)
    + " FROM unnest(CAST(:line_id AS varchar[]), "
    + ", ".join(
        f"CAST(:{key} AS {LINES.c[key].type.compile(dialect=_PG)}[])" for key in LINE_UPDATES
    )
    + f") AS v(line_id, {', '.join(LINE_UPDATES)}) WHERE line.id = v.line_id"
)
# The line as an entry's ack showed it, kept in its count_entries row.
ACKED = ["system_quantity", "counted_quantity", "variance", "variance_value", "significant"]
ACKED += ["reason", "notes", "location"]


def line_arrays(lines: Sequence[CountLine]) -> dict[str, list[Any]]:
    """Column -> values of the lines, as the column's type binds them (money in micros)."""
    arrays: dict[str, list[Any]] = {"line_id": [line.id for line in lines]}
    for key in LINE_UPDATES:
        column_type = LINES.c[key].type
        values = [getattr(line, key) for line in lines]
        if isinstance(column_type, TypeDecorator):
            values = [column_type.process_bind_param(value, _PG) for value in values]
        arrays[key] = values
    return arrays


def entry_row(entry: CountEntry, line: CountLine) -> dict[str, Any]:
    """The count_entries row of an entry stored with line (its ack)."""
    row = {key: getattr(line, key) for key in ACKED}
    row.update(
        entry_id=entry.entry_id,
        inventory_count_id=line.inventory_count_id,
        count_item_id=line.id,
        device_id=entry.device_id,
        quantity=entry.quantity,
        mode=entry.mode.value,
        scanned_at=entry.scanned_at,
        counted_by=entry.caller.user_id,
        stored_at=line.counted_at,
        request_id=entry.call_request_id,
        # A batch leaves a line RECOUNTED exactly when its entries were sent after a request.
        recount=line.status == RECOUNTED,
        site_id=line.site_id,
    )
    return row


def copy_row(row: dict[str, Any]) -> list[Any]:
    """A count_entries row as COPY writes it (money as the integer micros of its column)."""
    return [to_micros(row[c]) if c in _MONEY else row[c] for c in ENTRY_COLUMNS]
