"""StockAdjustmentService over gRPC: messages in, service-layer calls, messages out."""

from __future__ import annotations

from typing import Any

import grpc

from inventory.v1 import stock_adjustment_pb2, stock_adjustment_pb2_grpc
from inventory_service.api.blocking import BlockingRunner
from inventory_service.api.caller import current_caller
from inventory_service.api.convert import (
    decimal_to_money,
    enum_to_proto,
    optional_enum_filter,
    optional_timestamp,
    to_timestamp,
)
from inventory_service.api.paging import PageTokens
from inventory_service.db.adjustment_repository import AdjustmentFilter
from inventory_service.db.models import StockAdjustment
from inventory_service.domain.enums import AdjustmentStatus, AdjustmentType
from inventory_service.services.adjustment_rules import AdjustmentDraft
from inventory_service.services.adjustments import AdjustmentService

Context = grpc.aio.ServicerContext[Any, Any]
TYPE_PREFIX = "STOCK_ADJUSTMENT_TYPE_"
STATUS_PREFIX = "STOCK_ADJUSTMENT_STATUS_"


def adjustment_message(a: StockAdjustment, currency: str) -> stock_adjustment_pb2.StockAdjustment:
    """The message for an adjustment row (also used for the CORRECTIONs a count writes)."""
    message = stock_adjustment_pb2.StockAdjustment(
        id=a.id,
        product_id=a.product_id,
        batch_id=a.batch_id or "",
        type=enum_to_proto(a.type, stock_adjustment_pb2.StockAdjustmentType, TYPE_PREFIX),
        quantity_change=a.quantity_change,
        reason=a.reason,
        notes=a.notes,
        reference_number=a.reference_number,
        cost_impact=decimal_to_money(a.cost_impact, currency),
        requires_approval=a.requires_approval,
        status=enum_to_proto(a.status, stock_adjustment_pb2.StockAdjustmentStatus, STATUS_PREFIX),
        created_by=a.created_by,
        create_time=to_timestamp(a.created_at),
        decided_by=a.decided_by or "",
        decide_time=to_timestamp(a.decided_at),
        decision_notes=a.decision_notes,
        inventory_count_id=a.inventory_count_id or "",
    )
    # Optional fields: present only once the adjustment has been applied.
    if a.quantity_before is not None:
        message.quantity_before = a.quantity_before
    if a.quantity_after is not None:
        message.quantity_after = a.quantity_after
    return message


