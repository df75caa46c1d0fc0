"""Sites and locations: the default place and the locations of a site."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from inventory_service.db.models import Location, Site, new_id
from inventory_service.db.types import utcnow
from inventory_service.domain.places import (
    DEFAULT_LOCATION_CODE,
    DEFAULT_SITE_CODE,
    LocationRef,
    Place,
    SiteRef,
)

_SITE_REF = select(Site.id, Site.code, Site.is_default, Site.active)
_LOCATION_REF = select(
    Location.id, Location.site_id, Location.code, Location.is_default, Location.active
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


class LocationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, location: Location) -> None:
        self.session.add(location)

    def get(self, location_id: str) -> Location | None:
        return self.session.get(Location, location_id)

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
