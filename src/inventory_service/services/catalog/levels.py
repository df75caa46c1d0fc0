"""Stock levels by place: every level with its location, filtered by site, location, zone or
product, in the sites the caller may see."""

from __future__ import annotations

from datetime import date
from typing import Any

from inventory_service.db.types import utcnow
from inventory_service.domain.catalog_keys import ProductKey
from inventory_service.domain.identity import Caller
from inventory_service.domain.lot_rules import is_expired
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.domain.places import (
    DEFAULT_SITE,
    NO_LOCATION,
    LocationKey,
    SiteKey,
)
from inventory_service.services.base import Service
from inventory_service.services.catalog.catalog_views import StockLevelView
from inventory_service.services.catalog.lookups import find_product
from inventory_service.services.read_models import from_row
from inventory_service.services.site_scope import readable_location, readable_sites


class StockLevelService(Service):
    def list(
        self,
        caller: Caller,
        page: PageRequest,
        *,
        site: SiteKey = DEFAULT_SITE,
        location: LocationKey = NO_LOCATION,
        zone: str = "",
        product: ProductKey | None = None,
        include_empty: bool = False,
    ) -> Page[StockLevelView]:
        """Levels by site code, location code, SKU, then lot number; those holding nothing
        only with include_empty."""
        with self.uow_factory(read_only=True) as uow:
            site_ids = readable_sites(uow, caller, site)
            location_id = readable_location(uow, caller, location)
            product_id = find_product(uow, product).id if product is not None else None
            found = uow.stock_levels.list_page(
                page,
                site_ids=site_ids,
                location_id=location_id,
                zone=zone or None,
                product_id=product_id,
                include_empty=include_empty,
            )
            today = utcnow().date()
            return found.map(lambda row: _view(row, today))


def _view(row: Any, today: date) -> StockLevelView:
    return from_row(
        StockLevelView,
        row,
        batch_id=row.batch_id,
        lot_number=row.lot_number or "",
        expired=row.lot_number is not None and is_expired(row.expiry_date, today),
    )
