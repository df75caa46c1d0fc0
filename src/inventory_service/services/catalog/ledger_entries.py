"""Ledger rows as read models, with the codes of their locations and sites."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inventory_service.db.models import LedgerEntry
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.enums import LedgerSource
from inventory_service.services.catalog.catalog_views import LedgerEntryView
from inventory_service.services.read_models import from_row


def ledger_entry_views(
    uow: UnitOfWork, entries: Sequence[LedgerEntry | Any]
) -> list[LedgerEntryView]:
    """entries: mapped ledger rows or result rows with their columns (one query for the
    codes of all their locations)."""
    names = uow.locations.names({e.location_id for e in entries})
    views = []
    for entry in entries:
        place = names.get(entry.location_id)
        views.append(
            from_row(
                LedgerEntryView,
                entry,
                source=LedgerSource(entry.source),
                location_code=place.code if place else "",
                site_code=place.site_code if place else "",
            )
        )
    return views
