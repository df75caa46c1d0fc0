"""Queries over inventory counts and their lines. Figures are SQL aggregates over count_items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import BigInteger, ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy import type_coerce as coerce
from sqlalchemy.orm import Session

from inventory_service.db.models import (
    Batch,
    CountItem,
    InventoryCount,
    Product,
    StockAdjustment,
    StockLevel,
)
from inventory_service.db.paging import Page, PageRequest, keyset_page
from inventory_service.domain.enums import CountStatus, CountType
from inventory_service.domain.money import ZERO, from_micros

RowLock = Literal["share", "update"] | None


@dataclass(frozen=True)
class CountStatistics:
    """Live figures of a set of count lines."""

    items_counted: int = 0
    items_with_discrepancy: int = 0
    value_missing: Decimal = ZERO
    value_in_excess: Decimal = ZERO
    net_variance: Decimal = ZERO


@dataclass(frozen=True)
class SummaryFigures:
    total_counts: int
    in_progress_counts: int
    completed_counts: int
    cancelled_counts: int
    lines: CountStatistics

    @property
    def accuracy(self) -> float:
        """Share of lines without a discrepancy; 1 when there are no lines."""
        if self.lines.items_counted == 0:
            return 1.0
        exact = self.lines.items_counted - self.lines.items_with_discrepancy
        return exact / self.lines.items_counted


# Money columns hold integer micros: summing the raw integers keeps the sums exact everywhere.
_MICROS = coerce(CountItem.variance_value, BigInteger)


def _line_aggregates() -> list[ColumnElement[Any]]:
    return [
        func.count(CountItem.id).label("lines"),
        func.sum(case((CountItem.variance != 0, 1), else_=0)).label("discrepancies"),
        func.sum(case((_MICROS < 0, -_MICROS), else_=0)).label("missing"),
        func.sum(case((_MICROS > 0, _MICROS), else_=0)).label("excess"),
        func.sum(_MICROS).label("net"),
    ]


def _statistics(
    items: Any, discrepancies: Any, missing: Any, excess: Any, net: Any
) -> CountStatistics:
    return CountStatistics(
        items_counted=int(items or 0),
        items_with_discrepancy=int(discrepancies or 0),
        value_missing=from_micros(int(missing or 0)),
        value_in_excess=from_micros(int(excess or 0)),
        net_variance=from_micros(int(net or 0)),
    )


def _same_batch(a: Any, b: Any) -> ColumnElement[bool]:
    """Equal batch ids, where NULL (unbatched) equals NULL."""
    return or_(a == b, and_(a.is_(None), b.is_(None)))


def _counted_in(count_id: str) -> ColumnElement[bool]:
    """The stock level has a line in the count (correlated with StockLevel)."""
    return exists().where(
        CountItem.inventory_count_id == count_id,
        CountItem.product_id == StockLevel.product_id,
        _same_batch(CountItem.batch_id, StockLevel.batch_id),
    )


# Levels are locked in the order RecordStockMovements uses (product, then unbatched first, then
# batch id), so two transactions locking several levels never wait on each other in a cycle.
_LEVEL_LOCK_ORDER = (StockLevel.product_id, StockLevel.batch_id.is_not(None), StockLevel.batch_id)


class CountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- counts ---------------------------------------------------------------------------

    def add(self, count: InventoryCount) -> None:
        self.session.add(count)

    def get(self, count_id: str, *, lock: RowLock = None) -> InventoryCount | None:
        """The count; with lock, its row is held (FOR SHARE / FOR UPDATE) until the end of the
        transaction and read afresh."""
        stmt = select(InventoryCount).where(InventoryCount.id == count_id)
        if lock is not None:
            stmt = stmt.with_for_update(read=lock == "share").execution_options(
                populate_existing=True
            )
        return self.session.scalar(stmt)

    def in_progress(self) -> InventoryCount | None:
        return self.session.scalar(
            select(InventoryCount).where(InventoryCount.status == CountStatus.IN_PROGRESS.value)
        )

    def list_page(
        self, page: PageRequest, *, status: CountStatus | None, count_type: CountType | None
    ) -> Page[InventoryCount]:
        stmt = select(InventoryCount)
        if status is not None:
            stmt = stmt.where(InventoryCount.status == status.value)
        if count_type is not None:
            stmt = stmt.where(InventoryCount.type == count_type.value)
        return keyset_page(
            self.session,
            stmt,
            [InventoryCount.started_at, InventoryCount.id],
            lambda c: (c.started_at, c.id),
            page,
            descending=True,
        )

    def statistics(self, count_ids: Sequence[str]) -> dict[str, CountStatistics]:
        """Live figures of each count (counts without lines get zeros), in one query."""
        figures = {count_id: CountStatistics() for count_id in count_ids}
        if not count_ids:
            return figures
        stmt = (
            select(CountItem.inventory_count_id, *_line_aggregates())
            .where(CountItem.inventory_count_id.in_(count_ids))
            .group_by(CountItem.inventory_count_id)
        )
        for row in self.session.execute(stmt):
            figures[row.inventory_count_id] = _statistics(*row[1:])
        return figures

    # -- lines ----------------------------------------------------------------------------

    def add_item(self, item: CountItem) -> None:
        self.session.add(item)

    def find_item(
        self, count_id: str, product_id: str, batch_id: str | None, *, lock: bool = False
    ) -> CountItem | None:
        """The line of (count, product, batch); with lock, held FOR UPDATE and read afresh."""
        stmt = select(CountItem).where(
            CountItem.inventory_count_id == count_id,
            CountItem.product_id == product_id,
            CountItem.batch_id.is_(None) if batch_id is None else CountItem.batch_id == batch_id,
        )
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.session.scalar(stmt)

    def get_item(self, item_id: str) -> CountItem | None:
        return self.session.get(CountItem, item_id)

    def items_page(self, count_id: str, page: PageRequest) -> Page[CountItem]:
        """Lines in the order first recorded."""
        stmt = select(CountItem).where(CountItem.inventory_count_id == count_id)
        return keyset_page(
            self.session,
            stmt,
            [CountItem.first_counted_at, CountItem.id],
            lambda i: (i.first_counted_at, i.id),
            page,
        )

    def discrepancies_page(self, count_id: str | None, page: PageRequest) -> Page[CountItem]:
        """Lines over the review thresholds, most recently counted first."""
        stmt = select(CountItem).where(CountItem.significant.is_(True))
        if count_id is not None:
            stmt = stmt.where(CountItem.inventory_count_id == count_id)
        return keyset_page(
            self.session,
            stmt,
            [CountItem.counted_at, CountItem.id],
            lambda i: (i.counted_at, i.id),
            page,
            descending=True,
        )

    def skus(self, product_ids: Sequence[str]) -> dict[str, str]:
        if not product_ids:
            return {}
        rows = self.session.execute(
            select(Product.id, Product.sku).where(Product.id.in_(set(product_ids)))
        )
        return {row.id: row.sku for row in rows}

    def blind_flags(self, count_ids: Sequence[str]) -> dict[str, bool]:
        if not count_ids:
            return {}
        rows = self.session.execute(
            select(InventoryCount.id, InventoryCount.blind).where(
                InventoryCount.id.in_(set(count_ids))
            )
        )
        return {row.id: row.blind for row in rows}

    def system_quantity(self, product_id: str, batch_id: str | None) -> int:
        """The level's quantity as committed now (a column read, so never a stale object)."""
        quantity = self.session.scalar(
            select(StockLevel.quantity).where(
                StockLevel.product_id == product_id,
                StockLevel.batch_id.is_(None)
                if batch_id is None
                else StockLevel.batch_id == batch_id,
            )
        )
        return int(quantity or 0)

    # -- completion -----------------------------------------------------------------------

    def lock_levels_for_completion(self, count_id: str, *, include_uncounted: bool) -> None:
        """Locks, in one ordered statement, the levels a completion may change: those with a
        line in the count, and with include_uncounted the active products' levels without."""
        counted = _counted_in(count_id)
        condition: ColumnElement[bool] = counted
        if include_uncounted:
            condition = or_(counted, Product.active.is_(True))
        stmt = (
            select(StockLevel)
            .join(Product, Product.id == StockLevel.product_id)
            .where(condition)
            .order_by(*_LEVEL_LOCK_ORDER)
            .with_for_update(of=StockLevel)
            .execution_options(populate_existing=True)
        )
        self.session.scalars(stmt).all()

    def lines_with_levels(self, count_id: str) -> list[tuple[CountItem, StockLevel | None]]:
        """Every line of the count with its stock level, in the order first recorded."""
        stmt = (
            select(CountItem, StockLevel)
            .outerjoin(
                StockLevel,
                and_(
                    StockLevel.product_id == CountItem.product_id,
                    _same_batch(StockLevel.batch_id, CountItem.batch_id),
                ),
            )
            .where(CountItem.inventory_count_id == count_id)
            .order_by(CountItem.first_counted_at, CountItem.id)
        )
        return [(item, level) for item, level in self.session.execute(stmt)]

    def uncounted_levels(self, count_id: str) -> list[tuple[StockLevel, str | None]]:
        """Active products' stock levels without a line in the count, with their lot numbers."""
        stmt = (
            select(StockLevel, Batch.lot_number)
            .join(Product, Product.id == StockLevel.product_id)
            .outerjoin(Batch, Batch.id == StockLevel.batch_id)
            .where(Product.active.is_(True), ~_counted_in(count_id))
            .order_by(*_LEVEL_LOCK_ORDER)
        )
        return [(level, lot) for level, lot in self.session.execute(stmt)]

    def unit_costs(self, product_ids: Sequence[str]) -> dict[str, Decimal]:
        if not product_ids:
            return {}
        rows = self.session.execute(
            select(Product.id, Product.unit_cost).where(Product.id.in_(set(product_ids)))
        )
        return {row.id: row.unit_cost for row in rows}

    def adjustments_of(self, count_id: str) -> list[StockAdjustment]:
        """The CORRECTION adjustments a completed count wrote, in level order."""
        stmt = (
            select(StockAdjustment)
            .where(StockAdjustment.inventory_count_id == count_id)
            .order_by(
                StockAdjustment.product_id,
                StockAdjustment.batch_id.is_not(None),
                StockAdjustment.batch_id,
            )
        )
        return list(self.session.scalars(stmt))

    # -- summary --------------------------------------------------------------------------

    def summary(
        self,
        *,
        started_from: datetime | None,
        started_to: datetime | None,
        include_blind_lines: bool,
    ) -> tuple[SummaryFigures, dict[CountType, SummaryFigures]]:
        """Figures over the counts started in [from, to]: overall and per type, in SQL.

        Without include_blind_lines, the lines of blind counts are left out of the line figures
        (the counts themselves are still counted)."""
        lines = (
            select(CountItem.inventory_count_id.label("count_id"), *_line_aggregates())
            .group_by(CountItem.inventory_count_id)
            .subquery()
        )
        join_on: ColumnElement[bool] = lines.c.count_id == InventoryCount.id
        if not include_blind_lines:
            join_on = and_(join_on, InventoryCount.blind.is_(False))

        def with_status(status: CountStatus) -> ColumnElement[Any]:
            return func.sum(case((InventoryCount.status == status.value, 1), else_=0))

        figures = [
            func.count(InventoryCount.id),
            with_status(CountStatus.IN_PROGRESS),
            with_status(CountStatus.COMPLETED),
            with_status(CountStatus.CANCELLED),
            func.sum(lines.c.lines),
            func.sum(lines.c.discrepancies),
            func.sum(lines.c.missing),
            func.sum(lines.c.excess),
            func.sum(lines.c.net),
        ]
        base = select(*figures).select_from(InventoryCount).outerjoin(lines, join_on)
        if started_from is not None:
            base = base.where(InventoryCount.started_at >= started_from)
        if started_to is not None:
            base = base.where(InventoryCount.started_at <= started_to)

        overall = _summary_figures(self.session.execute(base).one())
        by_type_stmt = base.add_columns(InventoryCount.type).group_by(InventoryCount.type)
        by_type = {
            CountType(row[-1]): _summary_figures(row[:-1])
            for row in self.session.execute(by_type_stmt)
        }
        return overall, by_type


def _summary_figures(row: Sequence[Any]) -> SummaryFigures:
    return SummaryFigures(
        total_counts=int(row[0] or 0),
        in_progress_counts=int(row[1] or 0),
        completed_counts=int(row[2] or 0),
        cancelled_counts=int(row[3] or 0),
        lines=_statistics(*row[4:9]),
    )
