"""A count from start to cancellation, and its lines as counted (completion: completion.py)."""

from __future__ import annotations

from inventory_service.db.count_repository import RowLock
from inventory_service.db.models import InventoryCount, new_id
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from inventory_service.domain.count_entries import count_not_found, ensure_in_progress
from inventory_service.domain.count_scope import NO_SCOPE, CountScope, check_scope
from inventory_service.domain.cycle_plan import CyclePlan
from inventory_service.domain.enums import CountStatus, CountType
from inventory_service.domain.errors import (
    ErrorCollector,
    FailedPrecondition,
    InvalidArgument,
    PreconditionViolation,
)
from inventory_service.domain.identity import Caller
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.services.base import Service
from inventory_service.services.counts.count_views import (
    CountLineView,
    CountView,
    count_views,
    line_views,
    load_count,
    require_count_id,
)
from inventory_service.services.counts.cycle_plans import attach_scope
from inventory_service.services.idempotency import run_once

MAX_NAME = 200
MAX_NOTES = 2000


def count_in_progress(uow: UnitOfWork, count_id: str, *, lock: RowLock) -> InventoryCount:
    """The count, which must be IN_PROGRESS, its row locked until the transaction ends.

    Completion and cancellation lock it FOR UPDATE, so they wait for entries in flight (which
    hold it FOR SHARE), and entries arriving after them see the new status."""
    count = uow.counts.get(count_id, lock=lock)
    if count is None:
        raise count_not_found(count_id)
    ensure_in_progress(count_id, count.status)
    return count


def check_close_notes(notes: str) -> None:
    if len(notes) > MAX_NOTES:
        raise InvalidArgument.one("notes", f"at most {MAX_NOTES} characters")


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


class CountService(Service):
    def __init__(self, uow_factory: UnitOfWorkFactory, plan: CyclePlan | None = None) -> None:
        super().__init__(uow_factory)
        self.plan = plan or CyclePlan()

    def start(
        self,
        caller: Caller,
        *,
        name: str,
        count_type: CountType | None,
        notes: str = "",
        blind: bool = False,
        request_id: str = "",
        recount_significant: bool = False,
        scope: CountScope = NO_SCOPE,
    ) -> CountView:
        errors = ErrorCollector()
        check_scope(scope, count_type, errors)
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
                recount_significant=recount_significant,
                status=CountStatus.IN_PROGRESS.value,
                started_at=utcnow(),
                started_by=caller.user_id,
                close_notes="",
                scoped=scope.scoped,
            )
            uow.counts.add(count)
            uow.flush()
            if scope.scoped:
                attach_scope(uow, count.id, scope, self.plan, count.started_at)
            return count.id

        try:
            return run_once(
                self.uow_factory,
                "StartInventoryCount",
                request_id,
                caller,
                perform,
                load_count,
                content=(name, count_type, notes, blind, recount_significant, scope),
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
            return load_count(uow, count_id)

    def list(
        self, page: PageRequest, *, status: CountStatus | None, count_type: CountType | None
    ) -> Page[CountView]:
        with self.uow_factory(read_only=True) as uow:
            result = uow.counts.list_page(page, status=status, count_type=count_type)
            return Page(count_views(uow, result.items), result.next_key)

    def cancel(self, caller: Caller, count_id: str, *, notes: str = "") -> CountView:
        require_count_id(count_id)
        check_close_notes(notes)
        with self.uow_factory() as uow:
            count = count_in_progress(uow, count_id, lock="update")
            count.status = CountStatus.CANCELLED.value
            count.cancelled_at = utcnow()
            count.cancelled_by = caller.user_id
            count.close_notes = notes
            uow.flush()
            view = load_count(uow, count.id)
            uow.commit()
            return view

    def list_lines(self, count_id: str, page: PageRequest) -> Page[CountLineView]:
        """The count's lines in the order first recorded."""
        require_count_id(count_id)
        with self.uow_factory(read_only=True) as uow:
            if uow.counts.get(count_id) is None:
                raise count_not_found(count_id)
            result = uow.counts.items_page(count_id, page)
            return Page(line_views(uow, result.items), result.next_key)
