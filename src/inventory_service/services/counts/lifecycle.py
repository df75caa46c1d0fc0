"""A count from start to cancellation, and its lines as counted (completion: completion.py)."""

from __future__ import annotations

from inventory_service.db.count_repository import RowLock
from inventory_service.db.models import InventoryCount, new_id
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from inventory_service.domain.count_entries import count_not_found, ensure_in_progress
from inventory_service.domain.count_places import (
    WHOLE_DEFAULT_SITE,
    CountPlaces,
    check_places,
    overlap_error,
)
from inventory_service.domain.count_scope import NO_SCOPE, CountScope, check_scope
from inventory_service.domain.cycle_plan import CyclePlan
from inventory_service.domain.enums import CountStatus, CountType
from inventory_service.domain.errors import (
    ErrorCollector,
    FailedPrecondition,
    InvalidArgument,
)
from inventory_service.domain.identity import Caller
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.domain.places import SiteKey
from inventory_service.services.base import Service
from inventory_service.services.counts.count_access import (
    allowed_count,
    allowed_count_view,
    ensure_count_allowed,
    visible_sites,
)
from inventory_service.services.counts.count_cover import CountCover, cover_of, shared_locations
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


def count_in_progress(
    uow: UnitOfWork, caller: Caller, count_id: str, *, lock: RowLock
) -> InventoryCount:
    """The count, which must be of a site the caller may use and IN_PROGRESS, its row locked
    until the transaction ends.

    Completion and cancellation lock it FOR UPDATE, so they wait for entries in flight (which
    hold it FOR SHARE), and entries arriving after them see the new status."""
    count = uow.counts.get(count_id, lock=lock)
    if count is None:
        raise count_not_found(count_id)
    ensure_count_allowed(uow, caller, count)
    ensure_in_progress(count_id, count.status)
    return count


def check_close_notes(notes: str) -> None:
    if len(notes) > MAX_NOTES:
        raise InvalidArgument.one("notes", f"at most {MAX_NOTES} characters")


def overlap_of(uow: UnitOfWork, cover: CountCover) -> FailedPrecondition | None:
    """The error naming the counts in progress that hold some of cover's locations, if any."""
    shared = shared_locations(uow, cover)
    return overlap_error(shared, default_only=cover.default_only) if shared else None


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
        places: CountPlaces = WHOLE_DEFAULT_SITE,
    ) -> CountView:
        """Starts a count in a site, holding the locations it covers (domain/count_places.py)."""
        errors = ErrorCollector()
        check_scope(scope, count_type, errors)
        check_places(places, count_type, errors)
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
        covers: list[CountCover] = []

        def perform(uow: UnitOfWork) -> str:
            cover = cover_of(uow, caller, places)
            covers.append(cover)
            overlap = overlap_of(uow, cover)
            if overlap:  # the friendly check; pk_location_holds holds under races
                raise overlap
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
                site_id=cover.site.id,
                scope_zones="\n".join(cover.zones),
            )
            uow.counts.add(count)
            uow.flush()
            uow.counts.cover(count, list(cover.locations))
            if scope.scoped:
                attach_scope(uow, count, scope, self.plan, count.started_at)
            return count.id

        try:
            return run_once(
                self.uow_factory,
                "StartInventoryCount",
                request_id,
                caller,
                perform,
                lambda uow, count_id: allowed_count_view(uow, caller, count_id),
                content=(name, count_type, notes, blind, recount_significant, scope, places),
            )
        except FailedPrecondition as error:
            if error.reason != "COUNT_IN_PROGRESS" or error.violations or not covers:
                raise
            # Lost the race on the holds: name the winner.
            with self.uow_factory(read_only=True) as uow:
                overlap = overlap_of(uow, covers[-1])
            if overlap is None:
                raise
            raise overlap from error

    def get(self, caller: Caller, count_id: str) -> CountView:
        require_count_id(count_id)
        with self.uow_factory(read_only=True) as uow:
            return allowed_count_view(uow, caller, count_id)

    def list(
        self,
        caller: Caller,
        page: PageRequest,
        *,
        status: CountStatus | None,
        count_type: CountType | None,
        site: SiteKey | None = None,
    ) -> Page[CountView]:
        """Counts, newest first: of one site, or of the sites the caller may use."""
        with self.uow_factory(read_only=True) as uow:
            result = uow.counts.list_page(
                page,
                status=status,
                count_type=count_type,
                site_ids=visible_sites(uow, caller, site),
            )
            return Page(count_views(uow, result.items), result.next_key)

    def cancel(self, caller: Caller, count_id: str, *, notes: str = "") -> CountView:
        require_count_id(count_id)
        check_close_notes(notes)
        with self.uow_factory() as uow:
            count = count_in_progress(uow, caller, count_id, lock="update")
            count.status = CountStatus.CANCELLED.value
            count.cancelled_at = utcnow()
            count.cancelled_by = caller.user_id
            count.close_notes = notes
            uow.counts.release(count.id)
            uow.flush()
            view = load_count(uow, count.id)
            uow.commit()
            return view

    def list_lines(self, caller: Caller, count_id: str, page: PageRequest) -> Page[CountLineView]:
        """The count's lines in the order first recorded."""
        require_count_id(count_id)
        with self.uow_factory(read_only=True) as uow:
            allowed_count(uow, caller, count_id)
            result = uow.counts.items_page(count_id, page)
            return Page(line_views(uow, result.items), result.next_key)
