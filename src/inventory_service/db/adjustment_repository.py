"""Queries over stock adjustments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory_service.db.models import StockAdjustment
from inventory_service.db.paging import Key, Page, PageRequest, keyset_page
from inventory_service.domain.enums import AdjustmentStatus, AdjustmentType

# Keyset order: creation time, then id to break ties between rows created in one instant.
_ORDER = [StockAdjustment.created_at, StockAdjustment.id]


def _key(adjustment: StockAdjustment) -> Key:
    return (adjustment.created_at, adjustment.id)


@dataclass(frozen=True)
class AdjustmentFilter:
    """Conditions of ListStockAdjustments; None means 'any'. Times are inclusive."""

    created_from: datetime | None = None
    created_to: datetime | None = None
    product_id: str | None = None
    type: AdjustmentType | None = None
    status: AdjustmentStatus | None = None


class AdjustmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, adjustment: StockAdjustment) -> None:
        self.session.add(adjustment)

    def get(self, adjustment_id: str, *, lock: bool = False) -> StockAdjustment | None:
        """One adjustment; with lock, its row is held (FOR UPDATE) until the transaction ends,
        so two managers deciding at once are served one after the other."""
        stmt = select(StockAdjustment).where(StockAdjustment.id == adjustment_id)
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalar(stmt)

    def list_page(self, where: AdjustmentFilter, page: PageRequest) -> Page[StockAdjustment]:
        """Matching adjustments, newest first."""
        stmt = select(StockAdjustment)
        if where.created_from is not None:
            stmt = stmt.where(StockAdjustment.created_at >= where.created_from)
        if where.created_to is not None:
            stmt = stmt.where(StockAdjustment.created_at <= where.created_to)
        if where.product_id is not None:
            stmt = stmt.where(StockAdjustment.product_id == where.product_id)
        if where.type is not None:
            stmt = stmt.where(StockAdjustment.type == where.type.value)
        if where.status is not None:
            stmt = stmt.where(StockAdjustment.status == where.status.value)
        return keyset_page(self.session, stmt, _ORDER, _key, page, descending=True)

    def pending_page(self, page: PageRequest) -> Page[StockAdjustment]:
        """Adjustments awaiting a decision, oldest first (the queue a manager works through)."""
        stmt = select(StockAdjustment).where(
            StockAdjustment.status == AdjustmentStatus.PENDING.value
        )
        return keyset_page(self.session, stmt, _ORDER, _key, page)

    def pending_summary(self) -> tuple[int, datetime | None]:
        """How many adjustments await a decision, and when the oldest was created."""
        pending = StockAdjustment.status == AdjustmentStatus.PENDING.value
        stmt = select(func.count(), func.min(StockAdjustment.created_at)).where(pending)
        waiting, oldest = self.session.execute(stmt).one()
        return int(waiting), oldest
