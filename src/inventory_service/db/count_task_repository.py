"""Count tasks and what is left to count, in SQL: who counts which location of a count, and per
location the levels expected (domain/count_tasks.py) and those counted, set-based whatever the
count's size.

Lines join levels on (product, location, batch) with the unbatched batch as '' rather than
"equal or both NULL": equalities let PostgreSQL hash the join, which a count's progress over a
hundred thousand levels needs."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    literal,
    select,
    text,
    union,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from inventory_service.db.count_repository import LOCATION_COLUMNS, LocationRow, chunks
from inventory_service.db.keyset import keyset_page
from inventory_service.db.models import (
    Batch,
    CountItem,
    CountLocation,
    CountScopeProduct,
    CountTask,
    InventoryCount,
    Location,
    Product,
    StockLevel,
    StoredCountEntry,
)
from inventory_service.domain.enums import CountStatus
from inventory_service.domain.paging import Page, PageRequest


class CountScopeRef(NamedTuple):
    """What the level figures need of a count."""

    id: str
    scoped: bool
    # Its locations are all in its site: the site's levels are the ones to look at.
    site_id: str


class TaskRow(NamedTuple):
    inventory_count_id: str
    location_id: str
    assignee: str
    assigned_by: str
    assigned_at: datetime
    location_code: str
    zone: str
    inventory_count_name: str
    started_at: datetime


class LevelRow(NamedTuple):
    level_id: str
    product_id: str
    sku: str
    name: str
    batch_id: str | None
    lot_number: str | None
    expiry_date: Any
    location_id: str
    location_code: str
    zone: str
    quantity: int


class LocationFigures(NamedTuple):
    expected: int = 0
    counted: int = 0


class LocationLines(NamedTuple):
    lines: int
    last_counted_at: datetime | None


class ProgressTotals(NamedTuple):
    levels_expected: int
    levels_counted: int
    location_count: int
    locations_done: int


def _batch(column: Any) -> ColumnElement[str]:
    return func.coalesce(column, literal(""))


def _line_of_level(count_id: str) -> ColumnElement[bool]:
    """The line of the count for the level (correlated with StockLevel)."""
    return and_(
        CountItem.inventory_count_id == count_id,
        CountItem.product_id == StockLevel.product_id,
        CountItem.location_id == StockLevel.location_id,
        _batch(CountItem.batch_id) == _batch(StockLevel.batch_id),
    )


def _expected(count: CountScopeRef, *, whole_site: bool) -> list[ColumnElement[bool]]:
    """Conditions on StockLevel for the levels a count expects: of active products (an
    anti-join on the few inactive ones, cheaper than joining every product), of its scope's
    products when it is scoped; whole_site: of its site (when the count's locations are not
    named one by one, the site's index narrows the scan)."""
    inactive = (
        select(Product.id)
        .where(Product.id == StockLevel.product_id, Product.active.is_(False))
        .correlate(StockLevel)  # only: the levels' list joins products for their SKUs
    )
    conditions = [~inactive.exists()]
    if whole_site:
        conditions.append(StockLevel.site_id == count.site_id)
    if count.scoped:
        conditions.append(
            exists().where(
                CountScopeProduct.inventory_count_id == count.id,
                CountScopeProduct.product_id == StockLevel.product_id,
            )
        )
    return conditions


def _covered(count_id: str, zone: str | None = None) -> Select[Any]:
    """The ids of the count's locations (of the zone)."""
    stmt = select(CountLocation.location_id).where(CountLocation.inventory_count_id == count_id)
    if zone is not None:
        stmt = stmt.join(Location, Location.id == CountLocation.location_id).where(
            Location.zone == zone
        )
    return stmt


_TASK_COLUMNS: tuple[Any, ...] = (
    CountTask.inventory_count_id,
    CountTask.location_id,
    CountTask.assignee,
    CountTask.assigned_by,
    CountTask.assigned_at,
    Location.code.label("location_code"),
    Location.zone,
    InventoryCount.name.label("inventory_count_name"),
    InventoryCount.started_at,
)


def _tasks() -> Select[Any]:
    stmt = select(*_TASK_COLUMNS)
    return stmt.join(Location, Location.id == CountTask.location_id).join(
        InventoryCount, InventoryCount.id == CountTask.inventory_count_id
    )


class CountTaskRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- a count's locations --------------------------------------------------------------

    def count_locations(
        self,
        count_id: str,
        *,
        ids: Sequence[str] | None = None,
        zones: Sequence[str] | None = None,
    ) -> list[LocationRow]:
        """The count's locations (of these ids, or of these zones), by code."""
        stmt = (
            select(*LOCATION_COLUMNS)
            .join(CountLocation, CountLocation.location_id == Location.id)
            .where(CountLocation.inventory_count_id == count_id)
        )
        if zones is not None:
            stmt = stmt.where(Location.zone.in_(sorted(set(zones))))
        if ids is None:
            return [LocationRow(*row) for row in self.session.execute(stmt.order_by(Location.code))]
        found: list[LocationRow] = []
        for chunk in chunks(sorted(set(ids))):
            found.extend(
                LocationRow(*row)
                for row in self.session.execute(stmt.where(Location.id.in_(chunk)))
            )
        return sorted(found, key=lambda row: (row.code, row.id))

    # -- tasks ----------------------------------------------------------------------------

    def add(
        self,
        count: InventoryCount,
        assignees: Sequence[str],
        location_ids: Sequence[str],
        *,
        assigned_by: str,
        assigned_at: datetime,
    ) -> None:
        """Assigns each location to each assignee; a task that exists already stays as it
        was (ON CONFLICT DO NOTHING, so two managers assigning at once never collide)."""
        rows = [
            {
                "inventory_count_id": count.id,
                "location_id": location_id,
                "assignee": assignee,
                "site_id": count.site_id,
                "assigned_by": assigned_by,
                "assigned_at": assigned_at,
            }
            for assignee in sorted(set(assignees))
            for location_id in sorted(set(location_ids))
        ]
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        insert_task = pg_insert if dialect == "postgresql" else sqlite_insert
        self.session.execute(insert_task(CountTask).values(rows).on_conflict_do_nothing())

    def of(
        self, count_id: str, assignees: Sequence[str], location_ids: Sequence[str] | None
    ) -> list[TaskRow]:
        """The count's tasks of these assignees (in these locations; None: all of theirs), by
        location code, then assignee."""
        stmt = _tasks().where(
            CountTask.inventory_count_id == count_id, CountTask.assignee.in_(sorted(assignees))
        )
        if location_ids is not None:
            stmt = stmt.where(CountTask.location_id.in_(sorted(set(location_ids))))
        stmt = stmt.order_by(Location.code, CountTask.location_id, CountTask.assignee)
        return [TaskRow(*row) for row in self.session.execute(stmt)]

    def remove(self, count_id: str, assignees: Sequence[str], location_ids: Sequence[str]) -> None:
        if not location_ids:
            return
        self.session.execute(
            delete(CountTask).where(
                CountTask.inventory_count_id == count_id,
                CountTask.assignee.in_(sorted(assignees)),
                CountTask.location_id.in_(sorted(set(location_ids))),
            )
        )

    def page(
        self,
        page: PageRequest,
        *,
        assignee: str,
        count_id: str | None,
        site_ids: Collection[str] | None,
    ) -> Page[TaskRow]:
        """An assignee's tasks, of one count or of every count in progress, by count start
        (oldest first), then location code."""
        stmt = _tasks().where(CountTask.assignee == assignee)
        if count_id is not None:
            stmt = stmt.where(CountTask.inventory_count_id == count_id)
        else:
            stmt = stmt.where(InventoryCount.status == CountStatus.IN_PROGRESS.value)
        if site_ids is not None:
            stmt = stmt.where(CountTask.site_id.in_(sorted(site_ids)))
        order = [
            InventoryCount.started_at,
            CountTask.inventory_count_id,
            Location.code,
            CountTask.location_id,
        ]
        found: Page[Any] = keyset_page(
            self.session,
            stmt,
            order,
            page,
            key_of=lambda r: (r.started_at, r.inventory_count_id, r.location_code, r.location_id),
            rows=True,
        )
        return found.map(lambda row: TaskRow(*row))

    def assigned_locations(self, count_id: str, assignee: str) -> list[str]:
        stmt = select(CountTask.location_id).where(
            CountTask.inventory_count_id == count_id, CountTask.assignee == assignee
        )
        return list(self.session.scalars(stmt))

    def assignees(self, count_id: str, location_ids: Sequence[str]) -> dict[str, list[str]]:
        """location id -> its assignees in the count, sorted."""
        found: dict[str, list[str]] = {location_id: [] for location_id in location_ids}
        if not location_ids:
            return found
        stmt = (
            select(CountTask.location_id, CountTask.assignee)
            .where(
                CountTask.inventory_count_id == count_id,
                CountTask.location_id.in_(sorted(set(location_ids))),
            )
            .order_by(CountTask.assignee)
        )
        for location_id, assignee in self.session.execute(stmt):
            found[location_id].append(assignee)
        return found

    # -- levels ---------------------------------------------------------------------------

    def figures(
        self, count: CountScopeRef, location_ids: Sequence[str]
    ) -> dict[str, LocationFigures]:
        """location id -> (levels expected, levels counted), for these of the count's
        locations (a location without levels: zeros)."""
        found = {location_id: LocationFigures() for location_id in location_ids}
        for chunk in chunks(sorted(set(location_ids))):
            where = [StockLevel.location_id.in_(chunk), *_expected(count, whole_site=False)]
            stmt = self._per_location(count, where)
            for location_id, expected, counted in self.session.execute(stmt):
                found[location_id] = LocationFigures(int(expected), int(counted))
        return found

    def _per_location(self, count: CountScopeRef, where: list[ColumnElement[bool]]) -> Select[Any]:
        figures: list[Any] = [
            StockLevel.location_id,
            func.count().label("expected"),
            func.count(CountItem.id).label("counted"),
        ]
        stmt = select(*figures).select_from(StockLevel)
        stmt = stmt.outerjoin(CountItem, _line_of_level(count.id))
        return stmt.where(*where).group_by(StockLevel.location_id)

    def totals(self, count: CountScopeRef, *, zone: str | None) -> ProgressTotals:
        """Levels expected and counted over the count's locations (of the zone), how many
        locations, and how many have every expected level counted.

        On PostgreSQL, in a savepoint without nested loops: joining a hundred thousand levels to
        their lines one index probe each took twice as long as hashing the count's lines, and
        the planner judged the two alike."""
        covered = _covered(count.id, zone)
        where = [StockLevel.location_id.in_(covered), *_expected(count, whole_site=True)]
        per_location = self._per_location(count, where).subquery()
        short = case((per_location.c.counted < per_location.c.expected, 1), else_=0)
        stmt = select(
            func.sum(per_location.c.expected),
            func.sum(per_location.c.counted),
            func.sum(short),
        )
        with self.session.begin_nested() as savepoint:
            if self.session.get_bind().dialect.name == "postgresql":
                self.session.execute(text("SET LOCAL enable_nestloop = off"))
            expected, counted, not_done = self.session.execute(stmt).one()
            savepoint.rollback()  # and the setting with it
        locations = self.session.scalar(select(func.count()).select_from(covered.subquery()))
        location_count = int(locations or 0)
        return ProgressTotals(
            int(expected or 0),
            int(counted or 0),
            location_count,
            location_count - int(not_done or 0),
        )

    def locations_page(
        self, count_id: str, page: PageRequest, *, zone: str | None
    ) -> Page[LocationRow]:
        """The count's locations (of the zone), by code."""
        columns: tuple[Any, ...] = LOCATION_COLUMNS
        stmt = (
            select(*columns)
            .join(CountLocation, CountLocation.location_id == Location.id)
            .where(CountLocation.inventory_count_id == count_id)
        )
        if zone is not None:
            stmt = stmt.where(Location.zone == zone)
        found: Page[Any] = keyset_page(
            self.session, stmt, [Location.code, Location.id], page, rows=True
        )
        return found.map(lambda row: LocationRow(*row))

    def lines(self, count_id: str, location_ids: Sequence[str]) -> dict[str, LocationLines]:
        """location id -> its lines in the count and when one was last counted."""
        if not location_ids:
            return {}
        stmt = (
            select(CountItem.location_id, func.count(), func.max(CountItem.counted_at))
            .where(
                CountItem.inventory_count_id == count_id,
                CountItem.location_id.in_(sorted(set(location_ids))),
            )
            .group_by(CountItem.location_id)
        )
        return {
            location_id: LocationLines(int(n), _aware(last))
            for location_id, n, last in self.session.execute(stmt)
        }

    def counters(self, count_id: str, location_ids: Sequence[str]) -> dict[str, list[str]]:
        """location id -> the users who recorded its lines (every entry's, and each line's
        last counter), sorted."""
        found: dict[str, list[str]] = {}
        if not location_ids:
            return found
        in_locations = and_(
            CountItem.inventory_count_id == count_id,
            CountItem.location_id.in_(sorted(set(location_ids))),
        )
        by_lines = select(CountItem.location_id, CountItem.counted_by).where(in_locations)
        by_entries = (
            select(CountItem.location_id, StoredCountEntry.counted_by)
            .join(StoredCountEntry, StoredCountEntry.count_item_id == CountItem.id)
            .where(in_locations)
        )
        both = union(by_lines, by_entries).subquery()
        stmt = select(both.c.location_id, both.c.counted_by).order_by(both.c.counted_by)
        for location_id, user in self.session.execute(stmt):
            found.setdefault(location_id, []).append(user)
        return found

    def levels_page(
        self, count: CountScopeRef, location_ids: Sequence[str] | None, page: PageRequest
    ) -> Page[LevelRow]:
        """The count's expected levels without a line yet, in these locations (None: all of
        the count's), by location code, SKU, then lot number."""
        lot = _batch(Batch.lot_number)
        columns: list[Any] = [
            StockLevel.id.label("level_id"),
            StockLevel.product_id,
            Product.sku,
            Product.name,
            StockLevel.batch_id,
            Batch.lot_number,
            Batch.expiry_date,
            StockLevel.location_id,
            Location.code.label("location_code"),
            Location.zone,
            StockLevel.quantity,
        ]
        stmt = select(*columns).select_from(StockLevel)
        stmt = (
            stmt.join(Product, Product.id == StockLevel.product_id)
            .join(Location, Location.id == StockLevel.location_id)
            .outerjoin(Batch, Batch.id == StockLevel.batch_id)
            .where(~exists().where(_line_of_level(count.id)))
        )
        if location_ids is None:
            stmt = stmt.where(
                StockLevel.location_id.in_(_covered(count.id)), *_expected(count, whole_site=True)
            )
        else:
            stmt = stmt.where(
                StockLevel.location_id.in_(sorted(set(location_ids))),
                *_expected(count, whole_site=False),
            )
        order: list[Any] = [Location.code, StockLevel.location_id, Product.sku, lot, StockLevel.id]
        found: Page[Any] = keyset_page(
            self.session,
            stmt,
            order,
            page,
            key_of=lambda r: (
                r.location_code,
                r.location_id,
                r.sku,
                r.lot_number or "",
                r.level_id,
            ),
            rows=True,
        )
        return found.map(lambda row: LevelRow(*row))


def _aware(moment: Any) -> datetime | None:
    """max() of a time column: SQLite returns its text, naive; PostgreSQL an aware time."""
    if moment is None:
        return None
    found: datetime = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return found if found.tzinfo else found.replace(tzinfo=UTC)
