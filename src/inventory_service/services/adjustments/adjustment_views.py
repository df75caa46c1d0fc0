"""Read models of stock adjustments: one adjustment, and those waiting for approval."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from inventory_service.db.models import StockAdjustment
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.enums import AdjustmentStatus, AdjustmentType
from inventory_service.services.read_models import from_row


@dataclass(frozen=True)
class AdjustmentView:
    id: str
    product_id: str
    batch_id: str | None
    type: AdjustmentType
    quantity_change: int
    # Set once the adjustment is applied.
    quantity_before: int | None
    quantity_after: int | None
    reason: str
    notes: str
    reference_number: str
    cost_impact: Decimal
    requires_approval: bool
    status: AdjustmentStatus
    created_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_notes: str
    inventory_count_id: str | None
    location_id: str = ""
    site_id: str = ""
    location_code: str = ""
    site_code: str = ""


@dataclass(frozen=True)
class PendingApprovals:
    """Adjustments waiting for a manager's decision (the metrics endpoint reports them)."""

    waiting: int
    oldest_created_at: datetime | None  # None when none waits


def adjustment_view(
    row: StockAdjustment | Any, names: Mapping[str, Any] | None = None
) -> AdjustmentView:
    """row: a mapped adjustment or a result row with its columns; names: its location's codes
    (LocationRepository.names; without them the codes are left empty)."""
    place = names.get(row.location_id) if names is not None else None
    return from_row(
        AdjustmentView,
        row,
        type=AdjustmentType(row.type),
        status=AdjustmentStatus(row.status),
        location_code=place.code if place else "",
        site_code=place.site_code if place else "",
    )


def adjustment_views(
    uow: UnitOfWork, rows: Sequence[StockAdjustment | Any]
) -> list[AdjustmentView]:
    """adjustment_view of each row, with the codes of their locations (one query)."""
    names = uow.locations.names({row.location_id for row in rows})
    return [adjustment_view(row, names) for row in rows]
