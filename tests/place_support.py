"""Sites, locations and stock in them for the count tests, made straight through the tables and
the stock ledger (not through SiteService, CatalogService or TransferStock, which another part of
issue 18 builds): what an admin's CreateSite / CreateLocation and a receipt into a location
leave behind. Stock goes through StockLedger, so every level equals its ledger rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Connection, Engine, insert, select, update

from inventory_service.db.engine import create_db_engine, create_session_factory
from inventory_service.db.models import Location, Site, StockLevel, new_id
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWorkFactory, sql_unit_of_work_factory
from inventory_service.domain.enums import LedgerSource
from inventory_service.domain.places import Place
from inventory_service.services.stock_ledger import LedgerCause, StockLedger


@dataclass(frozen=True)
class SitePlace:
    id: str
    code: str
    default_location_id: str


@dataclass(frozen=True)
class LocationPlace:
    id: str
    site_id: str
    code: str
    zone: str

    @property
    def place(self) -> Place:
        return Place(self.id, self.site_id)


class Places:
    """Sites, locations and stock in one test's database."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_db_engine(url)
        self.uow_factory: UnitOfWorkFactory = sql_unit_of_work_factory(
            create_session_factory(self.engine)
        )

    def main(self) -> SitePlace:
        """The default site MAIN, with its location DEFAULT."""
        with self.engine.connect() as conn:
            site = conn.execute(select(Site.id, Site.code).where(Site.is_default)).one()
            default = conn.execute(
                select(Location.id).where(Location.site_id == site.id, Location.is_default)
            ).scalar_one()
        return SitePlace(site.id, site.code, default)

    def site(self, code: str, *, active: bool = True) -> SitePlace:
        """A site with its default location DEFAULT."""
        site_id, location_id, now = new_id(), new_id(), utcnow()
        with self.engine.begin() as conn:
            conn.execute(
                insert(Site).values(
                    id=site_id,
                    code=code,
                    name=f"Site {code}",
                    active=active,
                    is_default=False,
                    created_at=now,
                    updated_at=now,
                )
            )
            self._location(conn, location_id, site_id, "DEFAULT", "", True, is_default=True)
        return SitePlace(site_id, code, location_id)

    def location(
        self, site: SitePlace, code: str, *, zone: str = "", active: bool = True
    ) -> LocationPlace:
        location_id = new_id()
        with self.engine.begin() as conn:
            self._location(conn, location_id, site.id, code, zone, active, is_default=False)
        return LocationPlace(location_id, site.id, code, zone)

    def default_of(self, site: SitePlace) -> LocationPlace:
        return LocationPlace(site.default_location_id, site.id, "DEFAULT", "")

    @staticmethod
    def _location(
        conn: Connection,
        location_id: str,
        site_id: str,
        code: str,
        zone: str,
        active: bool,
        *,
        is_default: bool,
    ) -> None:
        now = utcnow()
        conn.execute(
            insert(Location).values(
                id=location_id,
                site_id=site_id,
                code=code,
                name=f"Location {code}",
                zone=zone,
                active=active,
                is_default=is_default,
                created_at=now,
                updated_at=now,
            )
        )

    def stock(
        self,
        product_id: str,
        location: LocationPlace,
        quantity: int,
        *,
        batch_id: str | None = None,
        source: LedgerSource = LedgerSource.MOVEMENT,
    ) -> None:
        """Changes the level of (product, batch) in location by quantity through the ledger
        (a receipt when positive, a sale or a leg of a transfer when negative); the level is
        made at zero first when the location holds none."""
        with self.uow_factory() as uow:
            ledger = StockLedger(uow)
            level = ledger.lock_or_create_level(product_id, batch_id, location.place)
            cause = LedgerCause(source, "place-support", source_reference="TEST")
            ledger.apply(level, quantity, cause)
            uow.commit()

    def move(
        self,
        product_id: str,
        source: LocationPlace,
        target: LocationPlace,
        quantity: int,
        *,
        batch_id: str | None = None,
    ) -> None:
        """Moves stock between two locations in one transaction (what a transfer does to the
        levels: one row out, one row in)."""
        with self.uow_factory() as uow:
            ledger = StockLedger(uow)
            cause = LedgerCause(LedgerSource.MOVEMENT, "place-support", source_reference="MOVE")
            out = ledger.lock_or_create_level(product_id, batch_id, source.place)
            into = ledger.lock_or_create_level(product_id, batch_id, target.place)
            ledger.apply(out, -quantity, cause)
            ledger.apply(into, quantity, cause)
            uow.commit()

    def level(self, product_id: str, location: LocationPlace, batch_id: str | None = None) -> int:
        """The quantity of (product, batch) in location (0 when it holds no level)."""
        stmt = select(StockLevel.quantity).where(
            StockLevel.product_id == product_id,
            StockLevel.location_id == location.id,
            StockLevel.batch_id.is_(None) if batch_id is None else StockLevel.batch_id == batch_id,
        )
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar() or 0)

    def set_active(self, location: LocationPlace, active: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(Location).where(Location.id == location.id).values(active=active))


@pytest.fixture
def places(database_url: str) -> Iterator[Places]:
    found = Places(database_url)
    try:
        yield found
    finally:
        found.engine.dispose()
