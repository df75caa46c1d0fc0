"""A ledger row as a read model, with the codes of its location and site."""

from __future__ import annotations

from typing import Any

from inventory_service.domain.enums import LedgerSource
from inventory_service.services.catalog.catalog_views import LedgerEntryView
from inventory_service.services.read_models import from_row


def ledger_entry_view(row: Any) -> LedgerEntryView:
    """row: a ledger row with location_code and site_code (LedgerRepository)."""
    return from_row(LedgerEntryView, row, source=LedgerSource(row.source))
