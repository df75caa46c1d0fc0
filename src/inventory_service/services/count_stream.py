"""Count entries, a batch per transaction, each scanner entry applied exactly once.

The server hands over, in order, what scanner streams and AddCountItem calls (those without a
request_id) sent while the previous transaction ran (api/entry_committer.py). One transaction
records the whole batch with a handful of set-based statements (not a query per entry), under
the same rules and locks as record_count_entry (services/count_entries.py): the
count's row FOR SHARE, the line's FOR UPDATE, SET replaces and ADD adds (domain/count_rules.py).
A bad entry gets its own error and changes nothing; the others are stored. Each stored entry
writes a count_entries row in the same transaction, so an entry_id seen again (a scanner resending
what it got no ack for) is answered with the stored result and applied zero more times; the
primary key holds that across streams and replicas.

Every entry of one line in a batch is acknowledged with the line as the batch left it, which is
what its row keeps for a resend."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from inventory_service.db.constraints import constraint_name
from inventory_service.db.count_entry_repository import LineKey
from inventory_service.db.models import Batch, CountItem, InventoryCount, Product, new_id
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from inventory_service.domain.count_rules import combined_count, line_figures
from inventory_service.domain.enums import CountStatus
from inventory_service.domain.errors import Aborted, DomainError, ErrorCollector, InvalidArgument
from inventory_service.domain.identity import Caller
from inventory_service.domain.quantities import TOO_LARGE, out_of_range
from inventory_service.services.catalog import ProductKey, find_batch, find_product
from inventory_service.services.count_entries import (
    CountEntryInput,
    check_entry,
    count_not_found,
    describe_line,
    log_if_significant,
    not_in_progress,
    set_line_figures,
)
from inventory_service.services.counts import LineView
from inventory_service.settings import Thresholds

log = logging.getLogger(__name__)

MAX_ENTRY_ID = 64
MAX_DEVICE_ID = 64
# A batch that loses a race (the same new line or entry_id stored by another stream meanwhile,
# or a deadlock) is rolled back and recorded again; the retry sees what the winner committed.
ATTEMPTS = 4
_RACES = ("pk_count_entries", "count_entries.entry_id", "uq_count_items", "count_items.")


@dataclass(frozen=True)
class StreamEntry:
    """One entry to record, with who sent it. A scanner's entry has an id and is kept in
    count_entries; an AddCountItem call's (kept=False) has neither."""

    entry_id: str
    entry: CountEntryInput
    caller: Caller
    device_id: str = ""
    scanned_at: datetime | None = None
    kept: bool = True


@dataclass(frozen=True)
class EntryOutcome:
    """The answer to one entry: the stored line, or why the entry was rejected."""

    entry_id: str
    line: LineView | None = None
    error: DomainError | None = None
    duplicate: bool = False

    def line_or_raise(self) -> LineView:
        if self.error is not None:
            raise self.error
        assert self.line is not None
        return self.line


def check_device_id(device_id: str) -> None:
    if len(device_id) > MAX_DEVICE_ID:
        raise InvalidArgument.one("device_id", f"at most {MAX_DEVICE_ID} characters")


def check_stream_entry(entry: StreamEntry) -> None:
    errors = ErrorCollector()
    if not entry.entry_id:
        errors.add("entry_id", "required (a client-made id, unique per entry)")
    elif len(entry.entry_id) > MAX_ENTRY_ID:
        errors.add("entry_id", f"at most {MAX_ENTRY_ID} characters")
    errors.raise_if_any()
    check_entry(entry.entry, quantity_field="quantity")


