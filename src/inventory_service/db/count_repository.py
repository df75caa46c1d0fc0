"""Queries over inventory counts and their lines: the count's row, its lines in order, and what
a completion reads and locks."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from decimal import Decimal
from typing import Any, Literal, NamedTuple, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    any_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, Session

from inventory_service.db.keyset import keyset_page
from inventory_service.db.models import (
    Batch,
    CountItem,
    CountLocation,
    CountScopeProduct,
    InventoryCount,
    Location,
    LocationHold,
    Product,
    Site,
    StockAdjustment,
    StockLevel,
)
from inventory_service.domain.enums import CountStatus, CountType
from inventory_service.domain.paging import Page, PageRequest

RowLock = Literal["share", "update"] | None
V = TypeVar("V")
# Lists of ids go to the database in chunks: SQLite takes at most 32,766 parameters, and a
# count may cover 50,000 locations.
CHUNK = 10_000


def chunks(values: Sequence[V]) -> Iterator[Sequence[V]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class LocationRow(NamedTuple):
    """What starting a count needs of a location."""

    id: str
    site_id: str
    code: str
    zone: str
    active: bool
    is_default: bool


def location_labels(session: Session, location_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """location id -> (code, zone): how lines show their locations."""
    labels: dict[str, tuple[str, str]] = {}
    for chunk in chunks(sorted(set(location_ids))):
        stmt = select(Location.id, Location.code, Location.zone).where(Location.id.in_(chunk))
        labels.update({i: (code, zone) for i, code, zone in session.execute(stmt)})
    return labels


LOCATION_COLUMNS = (
    Location.id,
    Location.site_id,
    Location.code,
    Location.zone,
    Location.active,
    Location.is_default,
)
_LOCATION_ROW = select(*LOCATION_COLUMNS)


def _same_batch(a: Any, b: Any) -> ColumnElement[bool]:
    """Equal batch ids, where NULL (unbatched) equals NULL."""
    return or_(a == b, and_(a.is_(None), b.is_(None)))


def _counted_in(count_id: str) -> ColumnElement[bool]:
    """The stock level has a line in the count (correlated with StockLevel)."""
    return exists().where(
        CountItem.inventory_count_id == count_id,
        CountItem.product_id == StockLevel.product_id,
        CountItem.location_id == StockLevel.location_id,
        _same_batch(CountItem.batch_id, StockLevel.batch_id),
    )


def _covered_by(count_id: str) -> ColumnElement[bool]:
    """The stock level sits in a location the count covers (correlated with StockLevel)."""
    return exists().where(
        CountLocation.inventory_count_id == count_id,
        CountLocation.location_id == StockLevel.location_id,
    )


# Levels are locked in the order RecordStockMovements uses (product, then unbatched first, then
# batch id, then location), so two transactions locking several levels never wait on each other
# in a cycle.
_LEVEL_LOCK_ORDER = (
    StockLevel.product_id,
    StockLevel.batch_id.is_not(None),
    StockLevel.batch_id,
    StockLevel.location_id,
)


def _one_of(column: Any, values: Sequence[str], *, postgres: bool) -> ColumnElement[bool]:
    """column IN values; on PostgreSQL one array parameter (= ANY), whatever their number."""
    if postgres:
        return cast(
            ColumnElement[bool], column == any_(bindparam(None, list(values), type_=ARRAY(String)))
        )
    return cast(ColumnElement[bool], column.in_(values))


class CountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._postgres = session.get_bind().dialect.name == "postgresql"

    # -- counts ---------------------------------------------------------------------------

    def add(self, count: InventoryCount) -> None:
        self.session.add(count)

    def get(self, count_id: str, *, lock: RowLock = None) -> InventoryCount | None:
        """The count; with lock, its row is held (FOR SHARE / FOR UPDATE) until the end of the
        transaction and read afresh."""
        stmt = select(InventoryCount).where(InventoryCount.id == count_id)
        if lock is not None:
            stmt = stmt.with_for_update(read=lock == "share").execution_options(
                populate_existing=True
            )
        return self.session.scalar(stmt)

    def holding(self, location_ids: Sequence[str]) -> dict[str, InventoryCount]:
        """Location id -> the count in progress holding it, for those of location_ids held."""
        found: dict[str, InventoryCount] = {}
        for chunk in chunks(sorted(set(location_ids))):
            stmt = (
                select(LocationHold.location_id, InventoryCount)
                .join(InventoryCount, InventoryCount.id == LocationHold.inventory_count_id)
                .where(LocationHold.location_id.in_(chunk))
            )
            found.update({location_id: count for location_id, count in self.session.execute(stmt)})
        return found

    def cover(self, count: InventoryCount, location_ids: Sequence[str]) -> None:
        """Records the locations a new count covers and holds them (a location another count
        holds violates pk_location_holds: COUNT_IN_PROGRESS). Inserted in id order, as every
        start does, so two starts racing for the same locations never deadlock: the second
        waits on the first one's row, then fails on it. Set-based: the holds from the
        locations, in chunks of ids (one array on PostgreSQL), then the cover from the holds."""
        ids = sorted(set(location_ids))
        for chunk in [ids] if self._postgres else chunks(ids):
            held = (
                select(Location.id, literal(count.id), Location.site_id)
                .where(_one_of(Location.id, chunk, postgres=self._postgres))
                .order_by(Location.id)
            )
            self.session.execute(
                insert(LocationHold).from_select(
                    ["location_id", "inventory_count_id", "site_id"], held
                )
            )
        covered = select(
            LocationHold.inventory_count_id, LocationHold.location_id, LocationHold.site_id
        ).where(LocationHold.inventory_count_id == count.id)
        self.session.execute(
            insert(CountLocation).from_select(
                ["inventory_count_id", "location_id", "site_id"], covered
            )
        )

    def release(self, count_id: str) -> None:
        """Lets go of the locations a count held (on completion and cancellation)."""
        self.session.execute(
            delete(LocationHold).where(LocationHold.inventory_count_id == count_id)
        )

    def list_page(
        self,
        page: PageRequest,
        *,
        status: CountStatus | None,
        count_type: CountType | None,
        site_ids: Collection[str] | None = None,
    ) -> Page[InventoryCount]:
        """Counts, newest first; site_ids: only those sites' (None: every site's)."""
        stmt = select(InventoryCount)
        if status is not None:
            stmt = stmt.where(InventoryCount.status == status.value)
        if count_type is not None:
            stmt = stmt.where(InventoryCount.type == count_type.value)
        if site_ids is not None:
            stmt = stmt.where(InventoryCount.site_id.in_(sorted(site_ids)))
        order = [InventoryCount.started_at, InventoryCount.id]
        return keyset_page(self.session, stmt, order, page, descending=True)

    # -- places ---------------------------------------------------------------------------

    def site_locations(
        self, site_id: str, *, zones: Sequence[str] | None = None
    ) -> list[LocationRow]:
        """The site's active locations (those of these zones), by code."""
        stmt = _LOCATION_ROW.where(Location.site_id == site_id, Location.active.is_(True))
        if zones is not None:
            stmt = stmt.where(Location.zone.in_(sorted(set(zones))))
        return [LocationRow(*row) for row in self.session.execute(stmt.order_by(Location.code))]

    def locations_by_ids(self, location_ids: Sequence[str]) -> list[LocationRow]:
        found: list[LocationRow] = []
        for chunk in chunks(sorted(set(location_ids))):
            stmt = _LOCATION_ROW.where(Location.id.in_(chunk))
            found.extend(LocationRow(*row) for row in self.session.execute(stmt))
        return found

    def locations_by_codes(self, site_id: str, codes: Sequence[str]) -> list[LocationRow]:
        found: list[LocationRow] = []
        for chunk in chunks(sorted(set(codes))):
            stmt = _LOCATION_ROW.where(Location.site_id == site_id, Location.code.in_(chunk))
            found.extend(LocationRow(*row) for row in self.session.execute(stmt))
        return found

    def default_location(self, site_id: str) -> LocationRow | None:
        stmt = _LOCATION_ROW.where(Location.site_id == site_id, Location.is_default.is_(True))
        row = self.session.execute(stmt).first()
        return LocationRow(*row) if row else None

    def location_counts(self, count_ids: Sequence[str]) -> dict[str, int]:
        """count id -> how many locations it covers."""
        if not count_ids:
            return {}
        stmt = (
            select(CountLocation.inventory_count_id, func.count())
            .where(CountLocation.inventory_count_id.in_(set(count_ids)))
            .group_by(CountLocation.inventory_count_id)
        )
        return {count_id: int(n) for count_id, n in self.session.execute(stmt)}

    def site_codes(self, site_ids: Sequence[str]) -> dict[str, str]:
        """site id -> code."""
        if not site_ids:
            return {}
        stmt = select(Site.id, Site.code).where(Site.id.in_(set(site_ids)))
        return {site_id: code for site_id, code in self.session.execute(stmt)}

    def location_labels(self, location_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        return location_labels(self.session, location_ids)

    # -- lines ----------------------------------------------------------------------------

    def items_page(self, count_id: str, page: PageRequest) -> Page[CountItem]:
        """Lines in the order first recorded."""
        stmt = select(CountItem).where(CountItem.inventory_count_id == count_id)
        return keyset_page(self.session, stmt, [CountItem.first_counted_at, CountItem.id], page)

    def skus(self, product_ids: Sequence[str]) -> dict[str, str]:
        return self._of_products(Product.sku, product_ids)

    def blind_flags(self, count_ids: Sequence[str]) -> dict[str, bool]:
        if not count_ids:
            return {}
        rows = self.session.execute(
            select(InventoryCount.id, InventoryCount.blind).where(
                InventoryCount.id.in_(set(count_ids))
            )
        )
        return {row.id: row.blind for row in rows}

    # -- completion -----------------------------------------------------------------------

    def lock_levels_for_completion(self, count_id: str, *, include_uncounted: bool) -> None:
        """Locks, in one ordered statement, the levels a completion may change: those with a
        line in the count, and with include_uncounted the active products' levels without."""
        counted = _counted_in(count_id)
        condition: ColumnElement[bool] = counted
        if include_uncounted:
            condition = or_(counted, and_(Product.active.is_(True), _covered_by(count_id)))
        stmt = (
            select(StockLevel)
            .join(Product, Product.id == StockLevel.product_id)
            .where(condition)
            .order_by(*_LEVEL_LOCK_ORDER)
            .with_for_update(of=StockLevel)
            .execution_options(populate_existing=True)
        )
        self.session.scalars(stmt).all()

    def lines_with_levels(self, count_id: str) -> list[tuple[CountItem, StockLevel | None]]:
        """Every line of the count with its stock level, in the order first recorded."""
        stmt = (
            select(CountItem, StockLevel)
            .outerjoin(
                StockLevel,
                and_(
                    StockLevel.product_id == CountItem.product_id,
                    StockLevel.location_id == CountItem.location_id,
                    _same_batch(StockLevel.batch_id, CountItem.batch_id),
                ),
            )
            .where(CountItem.inventory_count_id == count_id)
            .order_by(CountItem.first_counted_at, CountItem.id)
        )
        return [(item, level) for item, level in self.session.execute(stmt)]

    def uncounted_levels(
        self, count_id: str, *, scoped: bool = False
    ) -> list[tuple[StockLevel, str | None]]:
        """Active products' stock levels without a line in the count, with their lot numbers;
        scoped: only those of the products in the count's scope."""
        stmt = (
            select(StockLevel, Batch.lot_number)
            .join(Product, Product.id == StockLevel.product_id)
            .outerjoin(Batch, Batch.id == StockLevel.batch_id)
            .where(Product.active.is_(True), _covered_by(count_id), ~_counted_in(count_id))
            .order_by(*_LEVEL_LOCK_ORDER)
        )
        if scoped:
            stmt = stmt.where(
                exists().where(
                    CountScopeProduct.inventory_count_id == count_id,
                    CountScopeProduct.product_id == StockLevel.product_id,
                )
            )
        return [(level, lot) for level, lot in self.session.execute(stmt)]

    def unit_costs(self, product_ids: Sequence[str]) -> dict[str, Decimal]:
        return self._of_products(Product.unit_cost, product_ids)

    def _of_products(self, column: Mapped[V], product_ids: Sequence[str]) -> dict[str, V]:
        """product id -> column, for the products named."""
        if not product_ids:
            return {}
        rows = self.session.execute(
            select(Product.id, column).where(Product.id.in_(set(product_ids)))
        )
        return {product_id: value for product_id, value in rows}

    def adjustments_of(self, count_id: str) -> list[StockAdjustment]:
        """The CORRECTION adjustments a completed count wrote, in level order."""
        stmt = (
            select(StockAdjustment)
            .where(StockAdjustment.inventory_count_id == count_id)
            .order_by(
                StockAdjustment.product_id,
                StockAdjustment.batch_id.is_not(None),
                StockAdjustment.batch_id,
            )
        )
        return list(self.session.scalars(stmt))
