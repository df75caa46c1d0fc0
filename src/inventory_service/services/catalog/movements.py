"""Stock movements from internal services (goods received, sales): signed deltas through the
ledger, many in one transaction, never below zero."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from inventory_service.db.models import LedgerEntry
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.catalog_keys import checked_batch
from inventory_service.domain.catalog_rules import MovementInput, check_movements
from inventory_service.domain.enums import LedgerSource
from inventory_service.domain.identity import Caller
from inventory_service.domain.lot_rules import batch_problem, first_problem
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.services.base import Service
from inventory_service.services.catalog.catalog_views import LedgerEntryView
from inventory_service.services.catalog.lookups import find_batch, product_row, product_rows
from inventory_service.services.idempotency import run_once
from inventory_service.services.read_models import from_row
from inventory_service.services.stock_ledger import LedgerCause, StockLedger


def _view(entry: LedgerEntry | Any) -> LedgerEntryView:
    """entry: a mapped ledger row or a result row with its columns."""
    return from_row(LedgerEntryView, entry, source=LedgerSource(entry.source))


def check_lots(movements: Sequence[MovementInput], products: dict[str, Any]) -> None:
    """Each movement of a LOT product names a batch, none of a NONE product does."""
    problem = first_problem(
        [
            batch_problem(
                products[m.product_id].tracking,
                products[m.product_id].sku,
                names_batch=bool(m.batch_id),
                field_name=f"movements[{i}].batch_id",
            )
            for i, m in enumerate(movements)
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
            # Lock in a fixed order so two calls touching the same levels cannot deadlock.
            keys = sorted({(m.product_id, m.batch_id or "") for m in movements})
            products = product_rows(uow, list({m.product_id for m in movements}), lock="share")
            check_lots(movements, products)
            batches = uow.batches.by_ids([batch_id for _, batch_id in keys if batch_id])
            levels = {}
            for product_id, batch_id in keys:
                product = products[product_id]
                found = batches.get(batch_id)
                batch = checked_batch(
                    product.id, product.sku, found, batch_id=batch_id, lot_number=""
                )
                levels[(product_id, batch_id)] = ledger.lock_level(
                    product.id, batch.id if batch else None
                )
            for m in movements:
                cause = LedgerCause(
                    LedgerSource.MOVEMENT,
                    caller.user_id,
                    reason=m.reason,
                    source_reference=m.source_reference,
                    operation_id=operation_id,
                )
                ledger.apply(levels[(m.product_id, m.batch_id or "")], m.quantity_delta, cause)
            uow.flush()
            return operation_id

        def load(uow: UnitOfWork, operation_id: str) -> list[LedgerEntryView]:
            return [_view(e) for e in uow.ledger.by_operation(operation_id)]

        return run_once(
            self.uow_factory,
            "RecordStockMovements",
            request_id,
            caller,
            perform,
            load,
            content=list(movements),
        )

    def list(self, product_id: str, batch_id: str, page: PageRequest) -> Page[LedgerEntryView]:
        with self.uow_factory(read_only=True) as uow:
            product = product_row(uow, product_id, field_name="product_id")
            batch = find_batch(uow, product, batch_id=batch_id)
            return uow.ledger.list_page(product.id, batch.id if batch else None, page).map(_view)
