"""Finding one product or batch inside a unit of work, with the errors of domain/catalog_keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inventory_service.db.catalog_repository import Lock
from inventory_service.db.models import Batch, Product
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.catalog_keys import ProductKey, checked_batch, checked_product


def find_product(
    uow: UnitOfWork, key: ProductKey, *, field_name: str = "product", lock: Lock = None
) -> Product:
    """The product a ProductKey names; NOT_FOUND or INVALID_ARGUMENT otherwise. With lock
    (by id only), its row is locked: a stock change locks it "share" before it reads how the
    product is tracked, a change of tracking locks it "update"."""
    if key.id:
        found = uow.products.get(key.id, lock=lock)
    elif key.sku:
        found = uow.products.by_sku(key.sku)
    else:
        found = uow.products.by_barcode(key.barcode) if key.barcode else None
    return checked_product(key, found, field_name=field_name)


def product_row(
    uow: UnitOfWork, product_id: str, *, field_name: str = "product", lock: Lock = None
) -> Any:
    """The product's columns (id, sku, tracking, unit_cost, ...) where they are only read:
    a result row, no mapped object (cheaper); errors and lock as find_product's by id."""
    found = uow.products.row(product_id, lock=lock) if product_id else None
    return checked_product(ProductKey(id=product_id), found, field_name=field_name)


def product_rows(
    uow: UnitOfWork, product_ids: Sequence[str], *, lock: Lock = None
) -> dict[str, Any]:
    """product_row of several products in one statement (locked in id order); NOT_FOUND for
    the first id, in id order, that names no product."""
    found = uow.products.rows(product_ids, lock=lock)
    return {
        product_id: checked_product(
            ProductKey(id=product_id), found.get(product_id), field_name="product"
        )
        for product_id in sorted(product_ids)
    }


def find_batch(
    uow: UnitOfWork, product: Product | Any, *, batch_id: str = "", lot_number: str = ""
) -> Batch | None:
    """The batch of product given by id or lot number; None when neither is given."""
    if batch_id:
        found = uow.batches.get(batch_id)
    else:
        found = uow.batches.by_lot(product.id, lot_number) if lot_number else None
    return checked_batch(product.id, product.sku, found, batch_id=batch_id, lot_number=lot_number)
