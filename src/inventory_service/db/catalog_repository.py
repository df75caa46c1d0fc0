"""The catalog's queries: products, batches, stock levels and the stock ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

from sqlalchemy import Date, Row, bindparam, func, literal, select
from sqlalchemy.orm import Session

from inventory_service.db.keyset import keyset_page
from inventory_service.db.models import (
    Batch,
    LedgerEntry,
    Product,
    StockLevel,
)
from inventory_service.domain.paging import Page, PageRequest

# A row lock: "share" (FOR SHARE) or "update" (FOR UPDATE); None for a plain read.
Lock = Literal["share", "update"] | None

# Reads of products with their levels are Core statements over the tables, built once: rows
# straight from the driver, no ORM instances, identity map or statement building per call.
_products = Product.__table__
_levels = StockLevel.__table__
_batches = Batch.__table__
# A level with its batch's lot and expiry (NULL for unbatched stock); level_id NULL: no level.
_LEVEL_COLUMNS = (
    _levels.c.id.label("level_id"),
    _levels.c.batch_id,
    _levels.c.quantity,
    _batches.c.lot_number,
    _batches.c.expiry_date,
)
_LEVEL_ORDER = (_levels.c.batch_id.is_not(None), _levels.c.batch_id)
_LEVELS_OF_PRODUCTS = (
    select(_levels.c.product_id, *_LEVEL_COLUMNS)
    .select_from(_levels.outerjoin(_batches, _batches.c.id == _levels.c.batch_id))
    .where(_levels.c.product_id.in_(bindparam("product_ids", expanding=True)))
    .order_by(_levels.c.product_id, *_LEVEL_ORDER)
)
_PRODUCT_WITH_LEVELS = (
    select(*_products.c, *_LEVEL_COLUMNS)
    .select_from(
        _products.outerjoin(_levels, _levels.c.product_id == _products.c.id).outerjoin(
            _batches, _batches.c.id == _levels.c.batch_id
        )
    )
    .order_by(*_LEVEL_ORDER)
)
_PRODUCT_BY_ID = select(*_products.c).where(_products.c.id == bindparam("id"))
_PRODUCT_BY_ID_LOCKED = {
    "share": _PRODUCT_BY_ID.with_for_update(read=True),
    "update": _PRODUCT_BY_ID.with_for_update(),
}
# Several products by id, in id order: locked in that order, two calls cannot deadlock.
_PRODUCTS_BY_IDS = (
    select(*_products.c)
    .where(_products.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_products.c.id)
)
_PRODUCTS_BY_IDS_LOCKED = {
    "share": _PRODUCTS_BY_IDS.with_for_update(read=True),
    "update": _PRODUCTS_BY_IDS.with_for_update(),
}
_PRODUCT_WITH_LEVELS_BY = {
    column: _PRODUCT_WITH_LEVELS.where(_products.c[column] == bindparam("key"))
    for column in ("id", "sku", "barcode")
}


class ProductRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, product: Product) -> None:
        self.session.add(product)

    def get(self, product_id: str, *, lock: Lock = None) -> Product | None:
        if lock is None:
            return self.session.get(Product, product_id)
        # Read again (not from the session's identity map) under the lock.
        return self.session.get(
            Product, product_id, with_for_update={"read": lock == "share"}, populate_existing=True
        )

    def by_sku(self, sku: str) -> Product | None:
        return self.session.scalar(select(Product).where(Product.sku == sku))

    def by_barcode(self, barcode: str) -> Product | None:
        return self.session.scalar(select(Product).where(Product.barcode == barcode))

    def row(self, product_id: str, *, lock: Lock = None) -> Row[Any] | None:
        """The product's columns as a row, for reading them (nothing to change through it);
        None if no product has the id. With lock, its row is locked as in get."""
        stmt = _PRODUCT_BY_ID if lock is None else _PRODUCT_BY_ID_LOCKED[lock]
        return self.session.execute(stmt, {"id": product_id}).first()

    def rows(self, product_ids: Sequence[str], *, lock: Lock = None) -> dict[str, Row[Any]]:
        """The rows of the products with these ids (those that exist) in one statement; with
        lock, locked in id order."""
        if not product_ids:
            return {}
        stmt = _PRODUCTS_BY_IDS if lock is None else _PRODUCTS_BY_IDS_LOCKED[lock]
        return {row.id: row for row in self.session.execute(stmt, {"ids": list(product_ids)})}

    def with_levels(self, column: Literal["id", "sku", "barcode"], value: str) -> list[Row[Any]]:
        """The product whose column has value, one row per stock level (the product's columns
        and _LEVEL_COLUMNS; one row with level_id NULL when it holds none); [] when none has."""
        stmt = _PRODUCT_WITH_LEVELS_BY[column]
        return list(self.session.execute(stmt, {"key": value}))

    def level_label(self, product_id: str, batch_id: str | None) -> str:
        """A level as people name it: its product's SKU, and the batch's lot ("PAR-500 lot
        A1"); the ids of what is not found."""
        sku = self.session.scalar(select(Product.sku).where(Product.id == product_id))
        label = sku or f"product {product_id}"
        if batch_id is not None:
            lot = self.session.scalar(select(Batch.lot_number).where(Batch.id == batch_id))
            label += f" lot {lot or batch_id}"
        return label

    def list_page(self, page: PageRequest, *, show_inactive: bool) -> Page[Row[Any]]:
        """A page of product rows (the table's columns), by SKU."""
        stmt = select(*_products.c)
        if not show_inactive:
            stmt = stmt.where(_products.c.active.is_(True))
        return keyset_page(self.session, stmt, [_products.c.sku], page, rows=True)


class BatchRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, batch: Batch) -> None:
        self.session.add(batch)

    def get(self, batch_id: str) -> Batch | None:
        return self.session.get(Batch, batch_id)

    def by_ids(self, batch_ids: Sequence[str]) -> dict[str, Batch]:
        if not batch_ids:
            return {}
        stmt = select(Batch).where(Batch.id.in_(set(batch_ids)))
        return {batch.id: batch for batch in self.session.scalars(stmt)}

    def by_lot(self, product_id: str, lot_number: str) -> Batch | None:
        return self.session.scalar(
            select(Batch).where(Batch.product_id == product_id, Batch.lot_number == lot_number)
        )

    def list_page(self, product_id: str, page: PageRequest) -> Page[Batch]:
        # Batches without an expiry sort last: the last representable date stands in for them.
        expiry = func.coalesce(Batch.expiry_date, literal(date.max, Date))
        stmt = select(Batch).where(Batch.product_id == product_id)
        return keyset_page(
            self.session,
            stmt,
            [expiry, Batch.lot_number],
            page,
            key_of=lambda b: (b.expiry_date or date.max, b.lot_number),
        )


class StockLevelRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, level: StockLevel) -> None:
        self.session.add(level)

    def get(
        self, product_id: str, batch_id: str | None, *, lock: bool = False
    ) -> StockLevel | None:
        """The level of (product, batch); with lock, held until the transaction ends."""
        stmt = select(StockLevel).where(StockLevel.product_id == product_id)
        stmt = stmt.where(
            StockLevel.batch_id.is_(None) if batch_id is None else StockLevel.batch_id == batch_id
        )
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalar(stmt)

    def for_products(self, product_ids: Sequence[str]) -> dict[str, list[StockLevel]]:
        levels: dict[str, list[StockLevel]] = {pid: [] for pid in product_ids}
        if not product_ids:
            return levels
        stmt = (
            select(StockLevel)
            .where(StockLevel.product_id.in_(product_ids))
            .order_by(StockLevel.product_id, StockLevel.batch_id.is_not(None), StockLevel.batch_id)
        )
        for level in self.session.scalars(stmt):
            levels[level.product_id].append(level)
        return levels

    def with_batches(self, product_ids: Sequence[str]) -> dict[str, list[Any]]:
        """Each product's levels as rows of product_id and _LEVEL_COLUMNS, unbatched first."""
        levels: dict[str, list[Any]] = {pid: [] for pid in product_ids}
        if product_ids:
            rows = self.session.execute(_LEVELS_OF_PRODUCTS, {"product_ids": list(product_ids)})
            for row in rows:
                levels[row.product_id].append(row)
        return levels

    def lot_numbers(self, batch_ids: Sequence[str]) -> dict[str, str]:
        if not batch_ids:
            return {}
        rows = self.session.execute(
            select(Batch.id, Batch.lot_number).where(Batch.id.in_(batch_ids))
        )
        return {row.id: row.lot_number for row in rows}


class LedgerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, entry: LedgerEntry) -> None:
        self.session.add(entry)

    def by_operation(self, operation_id: str) -> list[LedgerEntry]:
        stmt = (
            select(LedgerEntry)
            .where(LedgerEntry.operation_id == operation_id)
            .order_by(LedgerEntry.sequence)
        )
        return list(self.session.scalars(stmt))

    def list_page(self, product_id: str, batch_id: str | None, page: PageRequest) -> Page[Row[Any]]:
        """A page of a product's (or one batch's) ledger rows (the table's columns), oldest
        first."""
        ledger = LedgerEntry.__table__
        stmt = select(*ledger.c).where(ledger.c.product_id == product_id)
        if batch_id is not None:
            stmt = stmt.where(ledger.c.batch_id == batch_id)
        return keyset_page(self.session, stmt, [ledger.c.sequence], page, rows=True)
