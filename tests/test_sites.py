"""SiteService: sites and the locations inside them, as an admin sets them up. A new
installation has MAIN with DEFAULT; a site comes with its default location; codes are ASCII in
upper case, unique (a location's within its site); lists page in code order with their filters;
a default place, a place holding stock and a place being counted stay active."""

from __future__ import annotations

from typing import Any

import grpc

from inventory.v1 import inventory_count_pb2, site_pb2
from tests.helpers import (
    ADMIN,
    MANAGER,
    STAFF,
    Clients,
    all_pages,
    error_info,
    expect_error,
    field_violations,
    pages,
    precondition_violations,
    start_count,
)
from tests.place_helpers import create_location, create_site, update_location, update_site


def list_sites(api: Clients, **fields: Any) -> list[site_pb2.Site]:
    return all_pages(api.sites.ListSites, site_pb2.ListSitesRequest(**fields), "sites")


def list_locations(api: Clients, **fields: Any) -> list[site_pb2.Location]:
    request = site_pb2.ListLocationsRequest(**fields)
    return all_pages(api.sites.ListLocations, request, "locations")


def codes(locations: list[site_pb2.Location]) -> list[str]:
    return [f"{loc.site_code}/{loc.code}" for loc in locations]


def test_a_new_installation_has_main_with_its_default_location(api: Clients) -> None:
    [main] = list_sites(api)
    assert (main.code, main.active, main.default_site) == ("MAIN", True, True)
    [default] = list_locations(api)
    assert (default.code, default.site_code, default.site_id) == ("DEFAULT", "MAIN", main.id)
    assert default.default_location
    assert main.default_location_id == default.id


def test_a_site_is_created_active_with_its_default_location(api: Clients) -> None:
    site = create_site(api, "store-12", "Store 12")
    assert (site.code, site.name, site.active, site.default_site) == (
        "STORE-12",
        "Store 12",
        True,
        False,
    )
    assert site.create_time.seconds > 0
    [default] = list_locations(api, site=site_pb2.SiteSelector(code="Store-12"))
    assert (default.id, default.code, default.default_location) == (
        site.default_location_id,
        "DEFAULT",
        True,
    )


def test_site_codes_are_unique_and_ascii(api: Clients) -> None:
    create_site(api, "WH-1")
    error = expect_error(grpc.StatusCode.ALREADY_EXISTS, create_site, api, "wh-1")
    assert error_info(error).reason == "SITE_CODE_TAKEN"
    # str.upper would turn the long s into S; a code is never matched by such a letter.
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, create_site, api, "\u017fTORE")
    assert "site.code" in field_violations(error)
    for bad in ("", "A B", "X" * 33, "A/B"):
        expect_error(grpc.StatusCode.INVALID_ARGUMENT, create_site, api, bad)
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.sites.CreateSite,
        site_pb2.CreateSiteRequest(site=site_pb2.Site(code="NONAME")),
        metadata=ADMIN,
    )
    assert "site.name" in field_violations(error)
    assert [s.code for s in list_sites(api)] == ["MAIN", "WH-1"]


def test_a_retried_create_returns_the_first_site_and_location(api: Clients) -> None:
    first = create_site(api, "S-1", request_id="site-req-1")
    again = create_site(api, "S-1", request_id="site-req-1")
    assert again.id == first.id
    request = site_pb2.CreateLocationRequest(
        location=site_pb2.Location(site_id=first.id, code="BIN-1"), request_id="loc-req-1"
    )
    location = api.sites.CreateLocation(request, metadata=ADMIN).location
    assert api.sites.CreateLocation(request, metadata=ADMIN).location.id == location.id
    assert codes(list_locations(api, site=site_pb2.SiteSelector(id=first.id))) == [
        "S-1/BIN-1",
        "S-1/DEFAULT",
    ]


def test_location_codes_are_unique_within_their_site(api: Clients) -> None:
    create_site(api, "NORTH")
    create_location(api, "NORTH", "a-01/03", zone="Aisle A", name="Aisle A, bay 1, shelf 3")
    error = expect_error(grpc.StatusCode.ALREADY_EXISTS, create_location, api, "NORTH", "A-01/03")
    assert error_info(error).reason == "LOCATION_CODE_TAKEN"
    create_location(api, "MAIN", "A-01/03")  # another site: fine
    # No site named: the default site's.
    default_site = api.sites.CreateLocation(
        site_pb2.CreateLocationRequest(location=site_pb2.Location(code="FRIDGE-1")),
        metadata=ADMIN,
    ).location
    assert default_site.site_code == "MAIN"
    error = expect_error(grpc.StatusCode.NOT_FOUND, create_location, api, "NOWHERE", "X")
    assert error_info(error).reason == "SITE_NOT_FOUND"
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, create_location, api, "NORTH", "A B")
    assert "location.code" in field_violations(error)