class CountStreamService:
    def __init__(self, uow_factory: UnitOfWorkFactory, thresholds: Thresholds) -> None:
        self.uow_factory = uow_factory
        self.thresholds = thresholds

    def record_batch(self, entries: Sequence[StreamEntry]) -> list[EntryOutcome]:
        """One outcome per entry, in order; every stored entry is committed on return.

        The entries may come from several streams and callers (the server gathers what
        arrives while a transaction runs into the next one)."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.uow_factory() as uow:
                    batch = _Batch(uow, self.thresholds)
                    outcomes = batch.record(entries)
                    uow.session.commit()
            except IntegrityError as error:
                if not any(marker in constraint_name(error) for marker in _RACES):
                    raise
                log.info("count entry batch lost a race; again", extra={"fields": {"try": attempt}})
            except Aborted as error:  # a deadlock or serialization failure (db/faults.py)
                log.info(
                    "count entry batch conflicted; again",
                    extra={"fields": {"try": attempt, "error": str(error.__cause__)}},
                )
            else:
                for line in batch.changed:
                    log_if_significant(line)
                return outcomes
        raise Aborted("count entries kept conflicting; send them again", reason="STREAM_CONFLICT")


class _Batch:
    """The work of one transaction."""

    def __init__(self, uow: UnitOfWork, thresholds: Thresholds) -> None:
        self.uow = uow
        self.repo = uow.count_entries
        self.thresholds = thresholds
        self.changed: list[CountItem] = []  # lines written by this batch (new ones included)
        self.new_lines: list[CountItem] = []
        self.updated_lines: list[CountItem] = []

    def record(self, entries: Sequence[StreamEntry]) -> list[EntryOutcome]:
        outcomes: list[EntryOutcome | None] = [None] * len(entries)
        first_of: dict[str, int] = {}
        repeats: list[tuple[int, int]] = []  # an entry_id twice in one batch: (index, first)
        fresh: list[int] = []
        for i, item in enumerate(entries):
            try:
                if item.kept:
                    check_stream_entry(item)
                else:
                    check_entry(item.entry)
            except DomainError as error:
                outcomes[i] = EntryOutcome(item.entry_id, error=error)
                continue
            if not item.kept:
                fresh.append(i)
            elif item.entry_id in first_of:
                repeats.append((i, first_of[item.entry_id]))
            else:
                first_of[item.entry_id] = i
                fresh.append(i)

        applied = self._apply(entries, fresh, outcomes)
        # Lines first: the entry rows reference them.
        self.repo.save_lines(self.new_lines, self.updated_lines)
        self.repo.insert_entries(self._entry_rows(entries, applied))

        for i, first in repeats:
            earlier = outcomes[first]
            assert earlier is not None
            outcomes[i] = EntryOutcome(
                entries[i].entry_id,
                line=earlier.line,
                error=earlier.error,
                duplicate=earlier.line is not None,
            )
        answered = [o for o in outcomes if o is not None]
        assert len(answered) == len(entries), "every entry gets an outcome"
        return answered

    def _stored_lines(self, entry_ids: Sequence[str]) -> dict[str, LineView]:
        """What entries stored before were acknowledged with, as line views."""
        views = {}
        for stored, line, sku, blind in self.repo.stored(entry_ids):
            snapshot = CountItem(
                id=line.id,
                inventory_count_id=line.inventory_count_id,
                product_id=line.product_id,
                batch_id=line.batch_id,
                system_quantity=stored.system_quantity,
                counted_quantity=stored.counted_quantity,
                variance=stored.variance,
                unit_cost=line.unit_cost,
                variance_value=stored.variance_value,
                significant=stored.significant,
                reason=stored.reason,
                notes=stored.notes,
                location=stored.location,
                counted_by=stored.counted_by,
                counted_at=stored.stored_at,
                first_counted_at=line.first_counted_at,
            )
            views[stored.entry_id] = LineView(snapshot, sku, blind)
        return views

    def _apply(
        self,
        entries: Sequence[StreamEntry],
        pending: Sequence[int],
        outcomes: list[EntryOutcome | None],
    ) -> list[tuple[int, LineView]]:
        """Applies the entries not stored before, in order; returns (index, line view) of each
        one stored now. Entries stored before are answered with what they were stored with."""
        if not pending:
            return []
        news = [entries[i].entry for i in pending]
        counts = self.repo.counts_for_share([e.inventory_count_id for e in news])
        products = _ProductIndex(
            self.repo.products(
                [e.product.id for e in news if e.product.id],
                [e.product.sku for e in news if e.product.sku and not e.product.id],
                [
                    e.product.barcode
                    for e in news
                    if e.product.barcode and not e.product.id and not e.product.sku
                ],
            )
        )
        batches = _BatchIndex(
            self.repo.batches(
                [e.batch_id for e in news if e.batch_id],
                [
                    (p.id, e.lot_number)
                    for e in news
                    if e.lot_number and not e.batch_id
                    for p in [products.find(e.product)]
                    if p is not None
                ],
            )
        )

        resolved: list[tuple[int, InventoryCount, Product, Batch | None]] = []
        errors: dict[int, DomainError] = {}
        for i in pending:
            entry = entries[i].entry
            try:
                count = counts.get(entry.inventory_count_id)
                if count is None:
                    raise count_not_found(entry.inventory_count_id)
                if count.status != CountStatus.IN_PROGRESS.value:
                    raise not_in_progress(count)
                # The bulk lookups answer the common case; a miss asks the one-entry helpers,
                # which raise the same errors AddCountItem gives.
                product = products.find(entry.product) or find_product(self.uow, entry.product)
                batch = batches.find(product, entry.batch_id, entry.lot_number)
                if batch is None and (entry.batch_id or entry.lot_number):
                    batch = find_batch(
                        self.uow, product, batch_id=entry.batch_id, lot_number=entry.lot_number
                    )
            except DomainError as error:
                errors[i] = error
                continue
            resolved.append((i, count, product, batch))

        lines = self.repo.lines_for_update(
            (count.id, product.id, batch.id if batch else None)
            for _, count, product, batch in resolved
        )
        # Looked up once the lines are locked: a stream that stored these entries meanwhile
        # has committed by now, so its entries show here instead of colliding on insert.
        stored = self._stored_lines([entries[i].entry_id for i in pending if entries[i].kept])
        for i in pending:
            view = stored.get(entries[i].entry_id) if entries[i].kept else None
            if view is not None:
                outcomes[i] = EntryOutcome(entries[i].entry_id, line=view, duplicate=True)
            elif i in errors:
                outcomes[i] = EntryOutcome(entries[i].entry_id, error=errors[i])
        resolved = [r for r in resolved if outcomes[r[0]] is None]
        keys: list[LineKey] = [
            (count.id, product.id, batch.id if batch else None)
            for _, count, product, batch in resolved
        ]
        levels = self.repo.level_quantities(product.id for _, _, product, _ in resolved)
        # Entries run through plain counters first; each line's ORM object is then written once
        # per batch (attribute writes on mapped objects cost more than the rules themselves).
        tallies: dict[LineKey, _Tally] = {}
        for (i, count, product, _), key in zip(resolved, keys, strict=True):
            entry = entries[i].entry
            tally = tallies.get(key)
            if tally is None:
                line = lines.get(key)
                previous = line.counted_quantity if line is not None else None
                tally = tallies[key] = _Tally(count, product, line, previous)
            counted = combined_count(tally.counted, entry.quantity, entry.mode)
            if out_of_range(counted):  # as record_count_entry rejects it
                field_name = "quantity" if entries[i].kept else "counted_quantity"
                outcomes[i] = EntryOutcome(
                    entries[i].entry_id,
                    error=InvalidArgument.one(field_name, f"the line's total {TOO_LARGE}"),
                )
                continue
            tally.counted = counted
            tally.indexes.append(i)

        applied = []
        for key, tally in tallies.items():
            if not tally.indexes:
                continue
            line = tally.line
            if line is None:
                line = CountItem(
                    id=new_id(),
                    inventory_count_id=tally.count.id,
                    product_id=tally.product.id,
                    batch_id=key[2],
                    first_counted_at=utcnow(),
                    reason="",
                    notes="",
                    location="",
                )
                self.new_lines.append(line)
            else:
                self.updated_lines.append(line)
            assert tally.counted is not None
            figures = line_figures(
                system_quantity=levels.get((tally.product.id, key[2]), 0),
                counted_quantity=tally.counted,
                unit_cost=tally.product.unit_cost,
                thresholds=self.thresholds,
            )
            set_line_figures(line, figures, tally.product.unit_cost)
            # describe_line for the entries that carry text, in order, and for the last one
            # (who and when): the line ends as if every entry had been described.
            last = tally.indexes[-1]
            for i in tally.indexes:
                entry = entries[i].entry
                if i == last or entry.reason or entry.notes or entry.location:
                    describe_line(line, entries[i].caller, entry)
            view = LineView(line, tally.product.sku, tally.count.blind)
            self.changed.append(line)
            for i in tally.indexes:
                outcomes[i] = EntryOutcome(entries[i].entry_id, line=view)
                applied.append((i, view))
        return applied

    def _entry_rows(
        self, entries: Sequence[StreamEntry], applied: Sequence[tuple[int, LineView]]
    ) -> list[dict[str, Any]]:
        snapshots: dict[int, dict[str, Any]] = {}  # the line as its ack shows it, per line
        rows = []
        for i, view in applied:
            item = entries[i]
            if not item.kept:
                continue
            snapshot = snapshots.get(id(view))
            if snapshot is None:
                snapshot = snapshots[id(view)] = self._snapshot(view.item)
            rows.append(
                {
                    **snapshot,
                    "entry_id": item.entry_id,
                    "device_id": item.device_id,
                    "counted_by": item.caller.user_id,
                    "quantity": item.entry.quantity,
                    "mode": item.entry.mode.value,
                    "scanned_at": item.scanned_at,
                }
            )
        return rows

    def _snapshot(self, line: CountItem) -> dict[str, Any]:
        return {
            "inventory_count_id": line.inventory_count_id,
            "count_item_id": line.id,
            "stored_at": line.counted_at,
            "counted_quantity": line.counted_quantity,
            "system_quantity": line.system_quantity,
            "variance": line.variance,
            "variance_value": line.variance_value,
            "significant": line.significant,
            "reason": line.reason,
            "notes": line.notes,
            "location": line.location,
        }


@dataclass
class _Tally:
    """One line's counted quantity as a batch's entries change it."""

    count: InventoryCount
    product: Product
    line: CountItem | None
    counted: int | None
    indexes: list[int] = field(default_factory=list)  # the entries applied to it, in order


class _ProductIndex:
    def __init__(self, products: Sequence[Product]) -> None:
        self.by_id = {p.id: p for p in products}
        self.by_sku = {p.sku: p for p in products}
        self.by_barcode = {p.barcode: p for p in products if p.barcode}

    def find(self, key: ProductKey) -> Product | None:
        if key.id:
            return self.by_id.get(key.id)
        if key.sku:
            return self.by_sku.get(key.sku)
        if key.barcode:
            return self.by_barcode.get(key.barcode)
        return None


class _BatchIndex:
    def __init__(self, batches: Sequence[Batch]) -> None:
        self.by_id = {b.id: b for b in batches}
        self.by_lot = {(b.product_id, b.lot_number): b for b in batches}

    def find(self, product: Product, batch_id: str, lot_number: str) -> Batch | None:
        if batch_id:
            batch = self.by_id.get(batch_id)
            return batch if batch is not None and batch.product_id == product.id else None
        if lot_number:
            return self.by_lot.get((product.id, lot_number))
        return None
