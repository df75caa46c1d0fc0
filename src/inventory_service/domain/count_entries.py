"""The rules of a count entry, one at a time: what a well-formed entry is, which counts take
entries, and how entries change their line (SET replaces, ADD adds, within the quantity bound;
figures and significance per count_rules). Pure: the recorder (services/ingestion) loads what
they need in bulk and hands it over."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from inventory_service.domain import recount_rules
from inventory_service.domain.catalog_keys import ProductKey
from inventory_service.domain.count_rules import line_figures
from inventory_service.domain.enums import CountMode, CountStatus
from inventory_service.domain.errors import (
    DomainError,
    ErrorCollector,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
)
from inventory_service.domain.identity import Caller
from inventory_service.domain.places import NO_LOCATION, LocationKey, check_location_key
from inventory_service.domain.quantities import TOO_LARGE, out_of_range
from inventory_service.domain.thresholds import Thresholds

MAX_ENTRY_ID = 64
MAX_DEVICE_ID = 64
MAX_TEXT = 500
MAX_LOCATION = 200


@dataclass(frozen=True, slots=True)
class CountEntry:
    """One counted quantity as a counter or a scanner reports it, and who reported it.

    Field names are those of the contract's CountEntry; AddCountItem names its quantity
    counted_quantity, and its servicer says so in errors."""

    entry_id: str
    inventory_count_id: str
    product: ProductKey
    quantity: int
    caller: Caller
    mode: CountMode = CountMode.SET
    batch_id: str = ""
    lot_number: str = ""
    reason: str = ""
    notes: str = ""
    location: str = ""
    device_id: str = ""
    scanned_at: datetime | None = None
    # AddCountItem's request_id (AIP-155): its key is stored in the entry's transaction.
    request_id: str = ""
    # Looked up as a possible resend of its id (answered, not applied again): scanner entries
    # and AddCountItem calls with a request_id. A plain AddCountItem call cannot be sent again
    # (its id is the server's). Every entry gets a count_entries row: the line's history.
    kept: bool = True
    # The call that sent it (its x-request-id, not AddCountItem's request_id above): kept on its
    # row and named in the lines logged for it, so a scan leads from a log to its row and back.
    call_request_id: str = ""
    # The location counted (location above is a free label).
    stock_location: LocationKey = NO_LOCATION


@dataclass(frozen=True, slots=True)
class CountState:
    """What an entry needs of its count."""

    id: str
    status: str
    blind: bool
    recount_significant: bool = False
    # Takes entries only for the products of its scope (domain/count_scope.py).
    scoped: bool = False
    site_id: str = ""
    # The site's code: a caller whose token names other sites may not record into the count.
    site_code: str = ""


@dataclass(frozen=True, slots=True)
class CountLine:
    """One line of a count: the counted quantity of a (product, batch, location) and its
    figures."""

    id: str
    inventory_count_id: str
    product_id: str
    batch_id: str | None
    system_quantity: int
    counted_quantity: int
    variance: int
    unit_cost: Decimal
    variance_value: Decimal
    significant: bool
    reason: str
    notes: str
    location: str
    counted_by: str
    counted_at: datetime
    first_counted_at: datetime
    # Where it stands in the recount workflow (domain/recount_rules.py).
    status: str = recount_rules.COUNTED
    recount_requested_by: str | None = None
    recount_requested_at: datetime | None = None
    recount_reason: str = ""
    location_id: str = ""
    site_id: str = ""


# A line's key: (count, product, batch or None, location).
LineKey = tuple[str, str, str | None, str]


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """What an entry stored before asked: its line's product and batch, quantity and mode."""

    product_id: str
    sku: str
    barcode: str | None
    batch_id: str | None
    lot_number: str | None
    quantity: int
    mode: CountMode


def same_entry(entry: CountEntry, stored: StoredEntry) -> bool:
    """Whether entry asks what stored did (product, batch, quantity, mode; the count is part of
    the key): a resend, answered as a duplicate. Otherwise its entry_id is reused."""
    product = entry.product
    same_product = (
        product.id == stored.product_id
        if product.id
        else product.sku == stored.sku
        if product.sku
        else bool(product.barcode) and product.barcode == stored.barcode
    )
    same_batch = (
        entry.batch_id == stored.batch_id
        if entry.batch_id
        else entry.lot_number == stored.lot_number
        if entry.lot_number
        else stored.batch_id is None
    )
    return (
        same_product
        and same_batch
        and (entry.quantity, entry.mode) == (stored.quantity, stored.mode)
    )


def same_content(entry: CountEntry, other: CountEntry) -> bool:
    """Two entries of one batch with one key (count, entry_id) ask the same."""
    return (entry.product, entry.batch_id, entry.lot_number, entry.quantity, entry.mode) == (
        other.product,
        other.batch_id,
        other.lot_number,
        other.quantity,
        other.mode,
    )


def request_content(entry: CountEntry) -> tuple[object, ...]:
    """What an AddCountItem call asks, for its request_id's fingerprint."""
    return (
        entry.inventory_count_id,
        entry.product,
        entry.batch_id,
        entry.lot_number,
        entry.quantity,
        entry.mode,
        entry.reason,
        entry.notes,
        entry.location,
    )


def entry_id_reused(count_id: str, entry_id: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"entry_id {entry_id!r} was stored before in this count with a different product, "
        "batch, quantity or mode; a new entry needs a new entry_id",
        reason="ENTRY_ID_REUSED",
        violations=[
            PreconditionViolation(
                "ENTRY_ID",
                f"inventoryCounts/{count_id}/entries/{entry_id}",
                "this entry_id was stored for an entry with other content",
            )
        ],
        metadata={"entry_id": entry_id},
    )


