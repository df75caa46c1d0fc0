"""CatalogService over gRPC: messages in, service-layer calls, messages out."""

from __future__ import annotations

from typing import Any

import grpc

from inventory.v1 import catalog_pb2, catalog_pb2_grpc
from inventory_service.api.blocking import BlockingRunner
from inventory_service.api.caller import current_caller
from inventory_service.api.convert import (
    decimal_to_money,
    enum_to_proto,
    from_date,
    money_to_decimal,
    to_date,
    to_timestamp,
)
from inventory_service.api.paging import PageTokens
from inventory_service.db.models import LedgerEntry
from inventory_service.domain.errors import InvalidArgument
from inventory_service.services.catalog import (
    BatchView,
    CatalogService,
    MovementInput,
    ProductDraft,
    ProductKey,
    ProductView,
)

Context = grpc.aio.ServicerContext[Any, Any]
UPDATABLE_FIELDS = {"sku", "barcode", "name", "unit_cost", "active"}


def product_key(selector: catalog_pb2.ProductSelector) -> ProductKey:
    which = selector.WhichOneof("selector")
    if which == "id":
        return ProductKey(id=selector.id)
    if which == "sku":
        return ProductKey(sku=selector.sku)
    if which == "barcode":
        return ProductKey(barcode=selector.barcode)
    return ProductKey()


