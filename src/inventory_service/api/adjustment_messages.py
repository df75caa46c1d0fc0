"""StockAdjustmentService messages <-> adjustment read models and inputs."""

from __future__ import annotations

from inventory.v1 import stock_adjustment_pb2 as pb
from inventory_service.api.convert import (
    decimal_to_money,
    enum_to_proto,
    optional_enum_filter,
    optional_timestamp,
    to_timestamp,
)
from inventory_service.api.place_messages import location_key, site_key
from inventory_service.domain.adjustment_rules import AdjustmentDraft
from inventory_service.domain.enums import AdjustmentStatus, AdjustmentType
from inventory_service.services.adjustments.adjustment_views import AdjustmentView
from inventory_service.services.adjustments.adjustments import AdjustmentFilter

TYPE_PREFIX = "STOCK_ADJUSTMENT_TYPE_"
STATUS_PREFIX = "STOCK_ADJUSTMENT_STATUS_"


def _type(value: int) -> AdjustmentType | None:
    """UNSPECIFIED is None: required where it must be given, 'any' in a filter."""
    return optional_enum_filter(value, pb.StockAdjustmentType, TYPE_PREFIX, AdjustmentType, "type")


def adjustment_draft(request: pb.CreateStockAdjustmentRequest) -> AdjustmentDraft:
    return AdjustmentDraft(
        product_id=request.product_id,
        batch_id=request.batch_id,
        type=_type(request.type),  # a missing type is reported with the request's other problems
        quantity_change=request.quantity_change,
        reason=request.reason,
        notes=request.notes,
        reference_number=request.reference_number,
        location=location_key(request.location),
    )


def adjustment_filter(request: pb.ListStockAdjustmentsRequest) -> AdjustmentFilter:
    return AdjustmentFilter(
        created_from=optional_timestamp(request, "create_time_from"),
        created_to=optional_timestamp(request, "create_time_to"),
        product_id=request.product_id or None,
        type=_type(request.type),
        status=optional_enum_filter(
            request.status, pb.StockAdjustmentStatus, STATUS_PREFIX, AdjustmentStatus, "status"
        ),
        site=site_key(request.site),
    )


def adjustment_message(a: AdjustmentView, currency: str) -> pb.StockAdjustment:
    """The message of an adjustment (also of the CORRECTIONs a count writes)."""
    message = pb.StockAdjustment(
        id=a.id,
        product_id=a.product_id,
        batch_id=a.batch_id or "",
        type=enum_to_proto(a.type, pb.StockAdjustmentType, TYPE_PREFIX),
        quantity_change=a.quantity_change,
        reason=a.reason,
        notes=a.notes,
        reference_number=a.reference_number,
        cost_impact=decimal_to_money(a.cost_impact, currency),
        requires_approval=a.requires_approval,
        status=enum_to_proto(a.status, pb.StockAdjustmentStatus, STATUS_PREFIX),
        created_by=a.created_by,
        create_time=to_timestamp(a.created_at),
        decided_by=a.decided_by or "",
        decide_time=to_timestamp(a.decided_at),
        decision_notes=a.decision_notes,
        inventory_count_id=a.inventory_count_id or "",
        location_id=a.location_id,
        location_code=a.location_code,
        site_id=a.site_id,
        site_code=a.site_code,
    )
    # Optional fields: present only once the adjustment has been applied.
    if a.quantity_before is not None:
        message.quantity_before = a.quantity_before
    if a.quantity_after is not None:
        message.quantity_after = a.quantity_after
    return message
