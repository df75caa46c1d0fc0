"""Count tasks: a manager assigns a count's locations (or zones) to counters; a counter lists
their tasks and the levels left to count in them; managers read the progress per location.
The rules are in domain/count_tasks.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from inventory_service.db.count_task_repository import (
    CountScopeRef,
    LevelRow,
    ProgressTotals,
    TaskRow,
)
from inventory_service.db.models import InventoryCount
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.count_places import unique
from inventory_service.domain.count_rules import visible_to
from inventory_service.domain.count_tasks import (
    TaskRequest,
    check_task_request,
    check_task_total,
    unique_assignees,
    zone_out_of_scope,
)
from inventory_service.domain.errors import InvalidArgument
from inventory_service.domain.identity import Caller
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.domain.places import LocationKey, SiteKey, location_out_of_scope
from inventory_service.services.base import Service
from inventory_service.services.counts.count_access import allowed_count, visible_sites
from inventory_service.services.counts.count_cover import named_locations
from inventory_service.services.counts.count_views import require_count_id
from inventory_service.services.counts.lifecycle import count_in_progress
from inventory_service.services.places import find_site


@dataclass(frozen=True)
class CountTaskView:
    inventory_count_id: str
    inventory_count_name: str
    assignee: str
    location_id: str
    location_code: str
    zone: str
    assigned_by: str
    assigned_at: datetime
    levels_expected: int
    levels_counted: int


@dataclass(frozen=True)
class LevelToCountView:
    product_id: str
    sku: str
    name: str
    batch_id: str | None
    lot_number: str
    expiry_date: date | None
    location_id: str
    location_code: str
    zone: str
    # None when the caller may not see it (staff on a blind count).
    system_quantity: int | None


@dataclass(frozen=True)
class LocationProgressView:
    location_id: str
    location_code: str
    zone: str
    levels_expected: int
    levels_counted: int
    lines: int
    counted_by: tuple[str, ...]
    last_counted_at: datetime | None
    assignees: tuple[str, ...]


@dataclass(frozen=True)
class CountProgressView:
    locations: Page[LocationProgressView]
    totals: ProgressTotals


def _scope(count: InventoryCount) -> CountScopeRef:
    return CountScopeRef(count.id, count.scoped, count.site_id)


def _task_views(uow: UnitOfWork, rows: Sequence[TaskRow]) -> list[CountTaskView]:
    """Tasks with their locations' figures (one query per count among them)."""
    figures = {}
    for count_id in {row.inventory_count_id for row in rows}:
        count = uow.counts.get(count_id)
        assert count is not None
        mine = [row.location_id for row in rows if row.inventory_count_id == count_id]
        for location_id, f in uow.count_tasks.figures(_scope(count), mine).items():
            figures[(count_id, location_id)] = f
    return [
        CountTaskView(
            row.inventory_count_id,
            row.inventory_count_name,
            row.assignee,
            row.location_id,
            row.location_code,
            row.zone,
            row.assigned_by,
            row.assigned_at,
            *figures[(row.inventory_count_id, row.location_id)],
        )
        for row in rows
    ]


def task_locations(
    uow: UnitOfWork,
    caller: Caller,
    count: InventoryCount,
    locations: Sequence[LocationKey],
    zones: Sequence[str],
) -> list[str]:
    """The ids of the count's locations that keys and zones name (in the count's site); a
    location or a zone the count does not cover is OUT_OF_SCOPE."""
    site = find_site(uow, SiteKey(id=count.site_id))
    ids: dict[str, None] = {}
    named = named_locations(uow, caller, site, locations, "locations")
    if named:
        covered = {
            row.id for row in uow.count_tasks.count_locations(count.id, ids=[r.id for r in named])
        }
        for key, row in zip(locations, named, strict=True):
            if row.id not in covered:
                raise location_out_of_scope(count.id, row.id, key.label())
            ids[row.id] = None
    wanted = unique(zones)
    if wanted:
        in_zones = uow.count_tasks.count_locations(count.id, zones=wanted)
        found = {row.zone for row in in_zones}
        for zone in wanted:
            if zone not in found:
                raise zone_out_of_scope(count.id, zone)
        ids.update(dict.fromkeys(row.id for row in in_zones))
    return list(ids)


