"""Read models of stock adjustments: one adjustment, and those waiting for approval."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from inventory_service.db.models import StockAdjustment
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


def adjustment_view(row: StockAdjustment | Any) -> AdjustmentView:
    """row: an adjustment as AdjustmentRepository reads it (with its location's and site's
    codes), or a mapped adjustment, which has no codes (they are left empty)."""
    codes = ("", "") if isinstance(row, StockAdjustment) else (row.location_code, row.site_code)
    return from_row(
        AdjustmentView,
        row,
        type=AdjustmentType(row.type),
        status=AdjustmentStatus(row.status),
        location_code=codes[0],
        site_code=codes[1],
    )
