"""Products: created with an opening balance through the ledger, read with their stock levels."""

from __future__ import annotations

from collections.abc import Sequence

from inventory_service.db.models import Product
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.catalog_keys import ProductKey
from inventory_service.domain.catalog_rules import (
    ProductDraft,
    check_opening_quantity,
    check_product,
)
from inventory_service.domain.errors import ErrorCollector
from inventory_service.domain.identity import Caller
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.services.base import Service
from inventory_service.services.catalog.catalog_views import ProductView, StockLevelView
from inventory_service.services.catalog.lookups import find_product
from inventory_service.services.idempotency import run_once
from inventory_service.services.read_models import from_row
from inventory_service.services.stock_ledger import StockLedger


def product_views(uow: UnitOfWork, products: Sequence[Product]) -> list[ProductView]:
    """Read models of products, with their stock levels (two queries for any number)."""
    levels = uow.stock_levels.for_products([p.id for p in products])
    batch_ids = [lv.batch_id for lvs in levels.values() for lv in lvs if lv.batch_id]
    lots = uow.stock_levels.lot_numbers(batch_ids)
    return [
        from_row(
            ProductView,
            p,
            levels=tuple(
                from_row(StockLevelView, lv, lot_number=lots.get(lv.batch_id or "", ""))
                for lv in levels[p.id]
            ),
        )
        for p in products
    ]


class ProductService(Service):
    def create(
        self,
        caller: Caller,
        draft: ProductDraft,
        *,
        opening_quantity: int = 0,
        request_id: str = "",
    ) -> ProductView:
        errors = ErrorCollector()
        check_product(draft, errors, creating=True)
        check_opening_quantity(opening_quantity, errors)
        errors.raise_if_any()

        def perform(uow: UnitOfWork) -> str:
            product = Product(
                sku=draft.sku,
                barcode=draft.barcode or None,
                name=draft.name,
                unit_cost=draft.unit_cost,
                active=True if draft.active is None else draft.active,
            )
            uow.products.add(product)
            uow.flush()
            StockLedger(uow).open_level(product.id, None, opening_quantity, actor=caller.user_id)
            return product.id

        return run_once(self.uow_factory, "CreateProduct", request_id, caller, perform, self._load)

    def get(self, key: ProductKey) -> ProductView:
        with self.uow_factory(read_only=True) as uow:
            return product_views(uow, [find_product(uow, key)])[0]

    def list(self, page: PageRequest, *, show_inactive: bool = False) -> Page[ProductView]:
        with self.uow_factory(read_only=True) as uow:
            result = uow.products.list_page(page, show_inactive=show_inactive)
            return Page(product_views(uow, result.items), result.next_key)

    def update(self, caller: Caller, product_id: str, draft: ProductDraft) -> ProductView:
        errors = ErrorCollector()
        check_product(draft, errors, creating=False)
        errors.raise_if_any()
        with self.uow_factory() as uow:
            product = find_product(uow, ProductKey(id=product_id), field_name="product.id")
            if draft.sku is not None:
                product.sku = draft.sku
            if draft.barcode is not None:
                product.barcode = draft.barcode or None
            if draft.name is not None:
                product.name = draft.name
            if draft.unit_cost is not None:
                product.unit_cost = draft.unit_cost
            if draft.active is not None:
                product.active = draft.active
            product.updated_at = utcnow()
            uow.flush()
            view = product_views(uow, [product])[0]
            uow.commit()
            return view

    def _load(self, uow: UnitOfWork, product_id: str) -> ProductView:
        return product_views(uow, [find_product(uow, ProductKey(id=product_id))])[0]
