"""Recording one count entry: the core that AddCountItem and the scanner stream share.

`record_count_entry` works inside a unit of work its caller owns and never commits, so a stream
can record many entries in one transaction and reject a bad one inside a SAVEPOINT
(`uow.session.begin_nested()`) without losing the others."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from inventory_service.db.constraints import constraint_name, translate_integrity_error
from inventory_service.db.count_repository import RowLock
from inventory_service.db.models import CountItem, InventoryCount, Product, new_id
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.count_rules import LineFigures, combined_count, line_figures
from inventory_service.domain.enums import CountMode, CountStatus
from inventory_service.domain.errors import (
    ErrorCollector,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
)
from inventory_service.domain.identity import Caller
from inventory_service.domain.quantities import TOO_LARGE, out_of_range
from inventory_service.services.catalog import ProductKey, find_batch, find_product
from inventory_service.settings import Thresholds

log = logging.getLogger("inventory_service.discrepancies")

MAX_TEXT = 500
MAX_LOCATION = 200
# The two unique indexes of count_items (PostgreSQL names; SQLite names the columns).
_LINE_UNIQUE = (
    "uq_count_items_inventory_count_id_product_id_batch_id",
    "uq_count_items_unbatched",
    "count_items.inventory_count_id, count_items.product_id",
)


@dataclass(frozen=True)
class CountEntryInput:
    """One counted quantity as a counter (or scanner) sends it."""

    inventory_count_id: str
    product: ProductKey
    quantity: int
    batch_id: str = ""
    lot_number: str = ""
    mode: CountMode = CountMode.SET
    reason: str = ""
    notes: str = ""
    location: str = ""


def check_entry(entry: CountEntryInput, *, quantity_field: str = "counted_quantity") -> None:
    """INVALID_ARGUMENT with every field violation of an entry, before touching the database."""
    errors = ErrorCollector()
    if not entry.inventory_count_id:
        errors.add("inventory_count_id", "required")
    if entry.quantity < 0:
        errors.add(quantity_field, "must not be negative")
    elif out_of_range(entry.quantity):
        errors.add(quantity_field, TOO_LARGE)
    if len(entry.reason) > MAX_TEXT:
        errors.add("reason", f"at most {MAX_TEXT} characters")
    if len(entry.notes) > MAX_TEXT:
        errors.add("notes", f"at most {MAX_TEXT} characters")
    if len(entry.location) > MAX_LOCATION:
        errors.add("location", f"at most {MAX_LOCATION} characters")
    errors.raise_if_any()


def count_not_found(count_id: str) -> NotFound:
    return NotFound("inventory count", count_id)


def not_in_progress(count: InventoryCount) -> FailedPrecondition:
    return FailedPrecondition(
        f"inventory count {count.id} is {count.status}, not IN_PROGRESS",
        reason="COUNT_NOT_IN_PROGRESS",
        violations=[
            PreconditionViolation(
                "COUNT_STATUS",
                f"inventoryCounts/{count.id}",
                f"the count is {count.status}; only an IN_PROGRESS count allows this",
            )
        ],
        metadata={"status": count.status},
    )


def count_in_progress(uow: UnitOfWork, count_id: str, *, lock: RowLock) -> InventoryCount:
    """The count, which must be IN_PROGRESS, its row locked until the transaction ends.

    Entries lock it FOR SHARE, so several counters record side by side; completion and
    cancellation lock it FOR UPDATE, so they wait for entries in flight, and entries arriving
    after them see the new status."""
    count = uow.counts.get(count_id, lock=lock)
    if count is None:
        raise count_not_found(count_id)
    if count.status != CountStatus.IN_PROGRESS.value:
        raise not_in_progress(count)
    return count


def record_count_entry(
    uow: UnitOfWork,
    caller: Caller,
    entry: CountEntryInput,
    thresholds: Thresholds,
    *,
    quantity_field: str = "counted_quantity",
) -> CountItem:
    """Records one entry into its count's line for (product, batch) and returns the line.

    Raises a DomainError for a bad entry. Does not commit; after the commit, pass the line to
    log_if_significant."""
    check_entry(entry, quantity_field=quantity_field)
    count_in_progress(uow, entry.inventory_count_id, lock="share")
    product = find_product(uow, entry.product)
    batch = find_batch(uow, product, batch_id=entry.batch_id, lot_number=entry.lot_number)
    batch_id = batch.id if batch else None

    # The line's row lock makes concurrent ADDs from several counters queue, never lose one.
    line = uow.counts.find_item(entry.inventory_count_id, product.id, batch_id, lock=True)
    system_quantity = uow.counts.system_quantity(product.id, batch_id)

    def figures(previous: int | None) -> LineFigures:
        counted = combined_count(previous, entry.quantity, entry.mode)
        if out_of_range(counted):
            raise InvalidArgument.one(quantity_field, f"the line's total {TOO_LARGE}")
        return line_figures(
            system_quantity=system_quantity,
            counted_quantity=counted,
            unit_cost=product.unit_cost,
            thresholds=thresholds,
        )

    if line is None:
        inserted = _insert_line(uow, caller, entry, product, batch_id, figures(None))
        if inserted is not None:
            return inserted
        # Another counter created the line since we looked: ours becomes an update of theirs.
        line = uow.counts.find_item(entry.inventory_count_id, product.id, batch_id, lock=True)
        if line is None:  # the row that beat us is committed; it cannot vanish
            raise RuntimeError("count line missing after a unique violation")
    set_line_figures(line, figures(line.counted_quantity), product.unit_cost)
    describe_line(line, caller, entry)
    uow.flush()
    return line


def _insert_line(
    uow: UnitOfWork,
    caller: Caller,
    entry: CountEntryInput,
    product: Product,
    batch_id: str | None,
    figures: LineFigures,
) -> CountItem | None:
    """Inserts a new line in a SAVEPOINT; None when a concurrent insert of the same line won."""
    line = CountItem(
        id=new_id(),
        inventory_count_id=entry.inventory_count_id,
        product_id=product.id,
        batch_id=batch_id,
        reason="",
        notes="",
        location="",
    )
    set_line_figures(line, figures, product.unit_cost)
    describe_line(line, caller, entry)
    line.first_counted_at = line.counted_at
    try:
        with uow.session.begin_nested():
            uow.counts.add_item(line)
            uow.session.flush()
    except IntegrityError as error:
        if any(marker in constraint_name(error) for marker in _LINE_UNIQUE):
            return None
        raise translate_integrity_error(error) from error
    return line


def set_line_figures(line: CountItem, figures: LineFigures, unit_cost: Decimal) -> None:
    line.system_quantity = figures.system_quantity
    line.counted_quantity = figures.counted_quantity
    line.variance = figures.variance
    line.unit_cost = unit_cost
    line.variance_value = figures.variance_value
    line.significant = figures.significant


def describe_line(line: CountItem, caller: Caller, entry: CountEntryInput) -> None:
    """Who counted and when; reason, notes and location replace earlier ones when given."""
    line.counted_by = caller.user_id
    line.counted_at = utcnow()
    if entry.reason:
        line.reason = entry.reason
    if entry.notes:
        line.notes = entry.notes
    if entry.location:
        line.location = entry.location


def log_if_significant(line: CountItem, *, request_id: str | None = None) -> None:
    """Logs a significant discrepancy (call after the line is committed); request_id names the
    call that changed it, where that is not the call being served (a shared batch)."""
    if not line.significant:
        return
    named = {"request_id": request_id} if request_id else {}
    log.warning(
        "significant count discrepancy",
        extra={
            "fields": {
                **named,
                "event": "count_discrepancy",
                "inventory_count_id": line.inventory_count_id,
                "count_item_id": line.id,
                "product_id": line.product_id,
                "batch_id": line.batch_id,
                "system_quantity": line.system_quantity,
                "counted_quantity": line.counted_quantity,
                "variance": line.variance,
                "variance_value": str(line.variance_value),
                "counted_by": line.counted_by,
            }
        },
    )
