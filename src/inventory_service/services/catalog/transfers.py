"""Transfers: stock moved between two locations, in one site or across sites. Each line is two
ledger rows (source TRANSFER) sharing the line's transfer id and a stock_transfers row; all
lines of a call in one transaction, never below zero at the source."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from itertools import groupby

from inventory_service.db.models import StockTransfer, new_id
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.catalog_keys import checked_batch
from inventory_service.domain.enums import LedgerSource
from inventory_service.domain.identity import Caller
from inventory_service.domain.places import LocationRef
from inventory_service.domain.transfer_rules import (
    TransferLine,
    check_cross_site,
    check_transfer,
    same_location,
)
from inventory_service.services.base import Service
from inventory_service.services.catalog.catalog_views import TransferView
from inventory_service.services.catalog.ledger_entries import ledger_entry_view
from inventory_service.services.catalog.lookups import product_rows
from inventory_service.services.catalog.movements import check_lots
from inventory_service.services.idempotency import run_once
from inventory_service.services.site_scope import ensure_sites_allowed
from inventory_service.services.stock_ledger import LedgerCause, StockLedger
from inventory_service.services.stock_places import StockPlaces

LevelKey = tuple[str, str, str]  # product id, batch id ("" unbatched), location id


class TransferService(Service):
    def transfer(
        self,
        caller: Caller,
        lines: Sequence[TransferLine],
        *,
        reason: str = "",
        source_reference: str = "",
        request_id: str = "",
    ) -> list[TransferView]:
        """One transfer per line, in request order."""
        check_transfer(lines, reason, source_reference)

        def perform(uow: UnitOfWork) -> str:
            operation_id = str(uuid.uuid4())
            products = product_rows(uow, list({line.product_id for line in lines}), lock="share")
            check_lots(lines, products, "lines")
            ends = _ends(StockPlaces(uow, caller), caller, lines)
            batches = uow.batches.by_ids([line.batch_id for line in lines if line.batch_id])
            for line in lines:
                product = products[line.product_id]
                checked_batch(
                    product.id,
                    product.sku,
                    batches.get(line.batch_id or ""),
                    batch_id=line.batch_id or "",
                    lot_number="",
                )
            # Every level the call touches, locked in one fixed order: two transfers (or a
            # transfer and a movement) over the same levels cannot deadlock.
            ledger = StockLedger(uow)
            places = {at.id: at.place for pair in ends for at in pair}
            keys = sorted(
                {
                    (line.product_id, line.batch_id or "", at.id)
                    for line, pair in zip(lines, ends, strict=True)
                    for at in pair
                }
            )
            levels = {
                key: ledger.lock_or_create_level(key[0], key[1] or None, places[key[2]])
                for key in keys
            }
            for line, (source, destination) in zip(lines, ends, strict=True):
                transfer = StockTransfer(
                    id=new_id(),
                    product_id=line.product_id,
                    batch_id=line.batch_id,
                    quantity=line.quantity,
                    from_location_id=source.id,
                    to_location_id=destination.id,
                    site_id=source.site_id,
                    to_site_id=destination.site_id,
                    operation_id=operation_id,
                    actor=caller.user_id,
                )
                uow.transfers.add(transfer)
                cause = LedgerCause(
                    LedgerSource.TRANSFER,
                    caller.user_id,
                    reason=reason,
                    source_reference=source_reference,
                    operation_id=operation_id,
                    transfer_id=transfer.id,
                )
                batch = line.batch_id or ""
                ledger.apply(levels[(line.product_id, batch, source.id)], -line.quantity, cause)
                ledger.apply(levels[(line.product_id, batch, destination.id)], line.quantity, cause)
            uow.flush()
            return operation_id

        def load(uow: UnitOfWork, operation_id: str) -> list[TransferView]:
            transfers = _load(uow, operation_id)
            ensure_sites_allowed(
                caller, [e.site_code for t in transfers for e in (t.from_entry, t.to_entry)]
            )
            return transfers

        return run_once(
            self.uow_factory,
            "TransferStock",
            request_id,
            caller,
            perform,
            load,
            content=(list(lines), reason, source_reference),
        )


def _ends(
    places: StockPlaces, caller: Caller, lines: Sequence[TransferLine]
) -> list[tuple[LocationRef, LocationRef]]:
    """Each line's source and destination, checked: both take stock from the caller, they
    differ, and a staff caller keeps within one site."""
    ends = []
    for i, line in enumerate(lines):
        source, source_site = places.with_site_code(line.from_location, f"lines[{i}].from_location")
        destination, destination_site = places.with_site_code(
            line.to_location, f"lines[{i}].to_location"
        )
        if source.id == destination.id:
            raise same_location(i, source.id)
        check_cross_site(caller, source_site, destination_site)
        ends.append((source, destination))
    return ends


def _load(uow: UnitOfWork, operation_id: str) -> list[TransferView]:
    """The transfers of one call in request order: its ledger rows are written line by line,
    source before destination."""
    entries = [ledger_entry_view(row) for row in uow.ledger.by_operation(operation_id)]
    transfers = []
    for transfer_id, pair in groupby(entries, key=lambda entry: entry.transfer_id):
        source, destination = sorted(pair, key=lambda entry: entry.quantity_delta)
        transfers.append(TransferView(transfer_id or "", source, destination))
    return transfers
