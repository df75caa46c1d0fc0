"""InventoryCountService over gRPC: messages in, service-layer calls, messages out.

What a caller may see of a blind count is decided by visible_to (domain/count_rules.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc

from inventory.v1 import (
    catalog_pb2,
    inventory_count_pb2,
    inventory_count_pb2_grpc,
)
from inventory_service.api.adjustment_servicer import adjustment_message
from inventory_service.api.blocking import BlockingRunner
from inventory_service.api.caller import current_caller
from inventory_service.api.catalog_servicer import product_key
from inventory_service.api.convert import (
    decimal_to_money,
    enum_from_proto,
    enum_to_proto,
    optional_enum_filter,
    optional_timestamp,
    to_timestamp,
)
from inventory_service.api.count_stream import CountStreamHandler
from inventory_service.api.entry_committer import EntryCommitter
from inventory_service.api.paging import PageTokens
from inventory_service.db.count_repository import CountStatistics, SummaryFigures
from inventory_service.domain.count_rules import visible_to
from inventory_service.domain.enums import CountMode, CountStatus, CountType, StockApplyMode
from inventory_service.domain.identity import Caller
from inventory_service.services.count_completion import CompletionOptions, UncountedLevel
from inventory_service.services.count_entries import CountEntryInput
from inventory_service.services.count_stream import CountStreamService, StreamEntry
from inventory_service.services.counts import CountService, CountView, LineView

Context = grpc.aio.ServicerContext[Any, Any]
pb = inventory_count_pb2
TYPE_PREFIX = "INVENTORY_COUNT_TYPE_"
STATUS_PREFIX = "INVENTORY_COUNT_STATUS_"


class CountMessages:
    """Domain views -> messages, hiding what a caller may not see of a blind count."""

    def __init__(self, currency: str) -> None:
        self.currency = currency

    def money(self, amount: Any) -> Any:
        return decimal_to_money(amount, self.currency)

    def statistics(self, s: CountStatistics) -> pb.InventoryCountStatistics:
        return pb.InventoryCountStatistics(
            items_counted=s.items_counted,
            items_with_discrepancy=s.items_with_discrepancy,
            value_missing=self.money(s.value_missing),
            value_in_excess=self.money(s.value_in_excess),
            net_variance=self.money(s.net_variance),
        )

    def count(self, view: CountView, caller: Caller) -> pb.InventoryCount:
        c = view.count
        message = pb.InventoryCount(
            id=c.id,
            name=c.name,
            type=enum_to_proto(c.type, pb.InventoryCountType, TYPE_PREFIX),
            notes=c.notes,
            blind=c.blind,
            status=enum_to_proto(c.status, pb.InventoryCountStatus, STATUS_PREFIX),
            start_time=to_timestamp(c.started_at),
            started_by=c.started_by,
            complete_time=to_timestamp(c.completed_at),
            completed_by=c.completed_by or "",
            cancel_time=to_timestamp(c.cancelled_at),
            cancelled_by=c.cancelled_by or "",
            close_notes=c.close_notes,
        )
        if visible_to(caller, view):
            message.statistics.CopyFrom(self.statistics(view.statistics))
        return message

    def item(self, line: LineView, caller: Caller) -> pb.CountItem:
        i = line.item
        message = pb.CountItem(
            id=i.id,
            inventory_count_id=i.inventory_count_id,
            product_id=i.product_id,
            sku=line.sku,
            batch_id=i.batch_id or "",
            counted_quantity=i.counted_quantity,
            reason=i.reason,
            notes=i.notes,
            location=i.location,
            counted_by=i.counted_by,
            count_time=to_timestamp(i.counted_at),
        )
        if visible_to(caller, line):
            message.system_quantity = i.system_quantity
            message.variance = i.variance
            message.variance_value.CopyFrom(self.money(i.variance_value))
            message.significant_discrepancy = i.significant
        return message

    def level(self, u: UncountedLevel) -> catalog_pb2.StockLevel:
        return catalog_pb2.StockLevel(
            product_id=u.product_id,
            batch_id=u.batch_id or "",
            lot_number=u.lot_number,
            quantity=u.quantity,
        )

    def figures(self, f: SummaryFigures) -> pb.InventorySummaryFigures:
        return pb.InventorySummaryFigures(
            total_counts=f.total_counts,
            in_progress_counts=f.in_progress_counts,
            completed_counts=f.completed_counts,
            cancelled_counts=f.cancelled_counts,
            items_counted=f.lines.items_counted,
            items_with_discrepancy=f.lines.items_with_discrepancy,
            accuracy=f.accuracy,
            value_missing=self.money(f.lines.value_missing),
            value_in_excess=self.money(f.lines.value_in_excess),
            net_variance=self.money(f.lines.net_variance),
        )


class CountServicer(inventory_count_pb2_grpc.InventoryCountServiceServicer):
    def __init__(
        self,
        counts: CountService,
        run: BlockingRunner,
        page_tokens: PageTokens,
        currency: str,
        stream: CountStreamService,
    ) -> None:
        self.counts = counts
        self.run = run
        self.page_tokens = page_tokens
        self.messages = CountMessages(currency)
        self.committer = EntryCommitter(stream, run)
        self.stream = CountStreamHandler(self.committer, self.messages.item)

    async def StartInventoryCount(
        self, request: pb.StartInventoryCountRequest, context: Context
    ) -> pb.StartInventoryCountResponse:
        caller = current_caller()
        # UNSPECIFIED passes as None, so the service reports it with the other fields.
        count_type = optional_enum_filter(
            request.type, pb.InventoryCountType, TYPE_PREFIX, CountType, "type"
        )
        view = await self.run(
            self.counts.start,
            caller,
            name=request.name,
            count_type=count_type,
            notes=request.notes,
            blind=request.blind,
            request_id=request.request_id,
        )
        return pb.StartInventoryCountResponse(inventory_count=self.messages.count(view, caller))

    async def GetInventoryCount(
        self, request: pb.GetInventoryCountRequest, context: Context
    ) -> pb.GetInventoryCountResponse:
        view = await self.run(self.counts.get, request.inventory_count_id)
        return pb.GetInventoryCountResponse(
            inventory_count=self.messages.count(view, current_caller())
        )

    async def ListInventoryCounts(
        self, request: pb.ListInventoryCountsRequest, context: Context
    ) -> pb.ListInventoryCountsResponse:
        status = optional_enum_filter(
            request.status, pb.InventoryCountStatus, STATUS_PREFIX, CountStatus, "status"
        )
        count_type = optional_enum_filter(
            request.type, pb.InventoryCountType, TYPE_PREFIX, CountType, "type"
        )
        scope = f"ListInventoryCounts:{status}:{count_type}"
        page = self.page_tokens.request(request.page_size, request.page_token, scope)
        result = await self.run(self.counts.list_counts, page, status=status, count_type=count_type)
        caller = current_caller()
        return pb.ListInventoryCountsResponse(
            inventory_counts=[self.messages.count(v, caller) for v in result.items],
            next_page_token=self.page_tokens.next_token(result.next_key, scope),
        )

    async def AddCountItem(
        self, request: pb.AddCountItemRequest, context: Context
    ) -> pb.AddCountItemResponse:
        caller = current_caller()
        entry = CountEntryInput(
            inventory_count_id=request.inventory_count_id,
            product=product_key(request.product),
            quantity=request.counted_quantity,
            batch_id=request.batch_id,
            lot_number=request.lot_number,
            mode=enum_from_proto(
                request.mode, pb.CountMode, "COUNT_MODE_", CountMode, "mode", default=CountMode.SET
            ),
            reason=request.reason,
            notes=request.notes,
            location=request.location,
        )
        if request.request_id:
            line = await self.run(
                self.counts.add_item, caller, entry, request_id=request.request_id
            )
        else:
            (outcome,) = await self.committer.record([StreamEntry("", entry, caller, kept=False)])
            line = outcome.line_or_raise()
        return pb.AddCountItemResponse(item=self.messages.item(line, caller))

    async def ListCountItems(
        self, request: pb.ListCountItemsRequest, context: Context
    ) -> pb.ListCountItemsResponse:
        scope = f"ListCountItems:{request.inventory_count_id}"
        page = self.page_tokens.request(request.page_size, request.page_token, scope)
        result = await self.run(self.counts.list_items, request.inventory_count_id, page)
        caller = current_caller()
        return pb.ListCountItemsResponse(
            items=[self.messages.item(line, caller) for line in result.items],
            next_page_token=self.page_tokens.next_token(result.next_key, scope),
        )

    async def StreamCountItems(
        self, request_iterator: AsyncIterator[pb.StreamCountItemsRequest], context: Context
    ) -> AsyncIterator[pb.StreamCountItemsResponse]:
        async for response in self.stream.handle(request_iterator, context):
            yield response

    async def CompleteInventoryCount(
        self, request: pb.CompleteInventoryCountRequest, context: Context
    ) -> pb.CompleteInventoryCountResponse:
        caller = current_caller()
        options = CompletionOptions(
            apply_adjustments=request.apply_adjustments,
            notes=request.notes,
            apply_mode=enum_from_proto(
                request.apply_mode,
                pb.StockApplyMode,
                "STOCK_APPLY_MODE_",
                StockApplyMode,
                "apply_mode",
                default=StockApplyMode.DIFFERENCE,
            ),
            zero_uncounted=request.zero_uncounted,
        )
        result = await self.run(
            self.counts.complete,
            caller,
            request.inventory_count_id,
            options,
            request_id=request.request_id,
        )
        m = self.messages
        return pb.CompleteInventoryCountResponse(
            inventory_count=m.count(result.count, caller),
            adjustments=[adjustment_message(a, m.currency) for a in result.adjustments],
            moved_items=[
                pb.MovedCountItem(
                    item=m.item(moved.line, caller), current_quantity=moved.current_quantity
                )
                for moved in result.moved
            ],
            uncounted_levels=[m.level(u) for u in result.uncounted],
        )

    async def CancelInventoryCount(
        self, request: pb.CancelInventoryCountRequest, context: Context
    ) -> pb.CancelInventoryCountResponse:
        caller = current_caller()
        view = await self.run(
            self.counts.cancel, caller, request.inventory_count_id, notes=request.notes
        )
        return pb.CancelInventoryCountResponse(inventory_count=self.messages.count(view, caller))

    async def GetInventorySummary(
        self, request: pb.GetInventorySummaryRequest, context: Context
    ) -> pb.GetInventorySummaryResponse:
        summary = await self.run(
            self.counts.summary,
            current_caller(),
            started_from=optional_timestamp(request, "start_time_from"),
            started_to=optional_timestamp(request, "start_time_to"),
        )
        m = self.messages
        return pb.GetInventorySummaryResponse(
            overall=m.figures(summary.overall),
            by_type=[
                pb.InventoryTypeSummary(
                    type=enum_to_proto(count_type, pb.InventoryCountType, TYPE_PREFIX),
                    figures=m.figures(summary.by_type[count_type]),
                )
                for count_type in CountType
                if count_type in summary.by_type
            ],
        )

    async def ListDiscrepancies(
        self, request: pb.ListDiscrepanciesRequest, context: Context
    ) -> pb.ListDiscrepanciesResponse:
        scope = f"ListDiscrepancies:{request.inventory_count_id}"
        page = self.page_tokens.request(request.page_size, request.page_token, scope)
        result = await self.run(self.counts.list_discrepancies, request.inventory_count_id, page)
        caller = current_caller()
        return pb.ListDiscrepanciesResponse(
            items=[self.messages.item(line, caller) for line in result.items],
            next_page_token=self.page_tokens.next_token(result.next_key, scope),
        )