def check_entry(entry: CountEntry) -> None:
    """INVALID_ARGUMENT with every field violation of an entry, before any database work."""
    errors = ErrorCollector()
    if not entry.entry_id:
        errors.add("entry_id", "required (a client-made id, unique per entry)")
    elif len(entry.entry_id) > MAX_ENTRY_ID:
        errors.add("entry_id", f"at most {MAX_ENTRY_ID} characters")
    if not entry.inventory_count_id:
        errors.add("inventory_count_id", "required")
    if entry.quantity < 0:
        errors.add("quantity", "must not be negative")
    elif out_of_range(entry.quantity):
        errors.add("quantity", TOO_LARGE)
    if len(entry.reason) > MAX_TEXT:
        errors.add("reason", f"at most {MAX_TEXT} characters")
    if len(entry.notes) > MAX_TEXT:
        errors.add("notes", f"at most {MAX_TEXT} characters")
    if len(entry.location) > MAX_LOCATION:
        errors.add("location", f"at most {MAX_LOCATION} characters")
    bad_location = check_location_key(entry.stock_location, "stock_location")
    if bad_location is not None:
        errors.extend(bad_location.violations)
    errors.raise_if_any()


def check_device_id(device_id: str) -> None:
    if len(device_id) > MAX_DEVICE_ID:
        raise InvalidArgument.one("device_id", f"at most {MAX_DEVICE_ID} characters")


def count_not_found(count_id: str) -> NotFound:
    return NotFound("inventory count", count_id)


def not_in_progress(count_id: str, status: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"inventory count {count_id} is {status}, not IN_PROGRESS",
        reason="COUNT_NOT_IN_PROGRESS",
        violations=[
            PreconditionViolation(
                "COUNT_STATUS",
                f"inventoryCounts/{count_id}",
                f"the count is {status}; only an IN_PROGRESS count allows this",
            )
        ],
        metadata={"status": status},
    )


def ensure_in_progress(count_id: str, status: str) -> None:
    """Only an IN_PROGRESS count takes entries (and is completed or cancelled)."""
    if status != CountStatus.IN_PROGRESS.value:
        raise not_in_progress(count_id, status)


def line_total_too_large() -> InvalidArgument:
    return InvalidArgument.one("quantity", f"the line's total {TOO_LARGE}")


class LineTally:
    """One line as the entries of a batch change it, in order.

    add() takes an entry or refuses it (the line's total would leave the quantity bound, or a
    recount entry comes from a first counter: recount_rules); line() gives the line as if every
    entry taken had been recorded one after the other. first_counters: who has an entry on the
    line from before its recount was requested (read under the line's lock)."""

    def __init__(
        self, previous: CountLine | None, first_counters: Collection[str] = frozenset()
    ) -> None:
        self.previous = previous
        self.counted = previous.counted_quantity if previous is not None else None
        self.status = previous.status if previous is not None else recount_rules.COUNTED
        self.first_counters = first_counters
        self.entries: list[CountEntry] = []

    def add(self, entry: CountEntry) -> DomainError | None:
        if self.previous is not None:
            refused = recount_rules.check_recounter(
                self.previous.id, self.status, self.first_counters, entry.caller.user_id
            )
            if refused is not None:
                return refused
        counted = recount_rules.counted_after(self.status, self.counted, entry.quantity, entry.mode)
        if out_of_range(counted):
            return line_total_too_large()
        self.counted = counted
        self.status = recount_rules.status_after_entry(self.status)
        self.entries.append(entry)
        return None

    def line(
        self,
        key: LineKey,
        *,
        site_id: str,
        system_quantity: int,
        unit_cost: Decimal,
        thresholds: Thresholds,
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
        recount_significant: bool = False,
    ) -> CountLine:
        """The line after the entries taken (at least one): the last one says who counted and
        when; reason, notes and location are the last given, else what the line had. With
        recount_significant, a line left a significant discrepancy is marked for recount."""
        assert self.counted is not None
        assert self.entries
        figures = line_figures(
            system_quantity=system_quantity,
            counted_quantity=self.counted,
            unit_cost=unit_cost,
            thresholds=thresholds,
        )
        before = self.previous
        now = clock()
        status = self.status
        requested_by = before.recount_requested_by if before else None
        requested_at = before.recount_requested_at if before else None
        recount_reason = before.recount_reason if before else ""
        if recount_rules.flags_for_recount(
            status, significant=figures.significant, recount_significant=recount_significant
        ):
            status, requested_by = recount_rules.REQUESTED, recount_rules.SYSTEM
            requested_at = recount_rules.requested_at(now, before.counted_at if before else now)
            recount_reason = recount_rules.SIGNIFICANT_REASON
        return CountLine(
            id=before.id if before else new_id(),
            inventory_count_id=key[0],
            product_id=key[1],
            batch_id=key[2],
            system_quantity=figures.system_quantity,
            counted_quantity=figures.counted_quantity,
            variance=figures.variance,
            unit_cost=unit_cost,
            variance_value=figures.variance_value,
            significant=figures.significant,
            reason=_last_given([e.reason for e in self.entries], before.reason if before else ""),
            notes=_last_given([e.notes for e in self.entries], before.notes if before else ""),
            location=_last_given(
                [e.location for e in self.entries], before.location if before else ""
            ),
            counted_by=self.entries[-1].caller.user_id,
            counted_at=now,
            first_counted_at=before.first_counted_at if before else now,
            status=status,
            recount_requested_by=requested_by,
            recount_requested_at=requested_at,
            recount_reason=recount_reason,
            location_id=key[3],
            site_id=site_id,
        )


def _last_given(values: list[str], otherwise: str) -> str:
    for value in reversed(values):
        if value:
            return value
    return otherwise
