"""StockAdjustmentService over gRPC: messages in, service-layer calls, messages out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc

from inventory.v1 import stock_adjustment_pb2 as pb
from inventory.v1 import stock_adjustment_pb2_grpc
from inventory_service.api.adjustment_messages import (
    adjustment_draft,
    adjustment_filter,
    adjustment_message,
)
from inventory_service.api.blocking import BlockingRunner
from inventory_service.api.caller import current_caller
from inventory_service.api.page_tokens import ListPages
from inventory_service.api.place_messages import site_key
from inventory_service.domain.identity import Caller
from inventory_service.services.adjustments.adjustment_views import AdjustmentView
from inventory_service.services.adjustments.adjustments import AdjustmentService

Context = grpc.aio.ServicerContext[Any, Any]


@dataclass
class AdjustmentServicer(stock_adjustment_pb2_grpc.StockAdjustmentServiceServicer):
    adjustments: AdjustmentService
    run: BlockingRunner
    lists: ListPages
    currency: str

    def _message(self, adjustment: AdjustmentView) -> pb.StockAdjustment:
        return adjustment_message(adjustment, self.currency)

    async def CreateStockAdjustment(
        self, request: pb.CreateStockAdjustmentRequest, context: Context
    ) -> pb.CreateStockAdjustmentResponse:
        adjustment = await self.run(
            self.adjustments.create,
            current_caller(),
            adjustment_draft(request),
            request_id=request.request_id,
        )
        return pb.CreateStockAdjustmentResponse(stock_adjustment=self._message(adjustment))

    async def GetStockAdjustment(
        self, request: pb.GetStockAdjustmentRequest, context: Context
    ) -> pb.GetStockAdjustmentResponse:
        adjustment = await self.run(
            self.adjustments.get, current_caller(), request.stock_adjustment_id
        )
        return pb.GetStockAdjustmentResponse(stock_adjustment=self._message(adjustment))

    async def ListStockAdjustments(
        self, request: pb.ListStockAdjustmentsRequest, context: Context
    ) -> pb.ListStockAdjustmentsResponse:
        where = adjustment_filter(request)
        caller = current_caller()
        found, token = await self.lists(
            request, lambda page: self.adjustments.list(caller, where, page)
        )
        return pb.ListStockAdjustmentsResponse(
            stock_adjustments=[self._message(a) for a in found], next_page_token=token
        )

    async def ListPendingApprovals(
        self, request: pb.ListPendingApprovalsRequest, context: Context
    ) -> pb.ListPendingApprovalsResponse:
        caller, site = current_caller(), site_key(request.site)
        found, token = await self.lists(
            request, lambda page: self.adjustments.list_pending(caller, page, site=site)
        )
        return pb.ListPendingApprovalsResponse(
            stock_adjustments=[self._message(a) for a in found], next_page_token=token
        )

    async def ApproveStockAdjustment(
        self, request: pb.ApproveStockAdjustmentRequest, context: Context
    ) -> pb.ApproveStockAdjustmentResponse:
        approved = await self._decide(self.adjustments.approve, request)
        return pb.ApproveStockAdjustmentResponse(stock_adjustment=approved)

    async def RejectStockAdjustment(
        self, request: pb.RejectStockAdjustmentRequest, context: Context
    ) -> pb.RejectStockAdjustmentResponse:
        rejected = await self._decide(self.adjustments.reject, request)
        return pb.RejectStockAdjustmentResponse(stock_adjustment=rejected)

    async def _decide(
        self,
        decision: Callable[[Caller, str, str], AdjustmentView],
        request: pb.ApproveStockAdjustmentRequest | pb.RejectStockAdjustmentRequest,
    ) -> pb.StockAdjustment:
        decided = await self.run(
            decision, current_caller(), request.stock_adjustment_id, request.notes
        )
        return self._message(decided)

    async def ListProductAdjustments(
        self, request: pb.ListProductAdjustmentsRequest, context: Context
    ) -> pb.ListProductAdjustmentsResponse:
        caller = current_caller()
        found, token = await self.lists(
            request,
            lambda page: self.adjustments.list_for_product(caller, request.product_id, page),
        )
        return pb.ListProductAdjustmentsResponse(
            stock_adjustments=[self._message(a) for a in found], next_page_token=token
        )
