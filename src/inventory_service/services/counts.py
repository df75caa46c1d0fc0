"""CountService: inventory counts (stock-takes) from start to completion or cancellation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from inventory_service.db.count_repository import CountStatistics, SummaryFigures
from inventory_service.db.models import CountItem, InventoryCount, StockAdjustment, new_id
from inventory_service.db.paging import Page, PageRequest
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from inventory_service.domain.count_rules import sees_blind_figures
from inventory_service.domain.enums import CountStatus, CountType
from inventory_service.domain.errors import (
    ErrorCollector,
    FailedPrecondition,
    InvalidArgument,
    PreconditionViolation,
)
from inventory_service.domain.identity import Caller
from inventory_service.services.count_completion import (
    CompletionOptions,
    CompletionOutcome,
    UncountedLevel,
    complete_count,
)
from inventory_service.services.count_entries import (
    CountEntryInput,
    check_entry,
    count_in_progress,
    count_not_found,
    log_if_significant,
    record_count_entry,
)
from inventory_service.services.idempotency import run_once
from inventory_service.settings import Thresholds

MAX_NAME = 200
MAX_NOTES = 2000


@dataclass(frozen=True)
class CountView:
    count: InventoryCount
    statistics: CountStatistics

    @property
    def blind(self) -> bool:
        return self.count.blind


@dataclass(frozen=True)
class LineView:
    item: CountItem
    sku: str
    # The count's blind flag, so the line can be shown per visible_to.
    blind: bool


@dataclass(frozen=True)
class MovedLineView:
    line: LineView
    current_quantity: int


@dataclass(frozen=True)
class CompletionView:
    count: CountView
    adjustments: list[StockAdjustment]
    moved: list[MovedLineView] = field(default_factory=list)
    uncounted: list[UncountedLevel] = field(default_factory=list)


@dataclass(frozen=True)
class Summary:
    overall: SummaryFigures
    by_type: dict[CountType, SummaryFigures]


def count_in_progress_error(count: InventoryCount) -> FailedPrecondition:
    """The error for a start while count is in progress, naming it."""
    return FailedPrecondition(
        f"inventory count {count.name!r} ({count.id}) is in progress; complete or cancel it "
        "before starting another",
        reason="COUNT_IN_PROGRESS",
        violations=[
            PreconditionViolation(
                "COUNT_IN_PROGRESS",
                f"inventoryCounts/{count.id}",
                f"count {count.name!r} ({count.id}), started by {count.started_by} at "
                f"{count.started_at.isoformat()}, is in progress",
            )
        ],
        metadata={"inventory_count_id": count.id, "inventory_count_name": count.name},
    )


class CountService:
    def __init__(self, uow_factory: UnitOfWorkFactory, *, thresholds: Thresholds) -> None:
        self.uow_factory = uow_factory
        self.thresholds = thresholds

    # -- counts ---------------------------------------------------------------------------

    def start(
        self,
        caller: Caller,
        *,
        name: str,
        count_type: CountType | None,
        notes: str = "",
        blind: bool = False,
        request_id: str = "",
    ) -> CountView:
        errors = ErrorCollector()
        if not name.strip():
            errors.add("name", "required")
        elif len(name) > MAX_NAME:
            errors.add("name", f"at most {MAX_NAME} characters")
        if count_type is None:
            errors.add("type", "required: FULL, CYCLE, SPOT or ANNUAL")
        if len(notes) > MAX_NOTES:
            errors.add("notes", f"at most {MAX_NOTES} characters")
        errors.raise_if_any()
        assert count_type is not None

        def perform(uow: UnitOfWork) -> str:
            current = uow.counts.in_progress()
            if current is not None:  # the friendly check; the unique index holds under races
                raise count_in_progress_error(current)
            count = InventoryCount(
                id=new_id(),
                name=name,
                type=count_type.value,
                notes=notes,
                blind=blind,
                status=CountStatus.IN_PROGRESS.value,
                started_at=utcnow(),
                started_by=caller.user_id,
                close_notes="",
            )
            uow.counts.add(count)
            uow.flush()
            return count.id

        try:
            return run_once(
                self.uow_factory,
                operation="StartInventoryCount",
                request_id=request_id,
                actor=caller.user_id,
                perform=perform,
                load=self._load_count,
            )
        except FailedPrecondition as error:
            if error.reason != "COUNT_IN_PROGRESS" or error.violations:
                raise
            # Lost the race on the unique index: name the winner.
            with self.uow_factory(read_only=True) as uow:
                winner = uow.counts.in_progress()
            if winner is None:
                raise
            raise count_in_progress_error(winner) from error

    def get(self, count_id: str) -> CountView:
        with self.uow_factory(read_only=True) as uow:
            return self._load_count(uow, count_id)

    def list_counts(
        self, page: PageRequest, *, status: CountStatus | None, count_type: CountType | None
    ) -> Page[CountView]:
        with self.uow_factory(read_only=True) as uow:
            result = uow.counts.list_page(page, status=status, count_type=count_type)
            stats = uow.counts.statistics([c.id for c in result.items])
            return Page([CountView(c, stats[c.id]) for c in result.items], result.next_key)

    def complete(
        self,
        caller: Caller,
        count_id: str,
        options: CompletionOptions,
        *,
        request_id: str = "",
    ) -> CompletionView:
        _require_id(count_id)
        if len(options.notes) > MAX_NOTES:
            raise InvalidArgument.one("notes", f"at most {MAX_NOTES} characters")
        # What only the first run knows (levels before anything was applied); a replayed
        # request_id answers with what is stored: the count and its adjustments.
        first_run: list[CompletionOutcome] = []

        def perform(uow: UnitOfWork) -> str:
            first_run.append(complete_count(uow, caller, count_id, options))
            return count_id

        def load(uow: UnitOfWork, completed_id: str) -> CompletionView:
            view = self._load_count(uow, completed_id)
            moved = first_run[0].moved if first_run else []
            lines = self._lines(uow, [m.item for m in moved])
            return CompletionView(
                count=view,
                adjustments=uow.counts.adjustments_of(completed_id),
                moved=[
                    MovedLineView(line, m.current_quantity)
                    for line, m in zip(lines, moved, strict=True)
                ],
                uncounted=first_run[0].uncounted if first_run else [],
            )

        return run_once(
            self.uow_factory,
            operation="CompleteInventoryCount",
            request_id=request_id,
            actor=caller.user_id,
            perform=perform,
            load=load,
        )

    def cancel(self, caller: Caller, count_id: str, *, notes: str = "") -> CountView:
        _require_id(count_id)
        if len(notes) > MAX_NOTES:
            raise InvalidArgument.one("notes", f"at most {MAX_NOTES} characters")
        with self.uow_factory() as uow:
            count = count_in_progress(uow, count_id, lock="update")
            count.status = CountStatus.CANCELLED.value
            count.cancelled_at = utcnow()
            count.cancelled_by = caller.user_id
            count.close_notes = notes
            uow.flush()
            view = self._load_count(uow, count.id)
            uow.commit()
            return view

    def summary(
        self, caller: Caller, *, started_from: datetime | None, started_to: datetime | None
    ) -> Summary:
        if started_from and started_to and started_from > started_to:
            raise InvalidArgument.one("start_time_to", "must not be before start_time_from")
        with self.uow_factory(read_only=True) as uow:
            overall, by_type = uow.counts.summary(
                started_from=started_from,
                started_to=started_to,
                include_blind_lines=sees_blind_figures(caller),
            )
            return Summary(overall, by_type)

    def _load_count(self, uow: UnitOfWork, count_id: str) -> CountView:
        _require_id(count_id)
        count = uow.counts.get(count_id)
        if count is None:
            raise count_not_found(count_id)
        return CountView(count, uow.counts.statistics([count.id])[count.id])

    # -- lines ----------------------------------------------------------------------------

    def add_item(self, caller: Caller, entry: CountEntryInput, *, request_id: str = "") -> LineView:
        check_entry(entry)
        recorded: list[CountItem] = []

        def perform(uow: UnitOfWork) -> str:
            recorded.append(record_count_entry(uow, caller, entry, self.thresholds))
            return recorded[-1].id

        line = run_once(
            self.uow_factory,
            operation="AddCountItem",
            request_id=request_id,
            actor=caller.user_id,
            perform=perform,
            load=self._load_line,
        )
        # Logged once it is stored, and not again for a replayed request_id.
        for item in recorded:
            log_if_significant(item)
        return line

    def list_items(self, count_id: str, page: PageRequest) -> Page[LineView]:
        _require_id(count_id)
        with self.uow_factory(read_only=True) as uow:
            if uow.counts.get(count_id) is None:
                raise count_not_found(count_id)
            result = uow.counts.items_page(count_id, page)
            return Page(self._lines(uow, result.items), result.next_key)

    def list_discrepancies(self, count_id: str, page: PageRequest) -> Page[LineView]:
        with self.uow_factory(read_only=True) as uow:
            if count_id and uow.counts.get(count_id) is None:
                raise count_not_found(count_id)
            result = uow.counts.discrepancies_page(count_id or None, page)
            return Page(self._lines(uow, result.items), result.next_key)

    def _load_line(self, uow: UnitOfWork, item_id: str) -> LineView:
        item = uow.counts.get_item(item_id)
        if item is None:  # a stored request_id always names a line that exists
            raise RuntimeError(f"count line {item_id} is missing")
        return self._lines(uow, [item])[0]

    def _lines(self, uow: UnitOfWork, items: Sequence[CountItem]) -> list[LineView]:
        skus = uow.counts.skus([i.product_id for i in items])
        blind = uow.counts.blind_flags([i.inventory_count_id for i in items])
        return [
            LineView(i, skus.get(i.product_id, ""), blind.get(i.inventory_count_id, False))
            for i in items
        ]


def _require_id(count_id: str) -> None:
    if not count_id:
        raise InvalidArgument.one("inventory_count_id", "required")
