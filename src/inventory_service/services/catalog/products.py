"""Products: created with an opening balance through the ledger, read with their stock levels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, Literal

from inventory_service.db.models import Product
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.catalog_keys import ProductKey, checked_product
from inventory_service.domain.catalog_rules import (
    ProductDraft,
    check_opening_quantity,
    check_product,
)
from inventory_service.domain.enums import TrackingMode
from inventory_service.domain.errors import ErrorCollector
from inventory_service.domain.identity import Caller
from inventory_service.domain.lot_rules import check_batch_named, check_tracking_change, is_expired
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.domain.places import (
    DEFAULT_SITE,
    NO_LOCATION,
    LocationKey,
    Place,
    SiteKey,
)
from inventory_service.services.base import Service
from inventory_service.services.catalog.catalog_views import (
    ProductView,
    SiteStockView,
    StockLevelView,
)
from inventory_service.services.catalog.lookups import find_product
from inventory_service.services.idempotency import run_once
from inventory_service.services.read_models import from_row
from inventory_service.services.site_scope import SiteIds, readable_sites
from inventory_service.services.stock_ledger import StockLedger
from inventory_service.services.stock_places import StockPlaces


def product_views(
    uow: UnitOfWork, products: Sequence[Any], site_ids: SiteIds = None
) -> list[ProductView]:
    """Read models of products (mapped rows or result rows with their columns), with their
    stock in the sites of site_ids (every site: None), one query for any number. Pending
    changes must be flushed first."""
    levels = uow.stock_levels.with_batches([p.id for p in products], site_ids)
    today = utcnow().date()
    return [_product_view(p, levels[p.id], today) for p in products]


def _product_view(
    product: Any, levels: Iterable[Any], today: date, *, per_location: bool = False
) -> ProductView:
    """product: a product's columns; levels: rows of StockLevelRepository.with_batches (or of
    ProductRepository.with_levels, where level_id NULL means no level), unbatched first.
    Its levels are summed per batch over their locations, and per site; per_location: each
    location's level too."""
    located = [
        StockLevelView(
            product_id=product.id,
            batch_id=level.batch_id,
            lot_number=level.lot_number or "",
            quantity=level.quantity,
            expiry_date=level.expiry_date,
            # No batch row: unbatched stock, never expired.
            expired=level.lot_number is not None and is_expired(level.expiry_date, today),
            location_id=level.location_id,
            site_id=level.site_id,
            location_code=level.location_code,
            site_code=level.site_code,
            zone=level.zone,
        )
        for level in levels
        if level.level_id is not None
    ]
    return from_row(
        ProductView,
        product,
        tracking=TrackingMode(product.tracking),
        levels=summed_per_batch(located),
        location_levels=tuple(sorted(located, key=_place_order)) if per_location else (),
        site_stocks=summed_per_site(located),
    )


def _place_order(level: StockLevelView) -> tuple[str, str, bool, str]:
    return (level.site_code, level.location_code, level.batch_id is not None, level.lot_number)


def summed_per_batch(levels: Iterable[StockLevelView]) -> tuple[StockLevelView, ...]:
    """One level per batch (and one unbatched), in the order they first come, each the sum
    of that batch's levels over their locations (location fields empty)."""
    sums: dict[str | None, StockLevelView] = {}
    for level in levels:
        found = sums.get(level.batch_id)
        if found is None:
            sums[level.batch_id] = StockLevelView(
                product_id=level.product_id,
                batch_id=level.batch_id,
                lot_number=level.lot_number,
                quantity=level.quantity,
                expiry_date=level.expiry_date,
                expired=level.expired,
            )
        else:
            sums[level.batch_id] = replace(found, quantity=found.quantity + level.quantity)
    return tuple(sums.values())


def summed_per_site(levels: Iterable[StockLevelView]) -> tuple[SiteStockView, ...]:
    """The stock per site holding a level, by site code."""
    sums: dict[tuple[str, str], int] = {}
    for level in levels:
        key = (level.site_code, level.site_id)
        sums[key] = sums.get(key, 0) + level.quantity
    return tuple(
        SiteStockView(site_id, code, total) for (code, site_id), total in sorted(sums.items())
    )