class AdjustmentServicer(stock_adjustment_pb2_grpc.StockAdjustmentServiceServicer):
    def __init__(
        self,
        adjustments: AdjustmentService,
        run: BlockingRunner,
        page_tokens: PageTokens,
        currency: str,
    ) -> None:
        self.adjustments = adjustments
        self.run = run
        self.page_tokens = page_tokens
        self.currency = currency

    def _messages(self, rows: list[StockAdjustment]) -> list[stock_adjustment_pb2.StockAdjustment]:
        return [adjustment_message(a, self.currency) for a in rows]

    async def CreateStockAdjustment(
        self, request: stock_adjustment_pb2.CreateStockAdjustmentRequest, context: Context
    ) -> stock_adjustment_pb2.CreateStockAdjustmentResponse:
        draft = AdjustmentDraft(
            product_id=request.product_id,
            batch_id=request.batch_id,
            # UNSPECIFIED becomes None, reported with the request's other problems.
            type=optional_enum_filter(
                request.type,
                stock_adjustment_pb2.StockAdjustmentType,
                TYPE_PREFIX,
                AdjustmentType,
                "type",
            ),
            quantity_change=request.quantity_change,
            reason=request.reason,
            notes=request.notes,
            reference_number=request.reference_number,
        )
        adjustment = await self.run(
            self.adjustments.create, current_caller(), draft, request_id=request.request_id
        )
        return stock_adjustment_pb2.CreateStockAdjustmentResponse(
            stock_adjustment=adjustment_message(adjustment, self.currency)
        )

    async def GetStockAdjustment(
        self, request: stock_adjustment_pb2.GetStockAdjustmentRequest, context: Context
    ) -> stock_adjustment_pb2.GetStockAdjustmentResponse:
        adjustment = await self.run(self.adjustments.get, request.stock_adjustment_id)
        return stock_adjustment_pb2.GetStockAdjustmentResponse(
            stock_adjustment=adjustment_message(adjustment, self.currency)
        )

    async def ListStockAdjustments(
        self, request: stock_adjustment_pb2.ListStockAdjustmentsRequest, context: Context
    ) -> stock_adjustment_pb2.ListStockAdjustmentsResponse:
        where = AdjustmentFilter(
            created_from=optional_timestamp(request, "create_time_from"),
            created_to=optional_timestamp(request, "create_time_to"),
            product_id=request.product_id or None,
            type=optional_enum_filter(
                request.type,
                stock_adjustment_pb2.StockAdjustmentType,
                TYPE_PREFIX,
                AdjustmentType,
                "type",
            ),
            status=optional_enum_filter(
                request.status,
                stock_adjustment_pb2.StockAdjustmentStatus,
                STATUS_PREFIX,
                AdjustmentStatus,
                "status",
            ),
        )
        scope = (
            f"ListStockAdjustments:{where.created_from}:{where.created_to}:"
            f"{where.product_id}:{where.type}:{where.status}"
        )
        page = self.page_tokens.request(request.page_size, request.page_token, scope)
        result = await self.run(self.adjustments.list, where, page)
        return stock_adjustment_pb2.ListStockAdjustmentsResponse(
            stock_adjustments=self._messages(result.items),
            next_page_token=self.page_tokens.next_token(result.next_key, scope),
        )

    async def ListPendingApprovals(
        self, request: stock_adjustment_pb2.ListPendingApprovalsRequest, context: Context
    ) -> stock_adjustment_pb2.ListPendingApprovalsResponse:
        scope = "ListPendingApprovals"
        page = self.page_tokens.request(request.page_size, request.page_token, scope)
        result = await self.run(self.adjustments.list_pending, page)
        return stock_adjustment_pb2.ListPendingApprovalsResponse(
            stock_adjustments=self._messages(result.items),
            next_page_token=self.page_tokens.next_token(result.next_key, scope),
        )

    async def ApproveStockAdjustment(
        self, request: stock_adjustment_pb2.ApproveStockAdjustmentRequest, context: Context
    ) -> stock_adjustment_pb2.ApproveStockAdjustmentResponse:
        adjustment = await self.run(
            self.adjustments.approve, current_caller(), request.stock_adjustment_id, request.notes
        )
        return stock_adjustment_pb2.ApproveStockAdjustmentResponse(
            stock_adjustment=adjustment_message(adjustment, self.currency)
        )

    async def RejectStockAdjustment(
        self, request: stock_adjustment_pb2.RejectStockAdjustmentRequest, context: Context
    ) -> stock_adjustment_pb2.RejectStockAdjustmentResponse:
        adjustment = await self.run(
            self.adjustments.reject, current_caller(), request.stock_adjustment_id, request.notes
        )
        return stock_adjustment_pb2.RejectStockAdjustmentResponse(
            stock_adjustment=adjustment_message(adjustment, self.currency)
        )

    async def ListProductAdjustments(
        self, request: stock_adjustment_pb2.ListProductAdjustmentsRequest, context: Context
    ) -> stock_adjustment_pb2.ListProductAdjustmentsResponse:
        scope = f"ListProductAdjustments:{request.product_id}"
        page = self.page_tokens.request(request.page_size, request.page_token, scope)
        result = await self.run(self.adjustments.list_for_product, request.product_id, page)
        return stock_adjustment_pb2.ListProductAdjustmentsResponse(
            stock_adjustments=self._messages(result.items),
            next_page_token=self.page_tokens.next_token(result.next_key, scope),
        )