class CountTasks(Service):
    def assign(self, caller: Caller, request: TaskRequest) -> list[CountTaskView]:
        """Assigns locations of an in-progress count to counters: one task per (assignee,
        location) asked for, new or assigned before."""
        check_task_request(request, assigning=True)
        assignees = unique_assignees(request.assignees)
        with self.uow_factory() as uow:
            # FOR SHARE, as entries hold it: a completion (FOR UPDATE) waits for the call.
            count = count_in_progress(uow, caller, request.inventory_count_id, lock="share")
            ids = task_locations(uow, caller, count, request.locations, request.zones)
            check_task_total(len(assignees), len(ids))
            uow.count_tasks.add(
                count, assignees, ids, assigned_by=caller.user_id, assigned_at=utcnow()
            )
            views = _task_views(uow, uow.count_tasks.of(count.id, assignees, ids))
            uow.commit()
            return views

    def unassign(self, caller: Caller, request: TaskRequest) -> list[CountTaskView]:
        """Takes tasks of an in-progress count from counters: those in the locations and zones
        named, or all of theirs in the count; answers the tasks removed."""
        check_task_request(request, assigning=False)
        assignees = unique_assignees(request.assignees)
        with self.uow_factory() as uow:
            count = count_in_progress(uow, caller, request.inventory_count_id, lock="share")
            ids = (
                task_locations(uow, caller, count, request.locations, request.zones)
                if request.names_places
                else None
            )
            removed = uow.count_tasks.of(count.id, assignees, ids)
            views = _task_views(uow, removed)
            uow.count_tasks.remove(count.id, assignees, [row.location_id for row in removed])
            uow.commit()
            return views

    def tasks(
        self, caller: Caller, page: PageRequest, *, count_id: str, assignee: str
    ) -> Page[CountTaskView]:
        """An assignee's tasks (the caller's by default), of one count or of every count in
        progress in the caller's sites, by count start then location code."""
        with self.uow_factory(read_only=True) as uow:
            if count_id:
                allowed_count(uow, caller, count_id)
            result = uow.count_tasks.page(
                page,
                assignee=assignee or caller.user_id,
                count_id=count_id or None,
                site_ids=visible_sites(uow, caller, None),
            )
            return Page(_task_views(uow, result.items), result.next_key)

    def levels_to_count(
        self, caller: Caller, count_id: str, location: LocationKey, page: PageRequest
    ) -> Page[LevelToCountView]:
        """The count's levels not counted yet: in one location, or in the caller's assigned
        locations, or in all of the count's when the caller has none."""
        require_count_id(count_id)
        with self.uow_factory(read_only=True) as uow:
            count = count_in_progress(uow, caller, count_id, lock=None)
            ids: list[str] | None
            if location.given:
                ids = task_locations(uow, caller, count, [location], [])
            else:
                ids = uow.count_tasks.assigned_locations(count.id, caller.user_id) or None
            result = uow.count_tasks.levels_page(_scope(count), ids, page)
            shows_quantity = visible_to(caller, count)
            return result.map(lambda row: _level_view(row, shows_quantity))

    def progress(
        self, caller: Caller, count_id: str, page: PageRequest, *, zone: str
    ) -> CountProgressView:
        """The count's progress per location (of the zone), by location code, with totals."""
        require_count_id(count_id)
        if len(zone) > 100:
            raise InvalidArgument.one("zone", "at most 100 characters")
        with self.uow_factory(read_only=True) as uow:
            count = allowed_count(uow, caller, count_id)
            scope = _scope(count)
            locations = uow.count_tasks.locations_page(count.id, page, zone=zone or None)
            ids = [row.id for row in locations.items]
            figures = uow.count_tasks.figures(scope, ids)
            lines = uow.count_tasks.lines(count.id, ids)
            counters = uow.count_tasks.counters(count.id, ids)
            assignees = uow.count_tasks.assignees(count.id, ids)
            views = [
                LocationProgressView(
                    row.id,
                    row.code,
                    row.zone,
                    figures[row.id].expected,
                    figures[row.id].counted,
                    lines[row.id].lines if row.id in lines else 0,
                    tuple(counters.get(row.id, ())),
                    lines[row.id].last_counted_at if row.id in lines else None,
                    tuple(assignees.get(row.id, ())),
                )
                for row in locations.items
            ]
            totals = uow.count_tasks.totals(scope, zone=zone or None)
            return CountProgressView(Page(views, locations.next_key), totals)


def _level_view(row: LevelRow, shows_quantity: bool) -> LevelToCountView:
    return LevelToCountView(
        row.product_id,
        row.sku,
        row.name,
        row.batch_id,
        row.lot_number or "",
        row.expiry_date,
        row.location_id,
        row.location_code,
        row.zone,
        row.quantity if shows_quantity else None,
    )
