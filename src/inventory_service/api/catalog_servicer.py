"""CatalogService over gRPC: messages in, service-layer calls, messages out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc

from inventory.v1 import catalog_pb2, catalog_pb2_grpc
from inventory_service.api.blocking import BlockingRunner
from inventory_service.api.caller import current_caller
from inventory_service.api.catalog_messages import (
    batch_message,
    ledger_entry_message,
    movement_inputs,
    optional_product_key,
    product_draft,
    product_key,
    product_message,
    stock_level_message,
    transfer_lines,
    transfer_message,
)
from inventory_service.api.convert import from_date
from inventory_service.api.field_masks import update_paths
from inventory_service.api.page_tokens import ListPages
from inventory_service.api.place_messages import location_key, site_key
from inventory_service.domain.errors import InvalidArgument
from inventory_service.services.catalog.batches import BatchService
from inventory_service.services.catalog.levels import StockLevelService
from inventory_service.services.catalog.movements import MovementService
from inventory_service.services.catalog.products import ProductService
from inventory_service.services.catalog.transfers import TransferService

Context = grpc.aio.ServicerContext[Any, Any]
UPDATABLE_FIELDS = {"sku", "barcode", "name", "unit_cost", "active", "tracking"}
LEVELS_PAGE = 100
MAX_LEVELS_PAGE = 1000


@dataclass
class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    products: ProductService
    batches: BatchService
    movements: MovementService
    levels: StockLevelService
    transfers: TransferService
    run: BlockingRunner
    lists: ListPages
    currency: str

    async def CreateProduct(
        self, request: catalog_pb2.CreateProductRequest, context: Context
    ) -> catalog_pb2.CreateProductResponse:
        fields = {"sku", "barcode", "name", "unit_cost", "tracking"}
        # A new product is active unless the caller says otherwise via UpdateProduct later.
        view = await self.run(
            self.products.create,
            current_caller(),
            product_draft(request.product, fields, self.currency),
            opening_quantity=request.opening_quantity,
            opening_location=location_key(request.opening_location),
            request_id=request.request_id,
        )
        return catalog_pb2.CreateProductResponse(product=product_message(view, self.currency))

    async def GetProduct(
        self, request: catalog_pb2.GetProductRequest, context: Context
    ) -> catalog_pb2.GetProductResponse:
        view = await self.run(
            self.products.get,
            product_key(request.product),
            caller=current_caller(),
            site=site_key(request.site),
        )
        return catalog_pb2.GetProductResponse(product=product_message(view, self.currency))

    async def ListProducts(
        self, request: catalog_pb2.ListProductsRequest, context: Context
    ) -> catalog_pb2.ListProductsResponse:
        caller = current_caller()
        products, token = await self.lists(
            request,
            lambda page: self.products.list(
                caller, page, show_inactive=request.show_inactive, site=site_key(request.site)
            ),
        )
        return catalog_pb2.ListProductsResponse(
            products=[product_message(v, self.currency) for v in products], next_page_token=token
        )

    async def UpdateProduct(
        self, request: catalog_pb2.UpdateProductRequest, context: Context
    ) -> catalog_pb2.UpdateProductResponse:
        paths = update_paths(request.update_mask, UPDATABLE_FIELDS)
        if not request.product.id:
            raise InvalidArgument.one("product.id", "required")
        if "unit_cost" in paths and not request.product.HasField("unit_cost"):
            raise InvalidArgument.one("product.unit_cost", "required when in update_mask")
        draft = product_draft(request.product, paths, self.currency)
        view = await self.run(self.products.update, current_caller(), request.product.id, draft)
        return catalog_pb2.UpdateProductResponse(product=product_message(view, self.currency))

    async def CreateBatch(
        self, request: catalog_pb2.CreateBatchRequest, context: Context
    ) -> catalog_pb2.CreateBatchResponse:
        batch = request.batch
        expiry = (
            from_date(batch.expiry_date, "batch.expiry_date")
            if batch.HasField("expiry_date")
            else None
        )
        view = await self.run(
            self.batches.create,
            current_caller(),
            product_id=batch.product_id,
            lot_number=batch.lot_number,
            expiry_date=expiry,
            opening_quantity=request.opening_quantity,
            opening_location=location_key(request.opening_location),
            request_id=request.request_id,
        )
        return catalog_pb2.CreateBatchResponse(batch=batch_message(view))

    async def ListBatches(
        self, request: catalog_pb2.ListBatchesRequest, context: Context
    ) -> catalog_pb2.ListBatchesResponse:
        caller = current_caller()
        batches, token = await self.lists(
            request, lambda page: self.batches.list(caller, request.product_id, page)
        )
        return catalog_pb2.ListBatchesResponse(
            batches=[batch_message(v) for v in batches], next_page_token=token
        )

    async def RecordStockMovements(
        self, request: catalog_pb2.RecordStockMovementsRequest, context: Context
    ) -> catalog_pb2.RecordStockMovementsResponse:
        entries = await self.run(
            self.movements.record,
            current_caller(),
            movement_inputs(request),
            request_id=request.request_id,
        )
        return catalog_pb2.RecordStockMovementsResponse(
            entries=[ledger_entry_message(e) for e in entries]
        )

    async def ListStockMovements(
        self, request: catalog_pb2.ListStockMovementsRequest, context: Context
    ) -> catalog_pb2.ListStockMovementsResponse:
        caller = current_caller()
        entries, token = await self.lists(
            request,
            lambda page: self.movements.list(
                caller,
                request.product_id,
                request.batch_id,
                page,
                location=location_key(request.location),
                site=site_key(request.site),
            ),
        )
        return catalog_pb2.ListStockMovementsResponse(
            entries=[ledger_entry_message(e) for e in entries], next_page_token=token
        )

    async def ListStockLevels(
        self, request: catalog_pb2.ListStockLevelsRequest, context: Context
    ) -> catalog_pb2.ListStockLevelsResponse:
        caller = current_caller()
        product = optional_product_key(request)
        levels, token = await self.lists(
            request,
            lambda page: self.levels.list(
                caller,
                page,
                site=site_key(request.site),
                location=location_key(request.location),
                zone=request.zone,
                product=product,
                include_empty=request.include_empty,
            ),
            default_size=LEVELS_PAGE,
            max_size=MAX_LEVELS_PAGE,
        )
        return catalog_pb2.ListStockLevelsResponse(
            stock_levels=[stock_level_message(level) for level in levels], next_page_token=token
        )

    async def TransferStock(
        self, request: catalog_pb2.TransferStockRequest, context: Context
    ) -> catalog_pb2.TransferStockResponse:
        transfers = await self.run(
            self.transfers.transfer,
            current_caller(),
            transfer_lines(request),
            reason=request.reason,
            source_reference=request.source_reference,
            request_id=request.request_id,
        )
        return catalog_pb2.TransferStockResponse(transfers=[transfer_message(t) for t in transfers])
