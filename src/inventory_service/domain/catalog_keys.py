"""How a caller names a product (id, SKU or barcode) and a batch (id or lot number), and the
errors when nothing answers to the name: the same whether one request looks it up or a batch of
count entries resolves many names against what one query loaded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol, TypeVar

from inventory_service.domain.errors import InvalidArgument, NotFound


@dataclass(frozen=True, slots=True)
class ProductKey:
    """Exactly one of id, sku, barcode."""

    id: str = ""
    sku: str = ""
    barcode: str = ""


@dataclass(frozen=True, slots=True)
class ProductRef:
    """What a count entry needs of its product."""

    id: str
    sku: str
    barcode: str | None
    unit_cost: Decimal
    tracking: str = "NONE"  # domain/enums.TrackingMode


@dataclass(frozen=True, slots=True)
class BatchRef:
    id: str
    product_id: str
    lot_number: str
    expiry_date: date | None = None


def no_product_named(field_name: str = "product") -> InvalidArgument:
    return InvalidArgument.one(field_name, "give a product id, sku or barcode")


def product_not_found(key: ProductKey) -> NotFound:
    if key.id:
        return NotFound("product", key.id)
    if key.sku:
        return NotFound("product", f"sku:{key.sku}")
    return NotFound("product", f"barcode:{key.barcode}")


def batch_not_found(product_sku: str, *, batch_id: str = "", lot_number: str = "") -> NotFound:
    return NotFound("batch", batch_id or f"{product_sku}/lot:{lot_number}")


class _OfAProduct(Protocol):
    @property
    def product_id(self) -> str: ...


P = TypeVar("P")
B = TypeVar("B", bound=_OfAProduct)


def checked_product(key: ProductKey, found: P | None, *, field_name: str = "product") -> P:
    """The product the key found; INVALID_ARGUMENT for a key that names none, else NOT_FOUND."""
    if not (key.id or key.sku or key.barcode):
        raise no_product_named(field_name)
    if found is None:
        raise product_not_found(key)
    return found


def checked_batch(
    product_id: str, product_sku: str, found: B | None, *, batch_id: str, lot_number: str
) -> B | None:
    """The batch that batch_id or lot_number found, which must be the product's; None when
    neither is given."""
    if not (batch_id or lot_number):
        return None
    if found is None or found.product_id != product_id:
        raise batch_not_found(product_sku, batch_id=batch_id, lot_number=lot_number)
    return found


class ProductIndex:
    """Products loaded at once, found by the key a caller gave."""

    def __init__(self, products: Iterable[ProductRef]) -> None:
        self.by_id: dict[str, ProductRef] = {}
        self.by_sku: dict[str, ProductRef] = {}
        self.by_barcode: dict[str, ProductRef] = {}
        for p in products:
            self.by_id[p.id] = self.by_sku[p.sku] = p
            if p.barcode:
                self.by_barcode[p.barcode] = p

    def get(self, key: ProductKey) -> ProductRef | None:
        if key.id:
            return self.by_id.get(key.id)
        if key.sku:
            return self.by_sku.get(key.sku)
        if key.barcode:
            return self.by_barcode.get(key.barcode)
        return None

    def find(self, key: ProductKey) -> ProductRef:
        return checked_product(key, self.get(key))


class BatchIndex:
    """Batches loaded at once, found by id or by (product, lot number)."""

    def __init__(self, batches: Iterable[BatchRef]) -> None:
        self.by_id: dict[str, BatchRef] = {}
        self.by_lot: dict[tuple[str, str], BatchRef] = {}
        for b in batches:
            self.by_id[b.id] = self.by_lot[(b.product_id, b.lot_number)] = b

    def find(self, product: ProductRef, batch_id: str, lot_number: str) -> BatchRef | None:
        """The product's batch by id or lot number (see checked_batch)."""
        found = self.by_id.get(batch_id) if batch_id else self.by_lot.get((product.id, lot_number))
        return checked_batch(
            product.id, product.sku, found, batch_id=batch_id, lot_number=lot_number
        )
