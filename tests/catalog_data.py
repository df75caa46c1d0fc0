"""Builders for catalog test data, created through the API like any client would."""

from __future__ import annotations

from decimal import Decimal

from google.type import date_pb2, money_pb2

from inventory.v1 import catalog_pb2
from inventory_service.domain.gtin import with_check_digit
from inventory_service.domain.identity import Role
from tests.support import Clients, auth

ADMIN = auth(Role.ADMIN, "alice-admin")
MANAGER = auth(Role.MANAGER, "mia-manager")
STAFF = auth(Role.STAFF, "sam-staff")


def money(amount: str, currency: str = "USD") -> money_pb2.Money:
    value = Decimal(amount)
    units = int(value)
    nanos = int((value - units) * 1_000_000_000)
    return money_pb2.Money(currency_code=currency, units=units, nanos=nanos)


def as_decimal(m: money_pb2.Money) -> Decimal:
    return Decimal(m.units) + Decimal(m.nanos) / Decimal(1_000_000_000)


def create_product(
    api: Clients,
    sku: str,
    *,
    cost: str = "2.50",
    opening: int = 0,
    barcode: str = "",
    name: str | None = None,
) -> catalog_pb2.Product:
    response = api.catalog.CreateProduct(
        catalog_pb2.CreateProductRequest(
            product=catalog_pb2.Product(
                sku=sku, name=name or f"Product {sku}", unit_cost=money(cost), barcode=barcode
            ),
            opening_quantity=opening,
        ),
        metadata=ADMIN,
    )
    return response.product


def create_batch(
    api: Clients,
    product_id: str,
    lot: str,
    *,
    opening: int = 0,
    expiry: tuple[int, int, int] | None = None,
) -> catalog_pb2.Batch:
    batch = catalog_pb2.Batch(product_id=product_id, lot_number=lot)
    if expiry:
        batch.expiry_date.CopyFrom(date_pb2.Date(year=expiry[0], month=expiry[1], day=expiry[2]))
    return api.catalog.CreateBatch(
        catalog_pb2.CreateBatchRequest(batch=batch, opening_quantity=opening), metadata=ADMIN
    ).batch


def move(
    api: Clients, product_id: str, delta: int, *, batch_id: str = "", ref: str = "REF-1"
) -> catalog_pb2.LedgerEntry:
    response = api.catalog.RecordStockMovements(
        catalog_pb2.RecordStockMovementsRequest(
            movements=[
                catalog_pb2.StockMovement(
                    product_id=product_id,
                    batch_id=batch_id,
                    quantity_delta=delta,
                    source_reference=ref,
                )
            ]
        ),
        metadata=STAFF,
    )
    return response.entries[0]


def stock_of(api: Clients, product_id: str) -> int:
    product = api.catalog.GetProduct(
        catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(id=product_id)),
        metadata=STAFF,
    ).product
    return product.stock_quantity


def gtin(n: int) -> str:
    return with_check_digit(f"{n:012d}")


def ledger_of(
    api: Clients, product_id: str, batch_id: str = "", *, page_size: int = 100
) -> list[catalog_pb2.LedgerEntry]:
    """Every ledger entry of the product (or of one batch), oldest first, all pages."""
    entries: list[catalog_pb2.LedgerEntry] = []
    token = ""
    while True:
        page = api.catalog.ListStockMovements(
            catalog_pb2.ListStockMovementsRequest(
                product_id=product_id, batch_id=batch_id, page_size=page_size, page_token=token
            ),
            metadata=STAFF,
        )
        entries.extend(page.entries)
        token = page.next_page_token
        if not token:
            return entries
