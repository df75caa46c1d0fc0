"""Queries over stock adjustments."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from inventory_service.db.keyset import keyset_page
from inventory_service.db.models import StockAdjustment
from inventory_service.db.site_repository import with_place_codes
from inventory_service.domain.enums import AdjustmentStatus, AdjustmentType
from inventory_service.domain.paging import Page, PageRequest

# Lists are Core statements over the table: rows, no ORM instances.
_adjustments = StockAdjustment.__table__
# Adjustments as they are read: the table's columns and the codes of their location and site.
_ROWS = with_place_codes(_adjustments)
# Keyset order: creation time, then id to break ties between rows created in one instant.
_ORDER = [_adjustments.c.created_at, _adjustments.c.id]


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

    def row(self, adjustment_id: str) -> Row[Any] | None:
        """One adjustment as the lists give it (with its place's codes). Pending changes must
        be flushed first."""
        return self.session.execute(_ROWS.where(_adjustments.c.id == adjustment_id)).first()

    def list_page(
        self,
        page: PageRequest,
        *,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        product_id: str | None = None,
        type: AdjustmentType | None = None,
        status: AdjustmentStatus | None = None,
        site_ids: Collection[str] | None = None,
    ) -> Page[Row[Any]]:
        """Adjustments (rows as row() gives them) matching every condition given (times
        inclusive; sites: those of site_ids), newest first."""
        columns = _adjustments.c
        stmt = _ROWS
        if site_ids is not None:
            stmt = stmt.where(columns.site_id.in_(set(site_ids)))
        if created_from is not None:
            stmt = stmt.where(columns.created_at >= created_from)
        if created_to is not None:
            stmt = stmt.where(columns.created_at <= created_to)
        if product_id is not None:
            stmt = stmt.where(columns.product_id == product_id)
        if type is not None:
            stmt = stmt.where(columns.type == type.value)
        if status is not None:
            stmt = stmt.where(columns.status == status.value)
        return keyset_page(self.session, stmt, _ORDER, page, descending=True, rows=True)

    def pending_page(
        self, page: PageRequest, *, site_ids: Collection[str] | None = None
    ) -> Page[Row[Any]]:
        """Adjustments (rows) awaiting a decision, oldest first (the queue a manager works
        through); in the sites of site_ids when given."""
        pending = _adjustments.c.status == AdjustmentStatus.PENDING.value
        stmt = _ROWS.where(pending)
        if site_ids is not None:
            stmt = stmt.where(_adjustments.c.site_id.in_(set(site_ids)))
        return keyset_page(self.session, stmt, _ORDER, page, rows=True)

    def pending_summary(self) -> tuple[int, datetime | None]:
        """How many adjustments await a decision, and when the oldest was created."""
        pending = StockAdjustment.status == AdjustmentStatus.PENDING.value
        stmt = select(func.count(), func.min(StockAdjustment.created_at)).where(pending)
        waiting, oldest = self.session.execute(stmt).one()
        return int(waiting), oldest
