"""Set-based queries for a batch of scanner entries: a handful of statements per batch, whatever
its size (StreamCountItems groups entries into one transaction per batch)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import psycopg
from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
    TypeDecorator,
    any_,
    bindparam,
    insert,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inventory_service.db.models import (
    Batch,
    CountItem,
    InventoryCount,
    Product,
    StockLevel,
    StoredCountEntry,
)
from inventory_service.domain.money import to_micros

_COLUMNS = [column.name for column in StoredCountEntry.__table__.columns]
_MONEY = {"variance_value"}  # MoneyMicros: integer micros in the column

_LINES = cast(Table, CountItem.__table__)
_LINE_COLUMNS = [column.key for column in _LINES.columns]
# What a batch changes on an existing line: everything but its key and first count.
_LINE_UPDATES = [
    key
    for key in _LINE_COLUMNS
    if key not in ("id", "inventory_count_id", "product_id", "batch_id", "first_counted_at")
]
# Core statements on the table (not the mapped class): executemany without the ORM's bulk
# bookkeeping, which cost more than the SQL itself.
_INSERT_LINES = insert(_LINES)
_UPDATE_LINES = (
    update(_LINES)
    .where(_LINES.c.id == bindparam("line_id"))
    .values({key: bindparam(key) for key in _LINE_UPDATES})
)


_PG = postgresql.dialect()  # type: ignore[no-untyped-call]
# PostgreSQL: every changed line in one UPDATE, its values as one array per column (unnest),
# instead of a pipelined UPDATE per line; each array cast to its column's type.
# The statement is made of the table's own names and types, never of input.
_UPDATE_LINES_PG = text(
    f"UPDATE {_LINES.name} AS line SET "  # noqa: S608
    + ", ".join(f"{key} = v.{key}" for key in _LINE_UPDATES)
    + " FROM unnest(CAST(:line_id AS varchar[]), "
    + ", ".join(
        f"CAST(:{key} AS {_LINES.c[key].type.compile(dialect=_PG)}[])" for key in _LINE_UPDATES
    )
    + f") AS v(line_id, {', '.join(_LINE_UPDATES)}) WHERE line.id = v.line_id"
)


def _line_arrays(lines: Sequence[CountItem]) -> dict[str, list[Any]]:
    """Column -> values of the lines, as the column's type binds them (money in micros)."""
    arrays: dict[str, list[Any]] = {"line_id": [line.id for line in lines]}
    for key in _LINE_UPDATES:
        column_type = _LINES.c[key].type
        values = [getattr(line, key) for line in lines]
        if isinstance(column_type, TypeDecorator):
            values = [column_type.process_bind_param(value, _PG) for value in values]
        arrays[key] = values
    return arrays


def _line_values(line: CountItem) -> dict[str, Any]:
    return {key: getattr(line, key) for key in _LINE_COLUMNS}


def _line_updates(line: CountItem) -> dict[str, Any]:
    values = {key: getattr(line, key) for key in _LINE_UPDATES}
    values["line_id"] = line.id
    return values


LineKey = tuple[str, str, str | None]  # (count, product, batch or None)
LevelKey = tuple[str, str | None]  # (product, batch or None)


class CountEntryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"

    def _in(self, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
        """column IN values. On PostgreSQL one array parameter (= ANY), so the statement text
        stays the same whatever the batch size (parsed once, then prepared)."""
        distinct = sorted(set(values))
        if self.postgres:
            return cast(
                ColumnElement[bool],
                column == any_(bindparam(None, distinct, type_=ARRAY(column.type))),
            )
        return cast(ColumnElement[bool], column.in_(distinct))

    def stored(self, entry_ids: Sequence[str]) -> list[Row[StoredCountEntry, CountItem, str, bool]]:
        """Entries stored before, with their line, the product's SKU and the count's blind flag."""
        if not entry_ids:
            return []
        stmt = (
            select(StoredCountEntry, CountItem, Product.sku, InventoryCount.blind)
            .join(CountItem, CountItem.id == StoredCountEntry.count_item_id)
            .join(Product, Product.id == CountItem.product_id)
            .join(InventoryCount, InventoryCount.id == StoredCountEntry.inventory_count_id)
            .where(self._in(StoredCountEntry.entry_id, entry_ids))
        )
        return list(self.session.execute(stmt).all())

    def counts_for_share(self, count_ids: Sequence[str]) -> dict[str, InventoryCount]:
        """The counts, rows locked FOR SHARE in id order (as record_count_entry locks one):
        entries record side by side, completion (FOR UPDATE) waits for them."""
        stmt = (
            select(InventoryCount)
            .where(self._in(InventoryCount.id, count_ids))
            .order_by(InventoryCount.id)
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        )
        return {c.id: c for c in self.session.scalars(stmt)}

    def products(
        self, ids: Sequence[str], skus: Sequence[str], barcodes: Sequence[str]
    ) -> list[Product]:
        conditions = []
        if ids:
            conditions.append(self._in(Product.id, ids))
        if skus:
            conditions.append(self._in(Product.sku, skus))
        if barcodes:
            conditions.append(self._in(Product.barcode, barcodes))
        if not conditions:
            return []
        return list(self.session.scalars(select(Product).where(or_(*conditions))))

    def batches(self, ids: Sequence[str], lots: Sequence[tuple[str, str]]) -> list[Batch]:
        conditions = []
        if ids:
            conditions.append(self._in(Batch.id, ids))
        if lots:
            conditions.append(tuple_(Batch.product_id, Batch.lot_number).in_(sorted(set(lots))))
        if not conditions:
            return []
        return list(self.session.scalars(select(Batch).where(or_(*conditions))))

    def lines_for_update(self, keys: Iterable[LineKey]) -> dict[LineKey, CountItem]:
        """The existing lines of these keys, locked FOR UPDATE in id order (so two batches
        never wait on each other in a cycle) and read afresh. They come back detached from the
        session: the batch changes them in memory and writes them with save_lines."""
        pairs = {(count_id, product_id) for count_id, product_id, _ in keys}
        if not pairs:
            return {}
        where: ColumnElement[bool]
        if self.postgres:  # a superset (every count x product), cut down below
            where = self._in(CountItem.inventory_count_id, (c for c, _ in pairs)) & self._in(
                CountItem.product_id, (p for _, p in pairs)
            )
        else:
            where = tuple_(CountItem.inventory_count_id, CountItem.product_id).in_(sorted(pairs))
        stmt = (
            select(CountItem)
            .where(where)
            .order_by(CountItem.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        lines = list(self.session.scalars(stmt))
        for line in lines:
            self.session.expunge(line)
        return {
            (line.inventory_count_id, line.product_id, line.batch_id): line
            for line in lines
            if (line.inventory_count_id, line.product_id) in pairs
        }

    def level_quantities(self, product_ids: Iterable[str]) -> dict[LevelKey, int]:
        """Every stock level of these products as committed now (system quantities)."""
        ids = set(product_ids)
        if not ids:
            return {}
        stmt = select(StockLevel.product_id, StockLevel.batch_id, StockLevel.quantity).where(
            self._in(StockLevel.product_id, ids)
        )
        return {(row.product_id, row.batch_id): row.quantity for row in self.session.execute(stmt)}

    def save_lines(self, new: Sequence[CountItem], changed: Sequence[CountItem]) -> None:
        """Writes lines a batch computed: one multi-row INSERT, and one UPDATE of every changed
        line on PostgreSQL (an UPDATE per line, executemany, on SQLite); Core statements."""
        connection = self.session.connection()
        if new:
            connection.execute(_INSERT_LINES, [_line_values(line) for line in new])
        if changed and self.postgres:
            connection.execute(_UPDATE_LINES_PG, _line_arrays(changed))
        elif changed:
            connection.execute(_UPDATE_LINES, [_line_updates(line) for line in changed])

    def insert_entries(self, rows: Sequence[dict[str, Any]]) -> None:
        """Writes the rows in one go: COPY on PostgreSQL, a multi-row INSERT on SQLite. A
        resent entry_id stored meanwhile by another stream or replica violates the primary key
        (IntegrityError either way)."""
        if not rows:
            return
        connection = self.session.connection()
        if connection.dialect.name != "postgresql":
            self.session.execute(insert(StoredCountEntry), rows)
            return
        driver: Any = connection.connection.driver_connection
        statement = f"COPY {StoredCountEntry.__tablename__} ({', '.join(_COLUMNS)}) FROM STDIN"
        try:
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row([to_micros(row[c]) if c in _MONEY else row[c] for c in _COLUMNS])
        except psycopg.errors.IntegrityError as error:
            raise IntegrityError(statement, None, error) from error
