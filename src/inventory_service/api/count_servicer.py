"""InventoryCountService over gRPC: messages in, service-layer calls, messages out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import grpc

from inventory.v1 import inventory_count_pb2 as pb
from inventory.v1 import inventory_count_pb2_grpc
from inventory_service.api.blocking import BlockingRunner
from inventory_service.api.caller import current_caller
from inventory_service.api.convert import enum_from_proto, optional_enum_filter, optional_timestamp
from inventory_service.api.count_messages import (
    ABC_PREFIX,
    STATUS_PREFIX,
    TYPE_PREFIX,
    CountMessages,
    added_entry,
    as_add_count_item_error,
)
from inventory_service.api.page_tokens import ListPages
from inventory_service.api.recount_messages import entry_message
from inventory_service.api.scanner_stream import ScannerStreams
from inventory_service.domain.completion_rules import CompletionOptions
from inventory_service.domain.count_scope import CountScope
from inventory_service.domain.enums import AbcClass, CountStatus, CountType, StockApplyMode
from inventory_service.domain.errors import DomainError
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.logs import current_request_id
from inventory_service.services.counts.completion import CountCompletion
from inventory_service.services.counts.count_views import CountLineView
from inventory_service.services.counts.cycle_plans import CyclePlans
from inventory_service.services.counts.lifecycle import CountService
from inventory_service.services.counts.recounts import RecountService
from inventory_service.services.counts.reports import CountReports
from inventory_service.services.ingestion.committer import EntryCommitter
from inventory_service.services.ingestion.entries import unary_entry_id
from inventory_service.services.ingestion.streams import EntryStreams

Context = grpc.aio.ServicerContext[Any, Any]


@dataclass
class CountServicer(inventory_count_pb2_grpc.InventoryCountServiceServicer):
    counts: CountService
    completion: CountCompletion
    reports: CountReports
    plans: CyclePlans
    committer: EntryCommitter
    streams: EntryStreams
    run: BlockingRunner
    lists: ListPages
    currency: str
    recounts: RecountService

    def __post_init__(self) -> None:
        self.messages = CountMessages(self.currency)
        self.scanners = ScannerStreams(self.streams, self.messages.item)

    async def _lines(
        self,
        request: pb.ListCountItemsRequest | pb.ListDiscrepanciesRequest,
        fetch: Callable[[str, PageRequest], Page[CountLineView]],
    ) -> tuple[list[pb.CountItem], str]:
        """A page of a count's lines (of all counts' for an empty id, where fetch allows it)."""
        lines, token = await self.lists(
            request, lambda page: fetch(request.inventory_count_id, page)
        )
        caller = current_caller()
        return [self.messages.item(line, caller) for line in lines], token

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
            recount_significant=request.recount_significant,
            scope=CountScope(
                product_ids=tuple(request.scope_product_ids),
                due_products=request.scope_due_products,
                abc_class=optional_enum_filter(
                    request.scope_abc_class, pb.AbcClass, ABC_PREFIX, AbcClass, "scope_abc_class"
                ),
            ),
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
        status = count_status_filter(request.status)
        count_type = optional_enum_filter(
            request.type, pb.InventoryCountType, TYPE_PREFIX, CountType, "type"
        )
        counts, token = await self.lists(
            request, lambda page: self.counts.list(page, status=status, count_type=count_type)
        )
        caller = current_caller()
        return pb.ListInventoryCountsResponse(
            inventory_counts=[self.messages.count(v, caller) for v in counts],
            next_page_token=token,
        )

    async def AddCountItem(
        self, request: pb.AddCountItemRequest, context: Context
    ) -> pb.AddCountItemResponse:
        """A batch of one for the recorder that scanner streams use (services/ingestion)."""
        caller = current_caller()
        entry_id = unary_entry_id(request.request_id)
        entry = added_entry(request, caller, entry_id, current_request_id() or "")
        (outcome,) = await self.committer.record([entry])
        try:
            line = outcome.line_or_raise()
        except DomainError as error:
            raise as_add_count_item_error(error) from error
        return pb.AddCountItemResponse(item=self.messages.item(line, caller))

    async def ListCountItems(
        self, request: pb.ListCountItemsRequest, context: Context
    ) -> pb.ListCountItemsResponse:
        items, token = await self._lines(request, self.counts.list_lines)
        return pb.ListCountItemsResponse(items=items, next_page_token=token)

    async def StreamCountItems(
        self, request_iterator: AsyncIterator[pb.StreamCountItemsRequest], context: Context
    ) -> AsyncIterator[pb.StreamCountItemsResponse]:
        async for response in self.scanners.handle(request_iterator, context):
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
            force_reason=request.force_reason,
        )
        result = await self.run(
            self.completion.complete,
            caller,
            request.inventory_count_id,
            options,
            request_id=request.request_id,
        )
        return self.messages.completion(result, caller)

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
            self.reports.summary,
            current_caller(),
            started_from=optional_timestamp(request, "start_time_from"),
            started_to=optional_timestamp(request, "start_time_to"),
            status=count_status_filter(request.status),
        )
        return self.messages.summary(summary)

    async def ListDiscrepancies(
        self, request: pb.ListDiscrepanciesRequest, context: Context
    ) -> pb.ListDiscrepanciesResponse:
        items, token = await self._lines(request, self.reports.discrepancies)
        return pb.ListDiscrepanciesResponse(items=items, next_page_token=token)

    # Placeholders of issue 11's RPCs; each part of the issue replaces its own.
    async def RequestRecount(
        self, request: pb.RequestRecountRequest, context: Context
    ) -> pb.RequestRecountResponse:
        caller = current_caller()
        lines = await self.run(
            self.recounts.request,
            caller,
            request.inventory_count_id,
            list(request.count_item_ids),
            reason=request.reason,
        )
        return pb.RequestRecountResponse(items=[self.messages.item(v, caller) for v in lines])

    async def ListCountItemEntries(
        self, request: pb.ListCountItemEntriesRequest, context: Context
    ) -> pb.ListCountItemEntriesResponse:
        entries, token = await self.lists(
            request,
            lambda page: self.recounts.history(
                request.inventory_count_id, request.count_item_id, page
            ),
        )
        return pb.ListCountItemEntriesResponse(
            entries=[entry_message(e) for e in entries], next_page_token=token
        )

    async def ListProductsDueForCount(
        self, request: pb.ListProductsDueForCountRequest, context: Context
    ) -> pb.ListProductsDueForCountResponse:
        abc_class = optional_enum_filter(
            request.abc_class, pb.AbcClass, ABC_PREFIX, AbcClass, "abc_class"
        )
        products, token = await self.lists(
            request,
            lambda page: self.plans.due(
                page, abc_class=abc_class, include_not_due=request.include_not_due
            ),
        )
        return pb.ListProductsDueForCountResponse(
            products=[self.messages.product_due(p) for p in products], next_page_token=token
        )


def count_status_filter(value: int) -> CountStatus | None:
    """A status filter of a request: None when unset."""
    return optional_enum_filter(
        value, pb.InventoryCountStatus, STATUS_PREFIX, CountStatus, "status"
    )
