"""Stock movements from internal services (goods received, sales): signed deltas through the
ledger, many in one transaction, never below zero."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.catalog_keys import checked_batch
from inventory_service.domain.catalog_rules import MovementInput, check_movements
from inventory_service.domain.enums import LedgerSource
from inventory_service.domain.identity import Caller
from inventory_service.domain.lot_rules import batch_problem, first_problem
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.domain.places import (
    DEFAULT_SITE,
    NO_LOCATION,
    LocationKey,
    SiteKey,
)
from inventory_service.services.base import Service
from inventory_service.services.catalog.catalog_views import LedgerEntryView
from inventory_service.services.catalog.ledger_entries import ledger_entry_view
from inventory_service.services.catalog.lookups import find_batch, product_row, product_rows
from inventory_service.services.idempotency import run_once
from inventory_service.services.site_scope import (
    ensure_sites_allowed,
    readable_location,
    readable_sites,
)
from inventory_service.services.stock_ledger import LedgerCause, StockLedger
from inventory_service.services.stock_places import StockPlaces


class _OfAProduct(Protocol):
    @property
    def product_id(self) -> str: ...
    @property
    def batch_id(self) -> str | None: ...


def check_lots(
    changes: Sequence[_OfAProduct], products: dict[str, Any], field: str = "movements"
) -> None:
    """Each change (movement, transfer line) of a LOT product names a batch, none of a NONE
    product does; field names the request's list."""
    problem = first_problem(
        [
            batch_problem(
                products[c.product_id].tracking,
                products[c.product_id].sku,
                names_batch=bool(c.batch_id),
                field_name=f"{field}[{i}].batch_id",
            )
            for i, c in enumerate(changes)
        ]
    )
    if problem is not None:
        raise problem


class MovementService(Service):
    def record(
        self, caller: Caller, movements: Sequence[MovementInput], *, request_id: str = ""
    ) -> list[LedgerEntryView]:
        check_movements(movements)

        def perform(uow: UnitOfWork) -> str:
            operation_id = str(uuid.uuid4())
            ledger = StockLedger(uow)
            products = product_rows(uow, list({m.product_id for m in movements}), lock="share")
            check_lots(movements, products)
            places = StockPlaces(uow, caller)
            located = [
                places.of(m.location, f"movements[{i}].location") for i, m in enumerate(movements)
            ]
            # Lock in a fixed order so two calls touching the same levels cannot deadlock.
            keys = sorted(
                {
                    (m.product_id, m.batch_id or "", at.id)
                    for m, at in zip(movements, located, strict=True)
                }
            )
            batches = uow.batches.by_ids([batch_id for _, batch_id, _ in keys if batch_id])
            places_by_id = {at.id: at.place for at in located}
            levels = {}
            for product_id, batch_id, location_id in keys:
                product = products[product_id]
                batch = checked_batch(
                    product.id, product.sku, batches.get(batch_id), batch_id=batch_id, lot_number=""
                )
                levels[(product_id, batch_id, location_id)] = ledger.lock_or_create_level(
                    product.id, batch.id if batch else None, places_by_id[location_id]
                )
            for m, at in zip(movements, located, strict=True):
                cause = LedgerCause(
                    LedgerSource.MOVEMENT,
                    caller.user_id,
                    reason=m.reason,
                    source_reference=m.source_reference,
                    operation_id=operation_id,
                )
                ledger.apply(
                    levels[(m.product_id, m.batch_id or "", at.id)], m.quantity_delta, cause
                )
            uow.flush()
            return operation_id

        def load(uow: UnitOfWork, operation_id: str) -> list[LedgerEntryView]:
            entries = [ledger_entry_view(row) for row in uow.ledger.by_operation(operation_id)]
            ensure_sites_allowed(caller, [e.site_code for e in entries])
            return entries

        return run_once(
            self.uow_factory,
            "RecordStockMovements",
            request_id,
            caller,
            perform,
            load,
            content=list(movements),
        )

    def list(
        self,
        caller: Caller,
        product_id: str,
        batch_id: str,
        page: PageRequest,
        *,
        location: LocationKey = NO_LOCATION,
        site: SiteKey = DEFAULT_SITE,
    ) -> Page[LedgerEntryView]:
        """The product's (or one batch's) ledger, oldest first, in the sites the caller may
        see; only one site's, or one location's, when named."""
        with self.uow_factory(read_only=True) as uow:
            product = product_row(uow, product_id, field_name="product_id")
            batch = find_batch(uow, product, batch_id=batch_id)
            site_ids = readable_sites(uow, caller, site)
            location_id = readable_location(uow, caller, location)
            found = uow.ledger.list_page(
                product.id,
                batch.id if batch else None,
                page,
                site_ids=site_ids,
                location_id=location_id,
            )
            return found.map(ledger_entry_view)
