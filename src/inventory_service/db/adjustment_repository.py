"""Queries over stock adjustments."""

from __future__ import annotations

from sqlalchemy.orm import Session

from inventory_service.db.models import StockAdjustment


class AdjustmentRepository:
    """Stock adjustments (queries grow with the adjustments service)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, adjustment: StockAdjustment) -> None:
        self.session.add(adjustment)

    def get(self, adjustment_id: str) -> StockAdjustment | None:
        return self.session.get(StockAdjustment, adjustment_id)
