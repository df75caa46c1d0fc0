"""Finding one product or batch inside a unit of work, with the errors of domain/catalog_keys."""

from __future__ import annotations

from inventory_service.db.models import Batch, Product
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.catalog_keys import (
    ProductKey,
    batch_not_found,
    no_product_named,
    product_not_found,
)


def find_product(uow: UnitOfWork, key: ProductKey, *, field_name: str = "product") -> Product:
    """The product a ProductKey names; NOT_FOUND or INVALID_ARGUMENT otherwise."""
    if key.id:
        product = uow.products.get(key.id)
    elif key.sku:
        product = uow.products.by_sku(key.sku)
    elif key.barcode:
        product = uow.products.by_barcode(key.barcode)
    else:
        raise no_product_named(field_name)
    if product is None:
        raise product_not_found(key)
    return product


def find_batch(
    uow: UnitOfWork, product: Product, *, batch_id: str = "", lot_number: str = ""
) -> Batch | None:
    """The batch of product given by id or lot number; None when neither is given."""
    if batch_id:
        batch = uow.batches.get(batch_id)
        if batch is None or batch.product_id != product.id:
            raise batch_not_found(product.sku, batch_id=batch_id)
        return batch
    if lot_number:
        batch = uow.batches.by_lot(product.id, lot_number)
        if batch is None:
            raise batch_not_found(product.sku, lot_number=lot_number)
        return batch
    return None