class ProductService(Service):
    def create(
        self,
        caller: Caller,
        draft: ProductDraft,
        *,
        opening_quantity: int = 0,
        opening_location: LocationKey = NO_LOCATION,
        request_id: str = "",
    ) -> ProductView:
        """A product with its unbatched level (NONE products) at opening_location, or the
        default place when none is named and it opens empty."""
        errors = ErrorCollector()
        check_product(draft, errors, creating=True)
        check_opening_quantity(opening_quantity, errors)
        errors.raise_if_any()
        tracking = draft.tracking or TrackingMode.NONE
        if opening_quantity > 0:  # a LOT product's opening stock is given per batch
            check_batch_named(
                tracking, draft.sku or "", names_batch=False, field_name="opening_quantity"
            )

        def perform(uow: UnitOfWork) -> str:
            place = opening_place(uow, caller, opening_location, opening_quantity)
            product = Product(
                sku=draft.sku,
                barcode=draft.barcode or None,
                name=draft.name,
                unit_cost=draft.unit_cost,
                active=True if draft.active is None else draft.active,
                tracking=tracking.value,
            )
            uow.products.add(product)
            uow.flush()
            if tracking == TrackingMode.NONE:  # a LOT product holds no unbatched level
                StockLedger(uow).open_level(
                    product.id, None, opening_quantity, place, actor=caller.user_id
                )
            return product.id

        def load(uow: UnitOfWork, product_id: str) -> ProductView:
            return self._load(uow, caller, product_id)

        return run_once(
            self.uow_factory,
            "CreateProduct",
            request_id,
            caller,
            perform,
            load,
            content=(draft, opening_quantity, opening_location),
        )

    def get(
        self, key: ProductKey, *, caller: Caller | None = None, site: SiteKey = DEFAULT_SITE
    ) -> ProductView:
        """The product with its stock in the site named, else in the sites the caller may
        see (every site without a caller)."""
        with self.uow_factory(read_only=True) as uow:
            site_ids = readable_sites(uow, caller, site)
            # One query for the product and its levels (GetProduct is the busiest call).
            column: Literal["id", "sku", "barcode"] = (
                "id" if key.id else "sku" if key.sku else "barcode"
            )
            value = key.id or key.sku or key.barcode
            rows = uow.products.with_levels(column, value, site_ids) if value else []
            product = checked_product(key, rows[0] if rows else None)
            return _product_view(product, rows, utcnow().date(), per_location=True)

    def list(
        self,
        caller: Caller,
        page: PageRequest,
        *,
        show_inactive: bool = False,
        site: SiteKey = DEFAULT_SITE,
    ) -> Page[ProductView]:
        with self.uow_factory(read_only=True) as uow:
            site_ids = readable_sites(uow, caller, site)
            result = uow.products.list_page(page, show_inactive=show_inactive)
            return Page(product_views(uow, result.items, site_ids), result.next_key)

    def update(self, caller: Caller, product_id: str, draft: ProductDraft) -> ProductView:
        errors = ErrorCollector()
        check_product(draft, errors, creating=False)
        errors.raise_if_any()
        with self.uow_factory() as uow:
            product = find_product(
                uow,
                ProductKey(id=product_id),
                field_name="product.id",
                lock="update" if draft.tracking is not None else None,
            )
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
            if draft.tracking is not None:
                _change_tracking(uow, product, draft.tracking, actor=caller.user_id)
            product.updated_at = utcnow()
            uow.flush()
            view = product_views(uow, [product], readable_sites(uow, caller))[0]
            uow.commit()
            return view

    def _load(self, uow: UnitOfWork, caller: Caller, product_id: str) -> ProductView:
        product = find_product(uow, ProductKey(id=product_id))
        return product_views(uow, [product], readable_sites(uow, caller))[0]


def opening_place(
    uow: UnitOfWork, caller: Caller, key: LocationKey, opening_quantity: int
) -> Place:
    """Where a new level opens: the location named, which must take stock from the caller
    (services/stock_places.py), as must the default place when stock opens there unnamed.
    An empty level opened without a name sits at the default place, whoever creates it."""
    if not key.given and opening_quantity == 0:
        return uow.sites.default_place()
    return StockPlaces(uow, caller).of(key, "opening_location").place


def _change_tracking(
    uow: UnitOfWork, product: Product, wanted: TrackingMode, *, actor: str
) -> None:
    """Refused while stock is held the other way; the levels are locked so no movement slips
    in between the check and the change."""
    levels = uow.stock_levels.for_products([product.id])[product.id]
    ledger = StockLedger(uow)
    locked = [
        ledger.lock_level(product.id, level.batch_id, Place(level.location_id, level.site_id))
        for level in levels
    ]
    check_tracking_change(
        product.id,
        product.tracking,
        wanted,
        unbatched=sum(level.quantity for level in locked if level.batch_id is None),
        batched=sum(level.quantity for level in locked if level.batch_id is not None),
    )
    if wanted == TrackingMode.NONE and not any(level.batch_id is None for level in locked):
        ledger.open_level(product.id, None, 0, uow.sites.default_place(), actor=actor)
    product.tracking = wanted.value
