"""Batches (lots) of a product, each created with its opening balance through the ledger."""

from __future__ import annotations

from datetime import date

from inventory_service.db.models import Batch
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.catalog_keys import ProductKey
from inventory_service.domain.catalog_rules import check_batch, check_opening_quantity
from inventory_service.domain.errors import ErrorCollector, NotFound
from inventory_service.domain.identity import Caller
from inventory_service.domain.lot_rules import check_batch_named, is_expired
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.domain.places import NO_LOCATION, LocationKey
from inventory_service.services.base import Service
from inventory_service.services.catalog.catalog_views import BatchView
from inventory_service.services.catalog.lookups import find_product
from inventory_service.services.catalog.products import opening_place
from inventory_service.services.idempotency import run_once
from inventory_service.services.read_models import from_row
from inventory_service.services.site_scope import SiteIds, readable_sites
from inventory_service.services.stock_ledger import StockLedger


def _view(batch: Batch, quantity: int, today: date) -> BatchView:
    return from_row(
        BatchView, batch, quantity=quantity, expired=is_expired(batch.expiry_date, today)
    )


class BatchService(Service):
    def create(
        self,
        caller: Caller,
        *,
        product_id: str,
        lot_number: str,
        expiry_date: date | None,
        opening_quantity: int = 0,
        opening_location: LocationKey = NO_LOCATION,
        request_id: str = "",
    ) -> BatchView:
        """A batch with its level at opening_location (as ProductService.create opens one)."""
        errors = ErrorCollector()
        check_batch(product_id, lot_number, errors)
        check_opening_quantity(opening_quantity, errors)
        errors.raise_if_any()

        def perform(uow: UnitOfWork) -> str:
            product = find_product(
                uow, ProductKey(id=product_id), field_name="batch.product_id", lock="share"
            )
            check_batch_named(
                product.tracking, product.sku, names_batch=True, field_name="batch.product_id"
            )
            place = opening_place(uow, caller, opening_location, opening_quantity)
            batch = Batch(product_id=product.id, lot_number=lot_number, expiry_date=expiry_date)
            uow.batches.add(batch)
            uow.flush()
            StockLedger(uow).open_level(
                product.id, batch.id, opening_quantity, place, actor=caller.user_id
            )
            return batch.id

        def load(uow: UnitOfWork, batch_id: str) -> BatchView:
            return _load(uow, batch_id, readable_sites(uow, caller))

        return run_once(
            self.uow_factory,
            "CreateBatch",
            request_id,
            caller,
            perform,
            load,
            content=(product_id, lot_number, expiry_date, opening_quantity, opening_location),
        )

    def list(self, caller: Caller, product_id: str, page: PageRequest) -> Page[BatchView]:
        """The product's batches by expiry, each with its stock in the sites the caller may
        see."""
        with self.uow_factory(read_only=True) as uow:
            product = find_product(uow, ProductKey(id=product_id), field_name="product_id")
            site_ids = readable_sites(uow, caller)
            batches = uow.batches.list_page(product.id, page)
            # The product's levels in one read, not one per batch of the page.
            levels = uow.stock_levels.for_products([product.id], site_ids)[product.id]
            quantities: dict[str | None, int] = {}
            for level in levels:  # a batch's stock over its locations
                quantities[level.batch_id] = quantities.get(level.batch_id, 0) + level.quantity
            today = utcnow().date()
            return batches.map(lambda b: _view(b, quantities.get(b.id, 0), today))


def _load(uow: UnitOfWork, batch_id: str, site_ids: SiteIds) -> BatchView:
    batch = uow.batches.get(batch_id)
    if batch is None:
        raise NotFound("batch", batch_id)
    levels = uow.stock_levels.for_products([batch.product_id], site_ids)[batch.product_id]
    quantity = sum(level.quantity for level in levels if level.batch_id == batch.id)
    return _view(batch, quantity, utcnow().date())
