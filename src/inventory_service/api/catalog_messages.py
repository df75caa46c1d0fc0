"""CatalogService messages <-> catalog read models and inputs."""

from __future__ import annotations

from inventory.v1 import catalog_pb2
from inventory_service.api.convert import (
    decimal_to_money,
    enum_from_proto,
    enum_to_proto,
    money_to_decimal,
    to_date,
    to_timestamp,
)
from inventory_service.api.place_messages import location_key
from inventory_service.domain.catalog_keys import ProductKey
from inventory_service.domain.catalog_rules import MovementInput, ProductDraft
from inventory_service.domain.enums import TrackingMode
from inventory_service.domain.transfer_rules import TransferLine
from inventory_service.services.catalog.catalog_views import (
    BatchView,
    LedgerEntryView,
    ProductView,
    SiteStockView,
    StockLevelView,
    TransferView,
)

TRACKING_PREFIX = "TRACKING_MODE_"


def product_key(selector: catalog_pb2.ProductSelector) -> ProductKey:
    which = selector.WhichOneof("selector")
    if which == "id":
        return ProductKey(id=selector.id)
    if which == "sku":
        return ProductKey(sku=selector.sku)
    if which == "barcode":
        return ProductKey(barcode=selector.barcode)
    return ProductKey()


def product_draft(product: catalog_pb2.Product, fields: set[str], currency: str) -> ProductDraft:
    """The fields of product named in fields; the others are 'not given'."""
    return ProductDraft(
        sku=product.sku if "sku" in fields else None,
        barcode=product.barcode if "barcode" in fields else None,
        name=product.name if "name" in fields else None,
        unit_cost=(
            money_to_decimal(product.unit_cost, "product.unit_cost", currency)
            if "unit_cost" in fields and product.HasField("unit_cost")
            else None
        ),
        active=product.active if "active" in fields else None,
        tracking=(
            enum_from_proto(
                product.tracking,
                catalog_pb2.TrackingMode,
                TRACKING_PREFIX,
                TrackingMode,
                "product.tracking",
                default=TrackingMode.NONE,
            )
            if "tracking" in fields
            else None
        ),
    )


def movement_inputs(request: catalog_pb2.RecordStockMovementsRequest) -> list[MovementInput]:
    return [
        MovementInput(
            product_id=m.product_id,
            batch_id=m.batch_id or None,
            quantity_delta=m.quantity_delta,
            source_reference=m.source_reference,
            reason=m.reason,
            location=location_key(m.location),
        )
        for m in request.movements
    ]


def transfer_lines(request: catalog_pb2.TransferStockRequest) -> list[TransferLine]:
    return [
        TransferLine(
            product_id=line.product_id,
            batch_id=line.batch_id or None,
            from_location=location_key(line.from_location),
            to_location=location_key(line.to_location),
            quantity=line.quantity,
        )
        for line in request.lines
    ]


def optional_product_key(
    request: catalog_pb2.ListStockLevelsRequest,
) -> ProductKey | None:
    """The product a list is limited to; None when the request names none."""
    if not request.HasField("product") or request.product.WhichOneof("selector") is None:
        return None
    return product_key(request.product)


def stock_level_message(level: StockLevelView) -> catalog_pb2.StockLevel:
    return catalog_pb2.StockLevel(
        product_id=level.product_id,
        batch_id=level.batch_id or "",
        lot_number=level.lot_number,
        quantity=level.quantity,
        expiry_date=to_date(level.expiry_date),
        expired=level.expired,
        location_id=level.location_id,
        location_code=level.location_code,
        site_id=level.site_id,
        site_code=level.site_code,
        zone=level.zone,
        sku=level.sku,
    )


def site_stock_message(stock: SiteStockView) -> catalog_pb2.SiteStock:
    return catalog_pb2.SiteStock(
        site_id=stock.site_id, site_code=stock.site_code, quantity=stock.quantity
    )


def product_message(view: ProductView, currency: str) -> catalog_pb2.Product:
    return catalog_pb2.Product(
        id=view.id,
        sku=view.sku,
        barcode=view.barcode or "",
        name=view.name,
        unit_cost=decimal_to_money(view.unit_cost, currency),
        active=view.active,
        tracking=enum_to_proto(view.tracking, catalog_pb2.TrackingMode, TRACKING_PREFIX),
        stock_quantity=view.stock_quantity,
        stock_levels=[stock_level_message(level) for level in view.levels],
        create_time=to_timestamp(view.created_at),
        update_time=to_timestamp(view.updated_at),
        location_levels=[stock_level_message(level) for level in view.location_levels],
        site_stocks=[site_stock_message(stock) for stock in view.site_stocks],
    )


def batch_message(view: BatchView) -> catalog_pb2.Batch:
    return catalog_pb2.Batch(
        id=view.id,
        product_id=view.product_id,
        lot_number=view.lot_number,
        expiry_date=to_date(view.expiry_date),
        quantity=view.quantity,
        create_time=to_timestamp(view.created_at),
        expired=view.expired,
    )


def ledger_entry_message(entry: LedgerEntryView) -> catalog_pb2.LedgerEntry:
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
        location_id=entry.location_id,
        location_code=entry.location_code,
        site_id=entry.site_id,
        site_code=entry.site_code,
        transfer_id=entry.transfer_id or "",
    )


def transfer_message(view: TransferView) -> catalog_pb2.StockTransfer:
    return catalog_pb2.StockTransfer(
        id=view.id,
        from_entry=ledger_entry_message(view.from_entry),
        to_entry=ledger_entry_message(view.to_entry),
    )
