"""Counts by place in the service layer, over an in-memory unit of work: what a start covers,
what it refuses, and the `sites` claim on counts and their entries."""

from __future__ import annotations

import uuid

import pytest

from inventory_service.bootstrap import ServiceLayer
from inventory_service.db.models import Location, Site
from inventory_service.domain.catalog_keys import ProductKey
from inventory_service.domain.count_entries import CountEntry
from inventory_service.domain.count_places import CountPlaces
from inventory_service.domain.enums import CountMode, CountType
from inventory_service.domain.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from inventory_service.domain.identity import Caller, Role
from inventory_service.domain.paging import PageRequest
from inventory_service.domain.places import LocationKey, SiteKey
from tests.fakes import FakeDatabase, seed_product, with_defaults

MIA = Caller("mia", Role.MANAGER)
NORTH_ONLY = Caller("nora", Role.MANAGER, frozenset({"NORTH"}))
NORTH_STAFF = Caller("ned", Role.STAFF, frozenset({"NORTH"}))


def site(db: FakeDatabase, code: str, *locations: tuple[str, str]) -> Site:
    """A site with DEFAULT and (code, zone) locations."""
    made = with_defaults(Site(code=code, name=code))
    db.table(Site)[made.id] = made
    named = [("DEFAULT", "", True)] + [(c, z, False) for c, z in locations]
    for location_code, zone, default in named:
        row = with_defaults(
            Location(site_id=made.id, code=location_code, zone=zone, is_default=default)
        )
        db.table(Location)[row.id] = row
    return made


def location_id(db: FakeDatabase, site_id: str, code: str) -> str:
    rows = db.table(Location).values()
    return next(r.id for r in rows if (r.site_id, r.code) == (site_id, code))


def start(
    services: ServiceLayer,
    places: CountPlaces,
    caller: Caller = MIA,
    count_type: CountType = CountType.CYCLE,
) -> str:
    return services.counts.start(caller, name="Count", count_type=count_type, places=places).id


def test_a_start_covers_the_named_locations_and_zones_of_its_site(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    north = site(fake_db, "NORTH", ("A-01", "Aisle A"), ("A-02", "Aisle A"), ("B-01", "Aisle B"))
    count_id = start(
        fake_services,
        CountPlaces(
            site=SiteKey(code="NORTH"), locations=(LocationKey(code="B-01"),), zones=("Aisle A",)
        ),
    )
    view = fake_services.counts.get(MIA, count_id)
    assert (view.site_id, view.site_code, view.location_count, view.scope_zones) == (
        north.id,
        "NORTH",
        3,
        ("Aisle A",),
    )
    whole = start(fake_services, CountPlaces(), count_type=CountType.FULL)  # MAIN: DEFAULT only
    assert fake_services.counts.get(MIA, whole).location_count == 1


def test_a_start_refuses_what_it_cannot_cover(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    site(fake_db, "NORTH", ("A-01", "Aisle A"))
    south = site(fake_db, "SOUTH", ("S-01", ""))
    with pytest.raises(InvalidArgument) as full:
        start(fake_services, CountPlaces(zones=("Aisle A",)), count_type=CountType.FULL)
    assert [v.field for v in full.value.violations] == ["scope_zones"]
    with pytest.raises(NotFound) as zone:
        start(fake_services, CountPlaces(site=SiteKey(code="NORTH"), zones=("Aisle Z",)))
    assert zone.value.reason == "ZONE_NOT_FOUND"
    foreign = LocationKey(id=location_id(fake_db, south.id, "S-01"))
    with pytest.raises(InvalidArgument) as other:
        start(fake_services, CountPlaces(site=SiteKey(code="NORTH"), locations=(foreign,)))
    assert other.value.reason == "LOCATION_NOT_IN_SITE"
    south.active = False
    with pytest.raises(FailedPrecondition) as closed:
        start(fake_services, CountPlaces(site=SiteKey(code="SOUTH")))
    assert closed.value.reason == "SITE_INACTIVE"


def test_an_overlapping_start_names_the_count_and_the_shared_locations(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    north = site(fake_db, "NORTH", ("A-01", "Aisle A"), ("A-02", "Aisle A"))
    first = start(fake_services, CountPlaces(site=SiteKey(code="NORTH"), zones=("Aisle A",)))
    with pytest.raises(FailedPrecondition) as raised:
        start(
            fake_services,
            CountPlaces(site=SiteKey(code="NORTH"), locations=(LocationKey(code="A-02"),)),
        )
    assert raised.value.reason == "COUNT_IN_PROGRESS"
    assert [v.subject for v in raised.value.violations] == [
        f"inventoryCounts/{first}",
        f"locations/{location_id(fake_db, north.id, 'A-02')}",
    ]
    # The refused start held nothing: NORTH's DEFAULT is still free.
    beside = start(
        fake_services,
        CountPlaces(site=SiteKey(code="NORTH"), locations=(LocationKey(site_code="NORTH"),)),
    )
    assert fake_services.counts.get(MIA, beside).location_count == 1


def test_a_token_of_one_site_works_on_that_site_s_counts_only(
    fake_db: FakeDatabase, fake_services: ServiceLayer
) -> None:
    site(fake_db, "NORTH", ("A-01", ""))
    site(fake_db, "SOUTH", ("S-01", ""))
    seed_product(fake_db, "SOAP", on_hand=3)
    north = start(fake_services, CountPlaces(site=SiteKey(code="NORTH")), caller=NORTH_ONLY)
    south = start(fake_services, CountPlaces(site=SiteKey(code="SOUTH")))
    for denied in (
        lambda: start(fake_services, CountPlaces(site=SiteKey(code="SOUTH")), caller=NORTH_ONLY),
        lambda: start(fake_services, CountPlaces(), caller=NORTH_ONLY),  # implies MAIN
        lambda: fake_services.counts.get(NORTH_ONLY, south),
        lambda: fake_services.counts.cancel(NORTH_ONLY, south),
        lambda: fake_services.counts.list_lines(NORTH_STAFF, south, PageRequest(10)),
    ):
        with pytest.raises(PermissionDenied) as raised:
            denied()
        assert raised.value.reason == "SITE_NOT_ALLOWED"
    assert fake_services.counts.get(NORTH_STAFF, north).site_code == "NORTH"

    def entry(count_id: str) -> CountEntry:
        return CountEntry(
            entry_id=uuid.uuid4().hex,
            inventory_count_id=count_id,
            product=ProductKey(sku="SOAP"),
            quantity=1,
            caller=NORTH_STAFF,
            mode=CountMode.SET,
            stock_location=LocationKey(code="A-01"),
        )

    stored, refused = fake_services.recorder.record([entry(north), entry(south)])
    assert stored.line_or_raise().line.location_id == location_id(
        fake_db, fake_services.counts.get(MIA, north).site_id, "A-01"
    )
    assert refused.error is not None
    assert refused.error.reason == "SITE_NOT_ALLOWED"
