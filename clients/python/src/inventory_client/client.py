"""InventoryClient: every unary RPC of the four services, typed, with a deadline on each call,
safe retries, rich errors and iterators over paged lists.

    from inventory_client import InventoryClient
    from inventory.v1 import catalog_pb2

    with InventoryClient() as client:  # INVENTORY_ADDRESS, INVENTORY_TOKEN, INVENTORY_CA_FILE...
        for product in client.iter_products():
            print(product.sku, product.stock_quantity)

Methods take and return the generated messages (`inventory.v1.*_pb2`), one method per RPC named
after it. Failures raise InventoryError subclasses (errors.py). Calls that are safe to repeat
are retried on connection failures (retry.py) within their deadline: reads, and writes that
carry a request_id, which the client fills in (a fresh one per call) when the request has none.
Other writes (approve, reject, cancel, update) are sent once.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, Self, TypeVar

import grpc
from google.protobuf.message import Message

from inventory.v1 import (
    catalog_pb2,
    catalog_pb2_grpc,
    inventory_count_pb2,
    inventory_count_pb2_grpc,
    site_pb2,
    site_pb2_grpc,
    stock_adjustment_pb2,
    stock_adjustment_pb2_grpc,
)
from inventory_client.connection import Endpoint, Tls
from inventory_client.errors import error_from_rpc
from inventory_client.retry import RetryPolicy

DEFAULT_DEADLINE = 10.0  # seconds for one call, its retries included

_Request = TypeVar("_Request", bound=Message)
_Response = TypeVar("_Response", bound=Message)
_Item = TypeVar("_Item")


class _HasRequestId(Protocol):
    request_id: str


class _PageRequest(Protocol):
    page_token: str


class _Page(Protocol):
    @property
    def next_page_token(self) -> str: ...


_Idempotent = TypeVar("_Idempotent", bound=_HasRequestId)
_PagedRequest = TypeVar("_PagedRequest", bound=_PageRequest)
_PageResponse = TypeVar("_PageResponse", bound=_Page)


def with_request_id(request: _Idempotent) -> _Idempotent:
    """A copy of the request with a fresh request_id when it has none (the caller's message is
    left alone, so reusing it for another call never replays the first)."""
    if request.request_id:
        return request
    copy: Any = type(request)()
    copy.CopyFrom(request)
    copy.request_id = uuid.uuid4().hex
    result: _Idempotent = copy
    return result


class InventoryClient:
    """A blocking client of the inventory service (thread-safe, like its channel).

    address, token, tls: as given, else from INVENTORY_* variables (see connection.py); or a
    whole `endpoint`. deadline: seconds each call may take unless it passes its own `timeout`.
    """

    def __init__(
        self,
        address: str | None = None,
        token: str | None = None,
        *,
        tls: Tls | None = None,
        endpoint: Endpoint | None = None,
        deadline: float = DEFAULT_DEADLINE,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if endpoint is not None and (address or token or tls):
            raise ValueError("give an endpoint or address/token/tls, not both")
        self.endpoint = endpoint or Endpoint.from_env(address=address, token=token, tls=tls)
        self.deadline = deadline
        self.retry = retry or RetryPolicy()
        self._rng = rng or random.Random()
        self._metadata = self.endpoint.metadata()
        self.channel = self.endpoint.blocking_channel()
        self._catalog = catalog_pb2_grpc.CatalogServiceStub(self.channel)
        self._counts = inventory_count_pb2_grpc.InventoryCountServiceStub(self.channel)
        self._adjustments = stock_adjustment_pb2_grpc.StockAdjustmentServiceStub(self.channel)
        self._sites = site_pb2_grpc.SiteServiceStub(self.channel)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- how every call is made ---------------------------------------------------------------

    def _call(
        self,
        method: grpc.UnaryUnaryMultiCallable[_Request, _Response],
        request: _Request,
        timeout: float | None,
        *,
        repeatable: bool,
    ) -> _Response:
        deadline = time.monotonic() + (self.deadline if timeout is None else timeout)
        attempt = 0
        while True:
            try:
                return method(
                    request,
                    timeout=max(deadline - time.monotonic(), 0.0),
                    metadata=self._metadata,
                )
            except grpc.RpcError as error:
                failure = error_from_rpc(error)
                attempt += 1
                if not (
                    repeatable
                    and self.retry.retryable(failure)
                    and attempt < self.retry.max_attempts
                ):
                    raise failure from error
                delay = self.retry.backoff.delay(attempt - 1, self._rng)
                if time.monotonic() + delay >= deadline:
                    raise failure from error
                time.sleep(delay)

    def _repeatable(
        self,
        method: grpc.UnaryUnaryMultiCallable[_Request, _Response],
        request: _Request,
        timeout: float | None,
    ) -> _Response:
        return self._call(method, request, timeout, repeatable=True)

    def _once(
        self,
        method: grpc.UnaryUnaryMultiCallable[_Request, _Response],
        request: _Request,
        timeout: float | None,
    ) -> _Response:
        return self._call(method, request, timeout, repeatable=False)

    @staticmethod
    def _iterate(
        list_page: Callable[[_PagedRequest, float | None], _PageResponse],
        request: _PagedRequest,
        items: Callable[[_PageResponse], Iterable[_Item]],
        timeout: float | None,
    ) -> Iterator[_Item]:
        page_request: Any = type(request)()
        page_request.CopyFrom(request)
        while True:
            page = list_page(page_request, timeout)
            yield from items(page)
            if not page.next_page_token:
                return
            page_request.page_token = page.next_page_token

    # -- CatalogService -----------------------------------------------------------------------

    def create_product(
        self, request: catalog_pb2.CreateProductRequest, *, timeout: float | None = None
    ) -> catalog_pb2.CreateProductResponse:
        """Creates a product, optionally with an opening balance. Admins only."""
        return self._repeatable(self._catalog.CreateProduct, with_request_id(request), timeout)

    def get_product(
        self, request: catalog_pb2.GetProductRequest, *, timeout: float | None = None
    ) -> catalog_pb2.GetProductResponse:
        """One product by id, SKU or barcode, with its stock levels."""
        return self._repeatable(self._catalog.GetProduct, request, timeout)

    def list_products(
        self,
        request: catalog_pb2.ListProductsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> catalog_pb2.ListProductsResponse:
        """One page of products, ordered by SKU."""
        return self._repeatable(
            self._catalog.ListProducts, request or catalog_pb2.ListProductsRequest(), timeout
        )

    def iter_products(
        self,
        request: catalog_pb2.ListProductsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> Iterator[catalog_pb2.Product]:
        """Every product over all pages."""
        return self._iterate(
            lambda r, t: self.list_products(r, timeout=t),
            request or catalog_pb2.ListProductsRequest(),
            lambda page: page.products,
            timeout,
        )

    def update_product(
        self, request: catalog_pb2.UpdateProductRequest, *, timeout: float | None = None
    ) -> catalog_pb2.UpdateProductResponse:
        """Updates the fields named in the update mask. Admins only."""
        return self._once(self._catalog.UpdateProduct, request, timeout)

    def create_batch(
        self, request: catalog_pb2.CreateBatchRequest, *, timeout: float | None = None
    ) -> catalog_pb2.CreateBatchResponse:
        """Creates a batch (lot) of a product, optionally with an opening balance. Admins only."""
        return self._repeatable(self._catalog.CreateBatch, with_request_id(request), timeout)

    def list_batches(
        self, request: catalog_pb2.ListBatchesRequest, *, timeout: float | None = None
    ) -> catalog_pb2.ListBatchesResponse:
        """One page of a product's batches, by expiry date."""
        return self._repeatable(self._catalog.ListBatches, request, timeout)

    def iter_batches(
        self, request: catalog_pb2.ListBatchesRequest, *, timeout: float | None = None
    ) -> Iterator[catalog_pb2.Batch]:
        """Every batch of a product over all pages."""
        return self._iterate(
            lambda r, t: self.list_batches(r, timeout=t), request, lambda p: p.batches, timeout
        )

    def record_stock_movements(
        self, request: catalog_pb2.RecordStockMovementsRequest, *, timeout: float | None = None
    ) -> catalog_pb2.RecordStockMovementsResponse:
        """Records signed movements (receipts, sales) in one transaction."""
        return self._repeatable(
            self._catalog.RecordStockMovements, with_request_id(request), timeout
        )

    def list_stock_movements(
        self, request: catalog_pb2.ListStockMovementsRequest, *, timeout: float | None = None
    ) -> catalog_pb2.ListStockMovementsResponse:
        """One page of a product's stock ledger, oldest first."""
        return self._repeatable(self._catalog.ListStockMovements, request, timeout)

    def iter_stock_movements(
        self, request: catalog_pb2.ListStockMovementsRequest, *, timeout: float | None = None
    ) -> Iterator[catalog_pb2.LedgerEntry]:
        """A product's whole stock ledger, oldest first."""
        return self._iterate(
            lambda r, t: self.list_stock_movements(r, timeout=t),
            request,
            lambda page: page.entries,
            timeout,
        )

    def list_stock_levels(
        self,
        request: catalog_pb2.ListStockLevelsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> catalog_pb2.ListStockLevelsResponse:
        """One page of stock levels with their locations (filters in the request)."""
        return self._repeatable(
            self._catalog.ListStockLevels, request or catalog_pb2.ListStockLevelsRequest(), timeout
        )

    def iter_stock_levels(
        self,
        request: catalog_pb2.ListStockLevelsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> Iterator[catalog_pb2.StockLevel]:
        """Every stock level matching the request's filters, by site, location, SKU and lot."""
        return self._iterate(
            lambda r, t: self.list_stock_levels(r, timeout=t),
            request or catalog_pb2.ListStockLevelsRequest(),
            lambda page: page.stock_levels,
            timeout,
        )

    def transfer_stock(
        self, request: catalog_pb2.TransferStockRequest, *, timeout: float | None = None
    ) -> catalog_pb2.TransferStockResponse:
        """Moves stock between locations, all lines in one transaction. Across sites: managers."""
        return self._repeatable(self._catalog.TransferStock, with_request_id(request), timeout)

    # -- InventoryCountService ----------------------------------------------------------------

    def start_inventory_count(
        self,
        request: inventory_count_pb2.StartInventoryCountRequest,
        *,
        timeout: float | None = None,
    ) -> inventory_count_pb2.StartInventoryCountResponse:
        """Starts a count in a site (managers only); two counts in progress never cover the
        same location."""
        return self._repeatable(self._counts.StartInventoryCount, with_request_id(request), timeout)

    def get_inventory_count(
        self, request: inventory_count_pb2.GetInventoryCountRequest, *, timeout: float | None = None
    ) -> inventory_count_pb2.GetInventoryCountResponse:
        """One count with its live statistics."""
        return self._repeatable(self._counts.GetInventoryCount, request, timeout)

    def list_inventory_counts(
        self,
        request: inventory_count_pb2.ListInventoryCountsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> inventory_count_pb2.ListInventoryCountsResponse:
        """One page of counts, newest first."""
        return self._repeatable(
            self._counts.ListInventoryCounts,
            request or inventory_count_pb2.ListInventoryCountsRequest(),
            timeout,
        )

    def iter_inventory_counts(
        self,
        request: inventory_count_pb2.ListInventoryCountsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> Iterator[inventory_count_pb2.InventoryCount]:
        """Every count, newest first."""
        return self._iterate(
            lambda r, t: self.list_inventory_counts(r, timeout=t),
            request or inventory_count_pb2.ListInventoryCountsRequest(),
            lambda page: page.inventory_counts,
            timeout,
        )

    def add_count_item(
        self, request: inventory_count_pb2.AddCountItemRequest, *, timeout: float | None = None
    ) -> inventory_count_pb2.AddCountItemResponse:
        """Records a counted quantity in an in-progress count."""
        return self._repeatable(self._counts.AddCountItem, with_request_id(request), timeout)

    def list_count_items(
        self, request: inventory_count_pb2.ListCountItemsRequest, *, timeout: float | None = None
    ) -> inventory_count_pb2.ListCountItemsResponse:
        """One page of a count's lines."""
        return self._repeatable(self._counts.ListCountItems, request, timeout)

    def iter_count_items(
        self, request: inventory_count_pb2.ListCountItemsRequest, *, timeout: float | None = None
    ) -> Iterator[inventory_count_pb2.CountItem]:
        """Every line of a count, in the order first recorded."""
        return self._iterate(
            lambda r, t: self.list_count_items(r, timeout=t), request, lambda p: p.items, timeout
        )

    def complete_inventory_count(
        self,
        request: inventory_count_pb2.CompleteInventoryCountRequest,
        *,
        timeout: float | None = None,
    ) -> inventory_count_pb2.CompleteInventoryCountResponse:
        """Completes a count, optionally applying its variances. Managers only."""
        return self._repeatable(
            self._counts.CompleteInventoryCount, with_request_id(request), timeout
        )

    def cancel_inventory_count(
        self,
        request: inventory_count_pb2.CancelInventoryCountRequest,
        *,
        timeout: float | None = None,
    ) -> inventory_count_pb2.CancelInventoryCountResponse:
        """Cancels an in-progress count; nothing is applied. Managers only."""
        return self._once(self._counts.CancelInventoryCount, request, timeout)

    def get_inventory_summary(
        self,
        request: inventory_count_pb2.GetInventorySummaryRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> inventory_count_pb2.GetInventorySummaryResponse:
        """Figures over the counts started in a time range."""
        return self._repeatable(
            self._counts.GetInventorySummary,
            request or inventory_count_pb2.GetInventorySummaryRequest(),
            timeout,
        )

    def list_discrepancies(
        self,
        request: inventory_count_pb2.ListDiscrepanciesRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> inventory_count_pb2.ListDiscrepanciesResponse:
        """One page of significant discrepancies, most recent first."""
        return self._repeatable(
            self._counts.ListDiscrepancies,
            request or inventory_count_pb2.ListDiscrepanciesRequest(),
            timeout,
        )

    def iter_discrepancies(
        self,
        request: inventory_count_pb2.ListDiscrepanciesRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> Iterator[inventory_count_pb2.CountItem]:
        """Every significant discrepancy (of one count, when the request names it)."""
        return self._iterate(
            lambda r, t: self.list_discrepancies(r, timeout=t),
            request or inventory_count_pb2.ListDiscrepanciesRequest(),
            lambda page: page.items,
            timeout,
        )

    def request_recount(
        self, request: inventory_count_pb2.RequestRecountRequest, *, timeout: float | None = None
    ) -> inventory_count_pb2.RequestRecountResponse:
        """Asks for lines to be counted again, by someone else. Managers only. Not retried:
        a repeat after a recount would ask for another."""
        return self._once(self._counts.RequestRecount, request, timeout)

    def list_count_item_entries(
        self,
        request: inventory_count_pb2.ListCountItemEntriesRequest,
        *,
        timeout: float | None = None,
    ) -> inventory_count_pb2.ListCountItemEntriesResponse:
        """One page of a line's history. Managers only."""
        return self._repeatable(self._counts.ListCountItemEntries, request, timeout)

    def iter_count_item_entries(
        self,
        request: inventory_count_pb2.ListCountItemEntriesRequest,
        *,
        timeout: float | None = None,
    ) -> Iterator[inventory_count_pb2.CountItemEntry]:
        """Every entry that touched a line, oldest first."""
        return self._iterate(
            lambda r, t: self.list_count_item_entries(r, timeout=t),
            request,
            lambda page: page.entries,
            timeout,
        )

    def list_products_due_for_count(
        self,
        request: inventory_count_pb2.ListProductsDueForCountRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> inventory_count_pb2.ListProductsDueForCountResponse:
        """One page of the cycle-count plan, most overdue first."""
        return self._repeatable(
            self._counts.ListProductsDueForCount,
            request or inventory_count_pb2.ListProductsDueForCountRequest(),
            timeout,
        )

    def iter_products_due_for_count(
        self,
        request: inventory_count_pb2.ListProductsDueForCountRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> Iterator[inventory_count_pb2.ProductDueForCount]:
        """Every product due for a cycle count (the whole plan with include_not_due)."""
        return self._iterate(
            lambda r, t: self.list_products_due_for_count(r, timeout=t),
            request or inventory_count_pb2.ListProductsDueForCountRequest(),
            lambda page: page.products,
            timeout,
        )

    def assign_count_tasks(
        self, request: inventory_count_pb2.AssignCountTasksRequest, *, timeout: float | None = None
    ) -> inventory_count_pb2.AssignCountTasksResponse:
        """Assigns locations or zones of an in-progress count to counters. Managers only.
        Retried: assigning again changes nothing and answers the same tasks."""
        return self._repeatable(self._counts.AssignCountTasks, request, timeout)

    def unassign_count_tasks(
        self,
        request: inventory_count_pb2.UnassignCountTasksRequest,
        *,
        timeout: float | None = None,
    ) -> inventory_count_pb2.UnassignCountTasksResponse:
        """Takes count tasks back from counters; answers the tasks removed. Managers only. Not
        retried: a repeat would answer that nothing was left to remove."""
        return self._once(self._counts.UnassignCountTasks, request, timeout)

    def list_count_tasks(
        self,
        request: inventory_count_pb2.ListCountTasksRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> inventory_count_pb2.ListCountTasksResponse:
        """One page of count tasks (the caller's, of every count in progress, by default)."""
        return self._repeatable(
            self._counts.ListCountTasks,
            request or inventory_count_pb2.ListCountTasksRequest(),
            timeout,
        )

    def iter_count_tasks(
        self,
        request: inventory_count_pb2.ListCountTasksRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> Iterator[inventory_count_pb2.CountTask]:
        """Every count task the request asks for, by count start then location code."""
        return self._iterate(
            lambda r, t: self.list_count_tasks(r, timeout=t),
            request or inventory_count_pb2.ListCountTasksRequest(),
            lambda page: page.tasks,
            timeout,
        )

    def list_levels_to_count(
        self,
        request: inventory_count_pb2.ListLevelsToCountRequest,
        *,
        timeout: float | None = None,
    ) -> inventory_count_pb2.ListLevelsToCountResponse:
        """One page of the stock levels an in-progress count has not counted yet."""
        return self._repeatable(self._counts.ListLevelsToCount, request, timeout)

    def iter_levels_to_count(
        self,
        request: inventory_count_pb2.ListLevelsToCountRequest,
        *,
        timeout: float | None = None,
    ) -> Iterator[inventory_count_pb2.LevelToCount]:
        """Every level left to count (in one location, or in the caller's tasks)."""
        return self._iterate(
            lambda r, t: self.list_levels_to_count(r, timeout=t),
            request,
            lambda page: page.levels,
            timeout,
        )

    def get_count_progress(
        self, request: inventory_count_pb2.GetCountProgressRequest, *, timeout: float | None = None
    ) -> inventory_count_pb2.GetCountProgressResponse:
        """One page of a count's progress per location, with its totals. Managers only."""
        return self._repeatable(self._counts.GetCountProgress, request, timeout)

    def iter_count_progress(
        self, request: inventory_count_pb2.GetCountProgressRequest, *, timeout: float | None = None
    ) -> Iterator[inventory_count_pb2.LocationProgress]:
        """A count's progress in every location (of the zone), by location code."""
        return self._iterate(
            lambda r, t: self.get_count_progress(r, timeout=t),
            request,
            lambda page: page.locations,
            timeout,
        )

    # -- StockAdjustmentService ---------------------------------------------------------------

    def create_stock_adjustment(
        self,
        request: stock_adjustment_pb2.CreateStockAdjustmentRequest,
        *,
        timeout: float | None = None,
    ) -> stock_adjustment_pb2.CreateStockAdjustmentResponse:
        """Creates an adjustment: applied at once, or PENDING when it needs approval."""
        return self._repeatable(
            self._adjustments.CreateStockAdjustment, with_request_id(request), timeout
        )

    def get_stock_adjustment(
        self,
        request: stock_adjustment_pb2.GetStockAdjustmentRequest,
        *,
        timeout: float | None = None,
    ) -> stock_adjustment_pb2.GetStockAdjustmentResponse:
        """One adjustment."""
        return self._repeatable(self._adjustments.GetStockAdjustment, request, timeout)

    def list_stock_adjustments(
        self,
        request: stock_adjustment_pb2.ListStockAdjustmentsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> stock_adjustment_pb2.ListStockAdjustmentsResponse:
        """One page of adjustments, newest first (filters in the request)."""
        return self._repeatable(
            self._adjustments.ListStockAdjustments,
            request or stock_adjustment_pb2.ListStockAdjustmentsRequest(),
            timeout,
        )

    def iter_stock_adjustments(
        self,
        request: stock_adjustment_pb2.ListStockAdjustmentsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> Iterator[stock_adjustment_pb2.StockAdjustment]:
        """Every adjustment matching the request's filters, newest first."""
        return self._iterate(
            lambda r, t: self.list_stock_adjustments(r, timeout=t),
            request or stock_adjustment_pb2.ListStockAdjustmentsRequest(),
            lambda page: page.stock_adjustments,
            timeout,
        )

    def list_pending_approvals(
        self,
        request: stock_adjustment_pb2.ListPendingApprovalsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> stock_adjustment_pb2.ListPendingApprovalsResponse:
        """One page of adjustments awaiting approval, oldest first."""
        return self._repeatable(
            self._adjustments.ListPendingApprovals,
            request or stock_adjustment_pb2.ListPendingApprovalsRequest(),
            timeout,
        )

    def iter_pending_approvals(
        self,
        request: stock_adjustment_pb2.ListPendingApprovalsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> Iterator[stock_adjustment_pb2.StockAdjustment]:
        """Every adjustment awaiting approval, oldest first."""
        return self._iterate(
            lambda r, t: self.list_pending_approvals(r, timeout=t),
            request or stock_adjustment_pb2.ListPendingApprovalsRequest(),
            lambda page: page.stock_adjustments,
            timeout,
        )

    def approve_stock_adjustment(
        self,
        request: stock_adjustment_pb2.ApproveStockAdjustmentRequest,
        *,
        timeout: float | None = None,
    ) -> stock_adjustment_pb2.ApproveStockAdjustmentResponse:
        """Approves and applies a pending adjustment. Managers only; never one's own."""
        return self._once(self._adjustments.ApproveStockAdjustment, request, timeout)

    def reject_stock_adjustment(
        self,
        request: stock_adjustment_pb2.RejectStockAdjustmentRequest,
        *,
        timeout: float | None = None,
    ) -> stock_adjustment_pb2.RejectStockAdjustmentResponse:
        """Rejects a pending adjustment. Managers only; never one's own."""
        return self._once(self._adjustments.RejectStockAdjustment, request, timeout)

    def list_product_adjustments(
        self,
        request: stock_adjustment_pb2.ListProductAdjustmentsRequest,
        *,
        timeout: float | None = None,
    ) -> stock_adjustment_pb2.ListProductAdjustmentsResponse:
        """One page of a product's adjustments, newest first."""
        return self._repeatable(self._adjustments.ListProductAdjustments, request, timeout)

    def iter_product_adjustments(
        self,
        request: stock_adjustment_pb2.ListProductAdjustmentsRequest,
        *,
        timeout: float | None = None,
    ) -> Iterator[stock_adjustment_pb2.StockAdjustment]:
        """Every adjustment of a product, newest first."""
        return self._iterate(
            lambda r, t: self.list_product_adjustments(r, timeout=t),
            request,
            lambda page: page.stock_adjustments,
            timeout,
        )

    # -- SiteService --------------------------------------------------------------------------

    def create_site(
        self, request: site_pb2.CreateSiteRequest, *, timeout: float | None = None
    ) -> site_pb2.CreateSiteResponse:
        """Creates a site with its default location DEFAULT. Admins only."""
        return self._repeatable(self._sites.CreateSite, with_request_id(request), timeout)

    def list_sites(
        self, request: site_pb2.ListSitesRequest | None = None, *, timeout: float | None = None
    ) -> site_pb2.ListSitesResponse:
        """One page of sites, by code."""
        return self._repeatable(
            self._sites.ListSites, request or site_pb2.ListSitesRequest(), timeout
        )

    def iter_sites(
        self, request: site_pb2.ListSitesRequest | None = None, *, timeout: float | None = None
    ) -> Iterator[site_pb2.Site]:
        """Every site the token may see, by code."""
        return self._iterate(
            lambda r, t: self.list_sites(r, timeout=t),
            request or site_pb2.ListSitesRequest(),
            lambda page: page.sites,
            timeout,
        )

    def update_site(
        self, request: site_pb2.UpdateSiteRequest, *, timeout: float | None = None
    ) -> site_pb2.UpdateSiteResponse:
        """Updates the fields named in the update mask (code, name, active). Admins only."""
        return self._once(self._sites.UpdateSite, request, timeout)

    def create_location(
        self, request: site_pb2.CreateLocationRequest, *, timeout: float | None = None
    ) -> site_pb2.CreateLocationResponse:
        """Creates a location in a site. Admins only."""
        return self._repeatable(self._sites.CreateLocation, with_request_id(request), timeout)

    def list_locations(
        self,
        request: site_pb2.ListLocationsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> site_pb2.ListLocationsResponse:
        """One page of locations, by site code then code (filters in the request)."""
        return self._repeatable(
            self._sites.ListLocations, request or site_pb2.ListLocationsRequest(), timeout
        )

    def iter_locations(
        self,
        request: site_pb2.ListLocationsRequest | None = None,
        *,
        timeout: float | None = None,
    ) -> Iterator[site_pb2.Location]:
        """Every location matching the request's filters."""
        return self._iterate(
            lambda r, t: self.list_locations(r, timeout=t),
            request or site_pb2.ListLocationsRequest(),
            lambda page: page.locations,
            timeout,
        )

    def update_location(
        self, request: site_pb2.UpdateLocationRequest, *, timeout: float | None = None
    ) -> site_pb2.UpdateLocationResponse:
        """Updates the fields named in the update mask (code, name, zone, active). Admins
        only."""
        return self._once(self._sites.UpdateLocation, request, timeout)
