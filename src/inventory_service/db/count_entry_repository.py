"""Set-based queries for a batch of scanner entries: a handful of statements per batch, whatever
its size (StreamCountItems groups entries into one transaction per batch)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, insert, or_, select, tuple_
from sqlalchemy.orm import Session

from inventory_service.db.models import (
    Batch,
    CountItem,
    InventoryCount,
    Product,
    StockLevel,
    StoredCountEntry,
)

LineKey = tuple[str, str, str | None]  # (count, product, batch or None)
LevelKey = tuple[str, str | None]  # (product, batch or None)


def _chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    # Bounded IN lists: SQLite caps bound parameters per statement.
    for start in range(0, len(values), size):
        yield values[start : start + size]


class CountEntryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def stored(
        self, entry_ids: Sequence[str]
    ) -> list[Row[tuple[StoredCountEntry, CountItem, str, bool]]]:
        """Entries stored before, with their line, the product's SKU and the count's blind flag."""
        rows: list[Row[tuple[StoredCountEntry, CountItem, str, bool]]] = []
        for chunk in _chunks(sorted(set(entry_ids))):
            stmt = (
                select(StoredCountEntry, CountItem, Product.sku, InventoryCount.blind)
                .join(CountItem, CountItem.id == StoredCountEntry.count_item_id)
                .join(Product, Product.id == CountItem.product_id)
                .join(InventoryCount, InventoryCount.id == StoredCountEntry.inventory_count_id)
                .where(StoredCountEntry.entry_id.in_(chunk))
            )
            rows.extend(self.session.execute(stmt).all())
        return rows

    def counts_for_share(self, count_ids: Sequence[str]) -> dict[str, InventoryCount]:
        """The counts, rows locked FOR SHARE in id order (as record_count_entry locks one):
        entries record side by side, completion (FOR UPDATE) waits for them."""
        stmt = (
            select(InventoryCount)
            .where(InventoryCount.id.in_(sorted(set(count_ids))))
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
            conditions.append(Product.id.in_(sorted(set(ids))))
        if skus:
            conditions.append(Product.sku.in_(sorted(set(skus))))
        if barcodes:
            conditions.append(Product.barcode.in_(sorted(set(barcodes))))
        if not conditions:
            return []
        return list(self.session.scalars(select(Product).where(or_(*conditions))))

    def batches(self, ids: Sequence[str], lots: Sequence[tuple[str, str]]) -> list[Batch]:
        conditions = []
        if ids:
            conditions.append(Batch.id.in_(sorted(set(ids))))
        if lots:
            conditions.append(tuple_(Batch.product_id, Batch.lot_number).in_(sorted(set(lots))))
        if not conditions:
            return []
        return list(self.session.scalars(select(Batch).where(or_(*conditions))))

    def lines_for_update(self, keys: Iterable[LineKey]) -> dict[LineKey, CountItem]:
        """The existing lines of these keys, locked FOR UPDATE in id order (so two batches
        never wait on each other in a cycle) and read afresh."""
        pairs = sorted({(count_id, product_id) for count_id, product_id, _ in keys})
        if not pairs:
            return {}
        stmt = (
            select(CountItem)
            .where(tuple_(CountItem.inventory_count_id, CountItem.product_id).in_(pairs))
            .order_by(CountItem.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {
            (line.inventory_count_id, line.product_id, line.batch_id): line
            for line in self.session.scalars(stmt)
        }

    def level_quantities(self, product_ids: Iterable[str]) -> dict[LevelKey, int]:
        """Every stock level of these products as committed now (system quantities)."""
        ids = sorted(set(product_ids))
        if not ids:
            return {}
        stmt = select(StockLevel.product_id, StockLevel.batch_id, StockLevel.quantity).where(
            StockLevel.product_id.in_(ids)
        )
        return {(row.product_id, row.batch_id): row.quantity for row in self.session.execute(stmt)}

    def add_lines(self, lines: Sequence[CountItem]) -> None:
        self.session.add_all(lines)

    def insert_entries(self, rows: Sequence[dict[str, Any]]) -> None:
        """One multi-row INSERT (insertmanyvalues); a resent entry_id stored meanwhile by
        another stream or replica violates the primary key."""
        if rows:
            self.session.execute(insert(StoredCountEntry), rows)
