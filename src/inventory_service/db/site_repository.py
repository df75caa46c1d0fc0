"""Sites and locations: the default place, the locations of a site, finding the place a stock
change names, and the lists and checks of the admin RPCs."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Row,
    Select,
    exists,
    insert,
    select,
    true,
)
from sqlalchemy.orm import Session

from inventory_service.db.keyset import keyset_page
from inventory_service.db.models import Location, LocationHold, Site, StockLevel, new_id
from inventory_service.db.types import utcnow
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.domain.places import (
    DEFAULT_LOCATION_CODE,
    DEFAULT_SITE_CODE,
    LocationKey,
    LocationRef,
    Place,
    SiteRef,
)

_SITE_REF = select(Site.id, Site.code, Site.is_default, Site.active)
_LOCATION_REF = select(
    Location.id, Location.site_id, Location.code, Location.is_default, Location.active
)

_sites = Site.__table__
_locations = Location.__table__
# A location with its site, as a stock change needs them (LocationRef, then SiteRef columns).
_PLACE: Select[Any] = select(
    _locations.c.id,
    _locations.c.site_id,
    _locations.c.code,
    _locations.c.is_default,
    _locations.c.active,
    _sites.c.code.label("site_code"),
    _sites.c.is_default.label("site_is_default"),
    _sites.c.active.label("site_active"),
).select_from(_locations.join(_sites, _sites.c.id == _locations.c.site_id))
# A location's codes for display: its code, zone, and its site's id and code.
_NAMES: Select[Any] = select(
    _locations.c.id,
    _locations.c.code,
    _locations.c.zone,
    _locations.c.site_id,
    _sites.c.code.label("site_code"),
).select_from(_locations.join(_sites, _sites.c.id == _locations.c.site_id))

# A location's columns and its site's code.
_LOCATION_ROW: Select[Any] = select(*_locations.c, _sites.c.code.label("site_code")).select_from(
    _locations.join(_sites, _sites.c.id == _locations.c.site_id)
)
# A site's columns and its default location's id.
_SITE_WITH_DEFAULT: Select[Any] = select(
    *_sites.c, _locations.c.id.label("default_location_id")
).select_from(
    _sites.outerjoin(
        _locations, (_locations.c.site_id == _sites.c.id) & _locations.c.is_default.is_(true())
    )
)


def with_place_codes(table: FromClause) -> Select[Any]:
    """The rows of a table of stock changes (ledger, adjustments) with the codes of the
    location and site each names: location_code and site_code."""
    return select(
        *table.c, _locations.c.code.label("location_code"), _sites.c.code.label("site_code")
    ).select_from(
        table.join(_locations, _locations.c.id == table.c.location_id).join(
            _sites, _sites.c.id == table.c.site_id
        )
    )


_DEFAULT_PLACE = (
    select(Location.id, Location.site_id)
    .join(Site, Site.id == Location.site_id)
    .where(Site.is_default.is_(True), Location.is_default.is_(True))
)


class SiteRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, site: Site) -> None:
        self.session.add(site)

    def get(self, site_id: str) -> Site | None:
        return self.session.get(Site, site_id)

    def default_place(self) -> Place:
        """The default location of the default site (made by migration 0007, never removed)."""
        row = self.session.execute(_DEFAULT_PLACE).one()
        return Place(row.id, row.site_id)

    def default_ref(self) -> SiteRef:
        return SiteRef(*self.session.execute(_SITE_REF.where(Site.is_default.is_(True))).one())

    def ref_by_id(self, site_id: str) -> SiteRef | None:
        row = self.session.execute(_SITE_REF.where(Site.id == site_id)).first()
        return SiteRef(*row) if row else None

    def ref_by_code(self, code: str) -> SiteRef | None:
        row = self.session.execute(_SITE_REF.where(Site.code == code)).first()
        return SiteRef(*row) if row else None

    def get_for_update(self, site_id: str) -> Site | None:
        """The site, its row locked until the transaction ends (a stock change key-share-locks
        it, so deactivating waits for changes in flight and they see it inactive after)."""
        stmt = select(Site).where(Site.id == site_id).with_for_update()
        return self.session.scalar(stmt.execution_options(populate_existing=True))

    def ids_by_code(self, codes: Collection[str]) -> dict[str, str]:
        """code -> id of the sites with these codes (those that exist)."""
        if not codes:
            return {}
        rows = self.session.execute(select(Site.code, Site.id).where(Site.code.in_(set(codes))))
        return {row.code: row.id for row in rows}

    def codes_by_id(self, site_ids: Collection[str]) -> dict[str, str]:
        if not site_ids:
            return {}
        rows = self.session.execute(select(Site.id, Site.code).where(Site.id.in_(set(site_ids))))
        return {row.id: row.code for row in rows}

    def list_page(
        self, page: PageRequest, *, site_ids: Collection[str] | None, show_inactive: bool
    ) -> Page[Row[Any]]:
        """Sites (rows as row() gives them) by code; only those of site_ids unless None;
        inactive ones when asked."""
        stmt = _SITE_WITH_DEFAULT
        if site_ids is not None:
            stmt = stmt.where(_sites.c.id.in_(set(site_ids)))
        if not show_inactive:
            stmt = stmt.where(_sites.c.active.is_(True))
        return keyset_page(self.session, stmt, [_sites.c.code], page, rows=True)

    def row(self, site_id: str) -> Row[Any] | None:
        """The site's columns and default_location_id."""
        return self.session.execute(_SITE_WITH_DEFAULT.where(_sites.c.id == site_id)).first()

    def holds_stock(self, site_id: str) -> bool:
        held = StockLevel.site_id == site_id, StockLevel.quantity > 0
        return bool(self.session.scalar(select(exists().where(*held))))

    def in_count(self, site_id: str) -> bool:
        """Whether a count in progress holds one of the site's locations."""
        return bool(self.session.scalar(select(exists().where(LocationHold.site_id == site_id))))


class LocationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, location: Location) -> None:
        self.session.add(location)

    def get(self, location_id: str) -> Location | None:
        return self.session.get(Location, location_id)

    def get_for_update(self, location_id: str) -> Location | None:
        """The location, its row locked until the transaction ends (see
        SiteRepository.get_for_update)."""
        stmt = select(Location).where(Location.id == location_id).with_for_update()
        return self.session.scalar(stmt.execution_options(populate_existing=True))

    def place(self, key: LocationKey, *, lock: bool = False) -> tuple[LocationRef, SiteRef] | None:
        """The location a key names with its site in one statement; a key without id or site
        code looks in the default site, one without code takes the site's default location.
        With lock, both rows are locked FOR KEY SHARE until the transaction ends: a stock change
        holds them so the location or site cannot be deactivated under it."""
        stmt = _PLACE
        if key.id:
            stmt = stmt.where(_locations.c.id == key.id)
        else:
            site: ColumnElement[bool] = (
                _sites.c.code == key.site_code if key.site_code else _sites.c.is_default.is_(true())
            )
            location: ColumnElement[bool] = (
                _locations.c.code == key.code if key.code else _locations.c.is_default.is_(true())
            )
            stmt = stmt.where(site, location)
        if lock:
            stmt = stmt.with_for_update(read=True, key_share=True, of=[_locations, _sites])
        row = self.session.execute(stmt).first()
        if row is None:
            return None
        return (
            LocationRef(row.id, row.site_id, row.code, row.is_default, row.active),
            SiteRef(row.site_id, row.site_code, row.site_is_default, row.site_active),
        )

    def names(self, location_ids: Collection[str]) -> dict[str, Row[Any]]:
        """id -> (id, code, zone, site_id, site_code) of these locations, in one statement."""
        wanted = {i for i in location_ids if i}
        if not wanted:
            return {}
        return {
            row.id: row for row in self.session.execute(_NAMES.where(_locations.c.id.in_(wanted)))
        }

    def list_page(
        self,
        page: PageRequest,
        *,
        site_ids: Collection[str] | None,
        zone: str | None,
        show_inactive: bool,
    ) -> Page[Row[Any]]:
        """Locations (their columns and site_code) by site code, then code."""
        stmt = _LOCATION_ROW
        if site_ids is not None:
            stmt = stmt.where(_locations.c.site_id.in_(set(site_ids)))
        if zone is not None:
            stmt = stmt.where(_locations.c.zone == zone)
        if not show_inactive:
            stmt = stmt.where(_locations.c.active.is_(True))
        return keyset_page(
            self.session,
            stmt,
            [_sites.c.code, _locations.c.code],
            page,
            key_of=lambda row: (row.site_code, row.code),
            rows=True,
        )

    def row(self, location_id: str) -> Row[Any] | None:
        """One location's columns and site_code."""
        return self.session.execute(_LOCATION_ROW.where(_locations.c.id == location_id)).first()

    def holds_stock(self, location_id: str) -> bool:
        held = StockLevel.location_id == location_id, StockLevel.quantity > 0
        return bool(self.session.scalar(select(exists().where(*held))))

    def in_count(self, location_id: str) -> bool:
        """Whether a count in progress holds the location."""
        return self.session.get(LocationHold, location_id) is not None

    def ref_by_id(self, location_id: str) -> LocationRef | None:
        row = self.session.execute(_LOCATION_REF.where(Location.id == location_id)).first()
        return LocationRef(*row) if row else None

    def ref_by_code(self, site_id: str, code: str) -> LocationRef | None:
        stmt = _LOCATION_REF.where(Location.site_id == site_id, Location.code == code)
        row = self.session.execute(stmt).first()
        return LocationRef(*row) if row else None

    def default_ref(self, site_id: str) -> LocationRef | None:
        stmt = _LOCATION_REF.where(Location.site_id == site_id, Location.is_default.is_(True))
        row = self.session.execute(stmt).first()
        return LocationRef(*row) if row else None

    def active_ids(self, site_id: str) -> Sequence[str]:
        """The ids of the site's active locations, in id order."""
        stmt = (
            select(Location.id)
            .where(Location.site_id == site_id, Location.active.is_(True))
            .order_by(Location.id)
        )
        return list(self.session.scalars(stmt))


def seed_default_place(connection: Connection) -> None:
    """Creates the default site MAIN and its location DEFAULT when there is no default site
    (as migration 0007 does): for a database emptied by a test run."""
    if connection.execute(select(Site.id).where(Site.is_default.is_(True))).first():
        return
    site_id, location_id = new_id(), new_id()
    now = utcnow()
    connection.execute(
        insert(Site).values(
            id=site_id,
            code=DEFAULT_SITE_CODE,
            name="Main site",
            active=True,
            is_default=True,
            created_at=now,
            updated_at=now,
        )
    )
    connection.execute(
        insert(Location).values(
            id=location_id,
            site_id=site_id,
            code=DEFAULT_LOCATION_CODE,
            name="Default location",
            zone="",
            active=True,
            is_default=True,
            created_at=now,
            updated_at=now,
        )
    )
