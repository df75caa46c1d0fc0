"""Queries over inventory counts and their lines."""

from __future__ import annotations

from sqlalchemy.orm import Session

from inventory_service.db.models import CountItem, InventoryCount


class CountRepository:
    """Inventory counts and their lines (queries grow with the counts service)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, count: InventoryCount) -> None:
        self.session.add(count)

    def get(self, count_id: str) -> InventoryCount | None:
        return self.session.get(InventoryCount, count_id)

    def add_item(self, item: CountItem) -> None:
        self.session.add(item)
