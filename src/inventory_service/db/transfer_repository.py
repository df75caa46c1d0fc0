"""Transfers between locations: one row per line of a TransferStock call."""

from __future__ import annotations

from sqlalchemy.orm import Session

from inventory_service.db.models import StockTransfer


class TransferRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, transfer: StockTransfer) -> None:
        self.session.add(transfer)