def test_locations_list_by_site_code_then_code_with_filters_and_pages(api: Clients) -> None:
    create_site(api, "B-SITE")
    create_site(api, "A-SITE")
    create_location(api, "B-SITE", "X-2", zone="Cold chain")
    create_location(api, "A-SITE", "Z-9", zone="Cold chain")
    create_location(api, "A-SITE", "A-1", zone="Aisle A")
    everything = [
        "A-SITE/A-1",
        "A-SITE/DEFAULT",
        "A-SITE/Z-9",
        "B-SITE/DEFAULT",
        "B-SITE/X-2",
        "MAIN/DEFAULT",
    ]
    assert codes(list_locations(api)) == everything
    paged = pages(api.sites.ListLocations, site_pb2.ListLocationsRequest(page_size=4), "locations")
    assert [codes(page) for page in paged] == [everything[:4], everything[4:]]
    assert codes(list_locations(api, zone="Cold chain")) == ["A-SITE/Z-9", "B-SITE/X-2"]
    assert codes(list_locations(api, site=site_pb2.SiteSelector(code="a-site"))) == [
        "A-SITE/A-1",
        "A-SITE/DEFAULT",
        "A-SITE/Z-9",
    ]
    error = expect_error(
        grpc.StatusCode.NOT_FOUND,
        api.sites.ListLocations,
        site_pb2.ListLocationsRequest(site=site_pb2.SiteSelector(code="NOPE")),
        metadata=STAFF,
    )
    assert error_info(error).reason == "SITE_NOT_FOUND"


def test_a_location_is_renamed_rezoned_and_deactivated_then_listed_only_when_asked(
    api: Clients,
) -> None:
    create_site(api, "NORTH")
    location = create_location(api, "NORTH", "A-1", zone="Aisle A")
    renamed = update_location(api, location.id, ["code", "zone", "name"], code="a-2", zone="B")
    assert (renamed.code, renamed.zone, renamed.name, renamed.active) == ("A-2", "B", "", True)
    inactive = update_location(api, location.id, ["active"], active=False)
    assert not inactive.active
    north = site_pb2.SiteSelector(code="NORTH")
    assert codes(list_locations(api, site=north)) == ["NORTH/DEFAULT"]
    assert codes(list_locations(api, site=north, show_inactive=True)) == [
        "NORTH/A-2",
        "NORTH/DEFAULT",
    ]
    assert update_location(api, location.id, ["active"], active=True).active


def test_update_masks_name_what_may_change(api: Clients) -> None:
    [main] = list_sites(api)
    for paths in ([], ["default_site"], ["id"]):
        error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, update_site, api, main.id, paths)
        assert "update_mask" in field_violations(error)
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        update_location,
        api,
        main.default_location_id,
        ["site_id"],
    )
    assert "update_mask" in field_violations(error)
    error = expect_error(grpc.StatusCode.NOT_FOUND, update_location, api, "no-such", ["name"])
    assert error_info(error).reason == "LOCATION_NOT_FOUND"
    error = expect_error(grpc.StatusCode.NOT_FOUND, update_site, api, "no-such", ["name"], name="N")
    assert error_info(error).reason == "SITE_NOT_FOUND"


def test_the_default_site_and_default_locations_stay_active(api: Clients) -> None:
    [main] = list_sites(api)
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION, update_site, api, main.id, ["active"], active=False
    )
    assert error_info(error).reason == "DEFAULT_SITE"
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        update_location,
        api,
        main.default_location_id,
        ["active"],
        active=False,
    )
    assert error_info(error).reason == "DEFAULT_LOCATION"
    [violation] = precondition_violations(error)
    assert violation.subject == f"locations/{main.default_location_id}"
    # Renaming the default site is fine: it stays the default.
    renamed = update_site(api, main.id, ["code", "name"], code="HQ", name="Head office")
    assert (renamed.code, renamed.default_site, renamed.active) == ("HQ", True, True)


def test_a_site_without_stock_or_counts_is_deactivated_and_hidden(api: Clients) -> None:
    site = create_site(api, "POPUP")
    assert not update_site(api, site.id, ["active"], active=False).active
    assert [s.code for s in list_sites(api)] == ["MAIN"]
    assert [s.code for s in list_sites(api, show_inactive=True)] == ["MAIN", "POPUP"]
    create_site(api, "OTHER")
    error = expect_error(
        grpc.StatusCode.ALREADY_EXISTS, lambda: update_site(api, site.id, ["code"], code="OTHER")
    )
    assert error_info(error).reason == "SITE_CODE_TAKEN"


def test_a_location_a_count_covers_stays_active(api: Clients) -> None:
    fridge = create_location(api, "MAIN", "FRIDGE-1")
    count = start_count(api)  # covers every active location of MAIN
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        update_location,
        api,
        fridge.id,
        ["active"],
        active=False,
    )
    assert error_info(error).reason == "LOCATION_IN_COUNT"
    api.counts.CancelInventoryCount(
        inventory_count_pb2.CancelInventoryCountRequest(
            inventory_count_id=count.id, notes="not today"
        ),
        metadata=MANAGER,
    )
    assert not update_location(api, fridge.id, ["active"], active=False).active


def test_only_admins_set_up_places(api: Clients) -> None:
    for metadata in (STAFF, MANAGER):
        expect_error(
            grpc.StatusCode.PERMISSION_DENIED,
            api.sites.CreateSite,
            site_pb2.CreateSiteRequest(site=site_pb2.Site(code="X", name="X")),
            metadata=metadata,
        )
    assert [s.code for s in list_sites(api)] == ["MAIN"]  # staff read them