def ledger_entry_message(entry: LedgerEntry) -> catalog_pb2.LedgerEntry:
    return catalog_pb2.LedgerEntry(
        sequence=entry.sequence,
        product_id=entry.product_id,
        batch_id=entry.batch_id or "",
        quantity_delta=entry.quantity_delta,
        quantity_before=entry.quantity_before,
        quantity_after=entry.quantity_after,
        source=enum_to_proto(entry.source, catalog_pb2.LedgerSource, "LEDGER_SOURCE_"),
        reason=entry.reason,
        source_reference=entry.source_reference,
        stock_adjustment_id=entry.stock_adjustment_id or "",
        inventory_count_id=entry.inventory_count_id or "",
        actor=entry.actor,
        create_time=to_timestamp(entry.created_at),
    )


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(
        self, catalog: CatalogService, run: BlockingRunner, page_tokens: PageTokens, currency: str
    ) -> None:
        self.catalog = catalog
        self.run = run
        self.page_tokens = page_tokens
        self.currency = currency

    def _product(self, view: ProductView) -> catalog_pb2.Product:
        p = view.product
        return catalog_pb2.Product(
            id=p.id,
            sku=p.sku,
            barcode=p.barcode or "",
            name=p.name,
            unit_cost=decimal_to_money(p.unit_cost, self.currency),
            active=p.active,
            stock_quantity=view.stock_quantity,
            stock_levels=[
                catalog_pb2.StockLevel(
                    product_id=lv.level.product_id,
                    batch_id=lv.level.batch_id or "",
                    lot_number=lv.lot_number,
                    quantity=lv.level.quantity,
                )
                for lv in view.levels
            ],
            create_time=to_timestamp(p.created_at),
            update_time=to_timestamp(p.updated_at),
        )

    def _batch(self, view: BatchView) -> catalog_pb2.Batch:
        b = view.batch
        return catalog_pb2.Batch(
            id=b.id,
            product_id=b.product_id,
            lot_number=b.lot_number,
            expiry_date=to_date(b.expiry_date),
            quantity=view.quantity,
            create_time=to_timestamp(b.created_at),
        )

    def _draft(self, product: catalog_pb2.Product, fields: set[str]) -> ProductDraft:
        return ProductDraft(
            sku=product.sku if "sku" in fields else None,
            barcode=product.barcode if "barcode" in fields else None,
            name=product.name if "name" in fields else None,
            unit_cost=(
                money_to_decimal(product.unit_cost, "product.unit_cost", self.currency)
                if "unit_cost" in fields and product.HasField("unit_cost")
                else None
            ),
            active=product.active if "active" in fields else None,
        )

    async def CreateProduct(
        self, request: catalog_pb2.CreateProductRequest, context: Context
    ) -> catalog_pb2.CreateProductResponse:
        draft = self._draft(request.product, {"sku", "barcode", "name", "unit_cost"})
        # A new product is active unless the caller says otherwise via UpdateProduct later.
        view = await self.run(
            self.catalog.create_product,
            current_caller(),
            draft,
            opening_quantity=request.opening_quantity,
            request_id=request.request_id,
        )
        return catalog_pb2.CreateProductResponse(product=self._product(view))

    async def GetProduct(
        self, request: catalog_pb2.GetProductRequest, context: Context
    ) -> catalog_pb2.GetProductResponse:
        view = await self.run(self.catalog.get_product, product_key(request.product))
        return catalog_pb2.GetProductResponse(product=self._product(view))

    async def ListProducts(
        self, request: catalog_pb2.ListProductsRequest, context: Context
    ) -> catalog_pb2.ListProductsResponse:
        scope = f"ListProducts:{request.show_inactive}"
        page = self.page_tokens.request(request.page_size, request.page_token, scope)
        result = await self.run(
            self.catalog.list_products, page, show_inactive=request.show_inactive
        )
        return catalog_pb2.ListProductsResponse(
            products=[self._product(v) for v in result.items],
            next_page_token=self.page_tokens.next_token(result.next_key, scope),
        )

    async def UpdateProduct(
        self, request: catalog_pb2.UpdateProductRequest, context: Context
    ) -> catalog_pb2.UpdateProductResponse:
        paths = set(request.update_mask.paths)
        if not paths:
            raise InvalidArgument.one("update_mask", f"required; any of {sorted(UPDATABLE_FIELDS)}")
        unknown = paths - UPDATABLE_FIELDS
        if unknown:
            raise InvalidArgument.one(
                "update_mask",
                f"cannot update {sorted(unknown)}; updatable: {sorted(UPDATABLE_FIELDS)}",
            )
        if not request.product.id:
            raise InvalidArgument.one("product.id", "required")
        if "unit_cost" in paths and not request.product.HasField("unit_cost"):
            raise InvalidArgument.one("product.unit_cost", "required when in update_mask")
        draft = self._draft(request.product, paths)
        view = await self.run(
            self.catalog.update_product, current_caller(), request.product.id, draft
        )
        return catalog_pb2.UpdateProductResponse(product=self._product(view))

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
            self.catalog.create_batch,
            current_caller(),
            product_id=batch.product_id,
            lot_number=batch.lot_number,
            expiry_date=expiry,
            opening_quantity=request.opening_quantity,
            request_id=request.request_id,
        )
        return catalog_pb2.CreateBatchResponse(batch=self._batch(view))

    async def ListBatches(
        self, request: catalog_pb2.ListBatchesRequest, context: Context
    ) -> catalog_pb2.ListBatchesResponse:
        scope = f"ListBatches:{request.product_id}"
        page = self.page_tokens.request(request.page_size, request.page_token, scope)
        result = await self.run(self.catalog.list_batches, request.product_id, page)
        return catalog_pb2.ListBatchesResponse(
            batches=[self._batch(v) for v in result.items],
            next_page_token=self.page_tokens.next_token(result.next_key, scope),
        )

    async def RecordStockMovements(
        self, request: catalog_pb2.RecordStockMovementsRequest, context: Context
    ) -> catalog_pb2.RecordStockMovementsResponse:
        movements = [
            MovementInput(
                product_id=m.product_id,
                batch_id=m.batch_id or None,
                quantity_delta=m.quantity_delta,
                source_reference=m.source_reference,
                reason=m.reason,
            )
            for m in request.movements
        ]
        entries = await self.run(
            self.catalog.record_movements,
            current_caller(),
            movements,
            request_id=request.request_id,
        )
        return catalog_pb2.RecordStockMovementsResponse(
            entries=[ledger_entry_message(e) for e in entries]
        )

    async def ListStockMovements(
        self, request: catalog_pb2.ListStockMovementsRequest, context: Context
    ) -> catalog_pb2.ListStockMovementsResponse:
        scope = f"ListStockMovements:{request.product_id}:{request.batch_id}"
        page = self.page_tokens.request(request.page_size, request.page_token, scope)
        result = await self.run(
            self.catalog.list_movements, request.product_id, request.batch_id, page
        )
        return catalog_pb2.ListStockMovementsResponse(
            entries=[ledger_entry_message(e) for e in result.items],
            next_page_token=self.page_tokens.next_token(result.next_key, scope),
        )
