"""Read models of counts and their lines, and how they are loaded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from inventory_service.db.models import CountItem, InventoryCount
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.count_entries import CountLine, count_not_found
from inventory_service.domain.count_figures import CountStatistics, SummaryFigures
from inventory_service.domain.cycle_plan import ClassAccuracy
from inventory_service.domain.enums import CountStatus, CountType
from inventory_service.domain.errors import InvalidArgument
from inventory_service.domain.lot_rules import is_expired
from inventory_service.services.adjustments.adjustment_views import AdjustmentView
from inventory_service.services.catalog.catalog_views import StockLevelView
from inventory_service.services.read_models import from_row


@dataclass(frozen=True)
class CountView:
    id: str
    name: str
    type: CountType
    notes: str
    blind: bool
    status: CountStatus
    started_at: datetime
    started_by: str
    completed_at: datetime | None
    completed_by: str | None
    cancelled_at: datetime | None
    cancelled_by: str | None
    close_notes: str
    statistics: CountStatistics
    recount_significant: bool
    pending_recounts: int
    forced_completion_reason: str
    scoped: bool = False
    # Products in its scope (0 when not scoped).
    scope_product_count: int = 0
    site_id: str = ""
    site_code: str = ""
    # The zones named at start (CYCLE and SPOT counts).
    scope_zones: tuple[str, ...] = ()
    # Locations it covers.
    location_count: int = 0


@dataclass(frozen=True, slots=True)
class CountLineView:
    line: CountLine
    sku: str
    # The count's blind flag, so the line can be shown per visible_to.
    blind: bool
    # The batch's, when the line has one.
    lot_number: str = ""
    expiry_date: date | None = None
    # The line's location (its id is line.location_id).
    location_code: str = ""
    zone: str = ""

    @property
    def expired(self) -> bool:
        """The batch was past its expiry date on the day the line was last counted."""
        return is_expired(self.expiry_date, self.line.counted_at.date())


# A location as a line shows it: (code, zone).
LocationLabel = tuple[str, str]
NO_LABEL: LocationLabel = ("", "")


def labelled(
    line: CountLine,
    sku: str,
    blind: bool,
    batch: BatchLabel | None,
    location: LocationLabel = NO_LABEL,
) -> CountLineView:
    """The view of a line with its batch's lot number and expiry date, and its location's code
    and zone."""
    code, zone = location
    if batch is None:
        return CountLineView(line, sku, blind, location_code=code, zone=zone)
    return CountLineView(line, sku, blind, batch.lot_number, batch.expiry_date, code, zone)


class BatchLabel(Protocol):
    """What a line shows of its batch (a Batch row or a BatchRef)."""

    @property
    def lot_number(self) -> str: ...

    @property
    def expiry_date(self) -> date | None: ...


@dataclass(frozen=True)
class MovedLineView:
    """A line whose level moved after it was counted; current_quantity is the level at
    completion, before anything was applied."""

    line: CountLineView
    current_quantity: int


@dataclass(frozen=True)
class CompletionView:
    count: CountView
    adjustments: list[AdjustmentView]
    moved: list[MovedLineView] = field(default_factory=list)
    # Levels never counted (whole-site counts), as they were before completion.
    uncounted: list[StockLevelView] = field(default_factory=list)
    # Lines of expired batches still holding counted stock: candidates for EXPIRED adjustments.
    expired: list[CountLineView] = field(default_factory=list)


@dataclass(frozen=True)
class SiteSummary:
    site_id: str
    site_code: str
    figures: SummaryFigures


@dataclass(frozen=True)
class Summary:
    overall: SummaryFigures
    by_type: dict[CountType, SummaryFigures]
    by_abc_class: list[ClassAccuracy] = field(default_factory=list)
    # Per site with counts, by site code.
    by_site: list[SiteSummary] = field(default_factory=list)


def require_count_id(count_id: str) -> None:
    if not count_id:
        raise InvalidArgument.one("inventory_count_id", "required")


def count_views(uow: UnitOfWork, counts: Sequence[InventoryCount]) -> list[CountView]:
    """Read models of counts with their live statistics (a query per figure, for any number
    of counts)."""
    ids = [c.id for c in counts]
    stats = uow.count_reports.statistics(ids)
    awaiting = uow.recounts.awaiting_per_count(ids)
    scopes = uow.cycle_plans.scope_sizes([c.id for c in counts if c.scoped])
    covered = uow.counts.location_counts(ids)
    site_codes = uow.counts.site_codes(list({c.site_id for c in counts}))
    return [
        from_row(
            CountView,
            c,
            type=CountType(c.type),
            status=CountStatus(c.status),
            statistics=stats[c.id],
            pending_recounts=awaiting.get(c.id, 0),
            scope_product_count=scopes.get(c.id, 0),
            site_code=site_codes.get(c.site_id, ""),
            scope_zones=tuple(zone for zone in c.scope_zones.split("\n") if zone),
            location_count=covered.get(c.id, 0),
        )
        for c in counts
    ]


def load_count(uow: UnitOfWork, count_id: str) -> CountView:
    require_count_id(count_id)
    count = uow.counts.get(count_id)
    if count is None:
        raise count_not_found(count_id)
    return count_views(uow, [count])[0]


def line_views(uow: UnitOfWork, items: Sequence[CountItem]) -> list[CountLineView]:
    """Read models of lines, with their products' SKUs, their counts' blind flags and their
    locations' codes and zones."""
    skus = uow.counts.skus([i.product_id for i in items])
    blind = uow.counts.blind_flags([i.inventory_count_id for i in items])
    batches = uow.batches.by_ids([i.batch_id for i in items if i.batch_id])
    locations = uow.counts.location_labels([i.location_id for i in items])
    return [
        labelled(
            from_row(CountLine, i),
            skus.get(i.product_id, ""),
            blind.get(i.inventory_count_id, False),
            batches.get(i.batch_id or ""),
            locations.get(i.location_id, NO_LABEL),
        )
        for i in items
    ]
