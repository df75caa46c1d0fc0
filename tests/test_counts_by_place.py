"""Counts by place through a real channel, on SQLite and PostgreSQL: a count belongs to one site
and covers its locations (all of them, or those and the zones named); two counts in progress
never share a location; entries name the location counted; lines, recounts, completion and the
uncounted levels are per location; lists and the summary by site."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
import pytest

from inventory.v1 import inventory_count_pb2 as pb
from inventory.v1 import site_pb2
from inventory_service.domain.identity import Role
from tests.helpers import (
    ANNUAL,
    CYCLE,
    FULL,
    LOT,
    MANAGER,
    SET,
    SPOT,
    STAFF,
    Clients,
    add_item,
    add_request,
    complete,
    create_batch,
    create_product,
    error_info,
    error_of,
    expect_error,
    field_violations,
    get_count,
    list_items,
    precondition_violations,
    roundtrip,
    scan,
    token,
)
from tests.place_support import LocationPlace, Places, SitePlace, places

__all__ = ["places"]  # the fixture, used by name

Selector = site_pb2.LocationSelector


def at(location: LocationPlace | str, site: str = "") -> Selector:
    """A location by code (in the count's site, or in site), or by id."""
    if isinstance(location, str):
        return Selector(code=location, site_code=site)
    return Selector(id=location.id)


def start_at(
    api: Clients,
    name: str,
    count_type: Any = CYCLE,
    *,
    site: str = "",
    locations: Sequence[Selector] = (),
    zones: Sequence[str] = (),
    metadata: Any = MANAGER,
    **fields: Any,
) -> pb.InventoryCount:
    request = pb.StartInventoryCountRequest(
        name=name,
        type=count_type,
        scope_locations=list(locations),
        scope_zones=list(zones),
        **fields,
    )
    if site:
        request.site.code = site
    return api.counts.StartInventoryCount(request, metadata=metadata).inventory_count


def start_error(api: Clients, code: grpc.StatusCode, *args: Any, **kwargs: Any) -> grpc.RpcError:
    return expect_error(code, start_at, api, *args, **kwargs)


class Warehouse:
    """MAIN with DEFAULT, A-01 and A-02 (zone Aisle A), B-01 (Aisle B), FRIDGE-1 (Cold chain)
    and an inactive OLD-1; STORE-12 with DEFAULT and SHELF-1."""

    def __init__(self, places: Places) -> None:
        self.main = places.main()
        self.default = places.default_of(self.main)
        self.a1 = places.location(self.main, "A-01", zone="Aisle A")
        self.a2 = places.location(self.main, "A-02", zone="Aisle A")
        self.b1 = places.location(self.main, "B-01", zone="Aisle B")
        self.fridge = places.location(self.main, "FRIDGE-1", zone="Cold chain")
        self.old = places.location(self.main, "OLD-1", zone="Aisle B", active=False)
        self.store: SitePlace = places.site("STORE-12")
        self.store_default = places.default_of(self.store)
        self.shelf = places.location(self.store, "SHELF-1", zone="Front")


@pytest.fixture
def warehouse(places: Places) -> Warehouse:
    return Warehouse(places)


# -- start ---------------------------------------------------------------------------------


def test_a_full_count_covers_every_active_location_of_its_site(
    api: Clients, warehouse: Warehouse
) -> None:
    main = start_at(api, "Main stock-take", FULL)
    assert (main.site_code, main.site_id) == ("MAIN", warehouse.main.id)
    assert main.location_count == 5  # DEFAULT, A-01, A-02, B-01, FRIDGE-1; OLD-1 is inactive
    assert list(main.scope_zones) == []

    # Another site's count shares no location with it: both run at once.
    store = start_at(api, "Store stock-take", ANNUAL, site="store-12")  # codes in any case
    assert (store.site_code, store.location_count) == ("STORE-12", 2)
    assert get_count(api, store.id).site_id == warehouse.store.id


def test_a_whole_site_count_names_no_locations_or_zones(api: Clients, warehouse: Warehouse) -> None:
    error = start_error(api, grpc.StatusCode.INVALID_ARGUMENT, "Full", FULL, locations=[at("A-01")])
    assert "scope_locations" in field_violations(error)
    error = start_error(api, grpc.StatusCode.INVALID_ARGUMENT, "Annual", ANNUAL, zones=["Aisle A"])
    assert "scope_zones" in field_violations(error)


def test_a_cycle_count_covers_the_locations_and_zones_named(
    api: Clients, warehouse: Warehouse
) -> None:
    count = start_at(api, "Aisle A and the fridge", locations=[at("A-01")], zones=["Cold chain"])
    assert count.location_count == 2  # A-01, FRIDGE-1
    assert list(count.scope_zones) == ["Cold chain"]

    spot = start_at(api, "B-01 only", SPOT, locations=[at(warehouse.b1)])
    assert spot.location_count == 1
    # Neither covers A-02 or DEFAULT: a count of them runs beside.
    beside = start_at(api, "The rest", locations=[at("A-02"), at("", site="MAIN")])
    assert beside.location_count == 2


def test_a_cycle_count_naming_nothing_covers_its_whole_site(
    api: Clients, warehouse: Warehouse
) -> None:
    count = start_at(api, "Store cycle", site="STORE-12")
    assert count.location_count == 2


def test_a_start_sharing_locations_names_the_count_and_the_locations(
    api: Clients, warehouse: Warehouse
) -> None:
    first = start_at(api, "Aisle A", zones=["Aisle A"])
    error = start_error(
        api,
        grpc.StatusCode.FAILED_PRECONDITION,
        "A-02 and B-01",
        locations=[at("B-01"), at("A-02")],
    )
    assert error_info(error).reason == "COUNT_IN_PROGRESS"
    assert error_info(error).metadata["inventory_count_id"] == first.id
    held_by, *shared = precondition_violations(error)
    assert held_by.subject == f"inventoryCounts/{first.id}"
    assert "Aisle A" in held_by.description
    assert [(v.subject, v.type, v.description) for v in shared] == [
        (f"locations/{warehouse.a2.id}", "LOCATION_HELD", "A-02")
    ]
    assert "A-02" in error.details()
    # Nothing of the refused start was kept: B-01 is free.
    assert start_at(api, "B-01", locations=[at("B-01")]).location_count == 1


def test_an_overlap_names_at_most_50_locations(
    api: Clients, places: Places, warehouse: Warehouse
) -> None:
    big = places.site("DEPOT")
    for i in range(60):
        places.location(big, f"BIN-{i:02d}", zone="Bins")
    full = start_at(api, "Depot stock-take", FULL, site="DEPOT")
    assert full.location_count == 61
    error = start_error(
        api, grpc.StatusCode.FAILED_PRECONDITION, "Bins", site="DEPOT", zones=["Bins"]
    )
    held_by, *shared = precondition_violations(error)
    assert held_by.subject == f"inventoryCounts/{full.id}"
    assert len(shared) == 50
    assert [v.description for v in shared] == [f"BIN-{i:02d}" for i in range(50)]
    assert "BIN-09 and 50 more" in error.details()
    assert error_info(error).metadata["shared_locations"] == "60"


def test_places_a_start_cannot_use(api: Clients, places: Places, warehouse: Warehouse) -> None:
    def reason(code: grpc.StatusCode, **kwargs: Any) -> str:
        return error_info(start_error(api, code, "Count", **kwargs)).reason

    assert reason(grpc.StatusCode.NOT_FOUND, locations=[at("NO-SUCH")]) == "LOCATION_NOT_FOUND"
    assert reason(grpc.StatusCode.NOT_FOUND, zones=["No such zone"]) == "ZONE_NOT_FOUND"
    assert reason(grpc.StatusCode.NOT_FOUND, site="NOWHERE") == "SITE_NOT_FOUND"
    # A location of another site, by id or by its site's code.
    not_here = grpc.StatusCode.INVALID_ARGUMENT
    assert reason(not_here, locations=[at(warehouse.shelf)]) == "LOCATION_NOT_IN_SITE"
    assert reason(not_here, locations=[at("SHELF-1", site="STORE-12")]) == "LOCATION_NOT_IN_SITE"
    inactive = grpc.StatusCode.FAILED_PRECONDITION
    assert reason(inactive, locations=[at("OLD-1")]) == "LOCATION_INACTIVE"
    places.site("CLOSED", active=False)
    assert reason(inactive, site="CLOSED") == "SITE_INACTIVE"
    # A zone counts its active locations only: OLD-1 is left out of Aisle B.
    assert start_at(api, "Aisle B", zones=["Aisle B"]).location_count == 1
    ambiguous = start_error(
        api, grpc.StatusCode.INVALID_ARGUMENT, "Count", locations=[Selector(id="x", code="A-01")]
    )
    assert "scope_locations[0]" in field_violations(ambiguous)


# -- entries and lines ---------------------------------------------------------------------


def test_an_entry_names_its_location_when_the_count_covers_several(
    api: Clients, places: Places, warehouse: Warehouse
) -> None:
    soap = create_product(api, "SOAP", cost="2.00")
    places.stock(soap.id, warehouse.a1, 10)
    places.stock(soap.id, warehouse.a2, 4)
    count = start_at(api, "Aisle A", zones=["Aisle A"])

    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.counts.AddCountItem,
        add_request(count.id, 9, sku="SOAP"),
        metadata=STAFF,
    )
    assert error_info(error).reason == "LOCATION_REQUIRED"
    assert "stock_location" in field_violations(error)
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        api.counts.AddCountItem,
        add_request(count.id, 9, sku="SOAP", stock_location=at("B-01")),
        metadata=STAFF,
    )
    assert error_info(error).reason == "OUT_OF_SCOPE"

    a1 = add_item(api, count.id, 9, sku="SOAP", stock_location=at("a-01"), location="shelf 2")
    a2 = add_item(api, count.id, 4, sku="SOAP", stock_location=at(warehouse.a2))
    assert (a1.location_id, a1.location_code, a1.zone) == (warehouse.a1.id, "A-01", "Aisle A")
    assert a1.location == "shelf 2"  # the free label stays beside the location
    assert (a1.system_quantity, a1.variance) == (10, -1)
    assert (a2.location_code, a2.system_quantity, a2.variance) == ("A-02", 4, 0)
    assert a1.id != a2.id  # one line per (product, batch, location)
    assert {(i.location_code, i.counted_quantity) for i in list_items(api, count.id)} == {
        ("A-01", 9),
        ("A-02", 4),
    }


def test_on_the_stream_each_entry_gets_its_own_location_error(
    api: Clients, warehouse: Warehouse
) -> None:
    create_product(api, "GEL", cost="1.00")
    count = start_at(api, "Aisle A", zones=["Aisle A"])
    located = scan(count.id, sku="GEL", quantity=3, mode=SET)
    located.stock_location.code = "A-01"
    unplaced = scan(count.id, sku="GEL", quantity=1)
    elsewhere = scan(count.id, sku="GEL", quantity=1)
    elsewhere.stock_location.code = "FRIDGE-1"
    unknown = scan(count.id, sku="GEL", quantity=1)
    unknown.stock_location.code = "NOPE"
    acks = roundtrip(api, STAFF, located, unplaced, elsewhere, unknown)
    assert acks[0].item.location_code == "A-01"
    assert error_of(acks[1]) == (grpc.StatusCode.INVALID_ARGUMENT, "LOCATION_REQUIRED")
    assert error_of(acks[2]) == (grpc.StatusCode.FAILED_PRECONDITION, "OUT_OF_SCOPE")
    assert error_of(acks[3]) == (grpc.StatusCode.NOT_FOUND, "LOCATION_NOT_FOUND")
    assert [i.counted_quantity for i in list_items(api, count.id)] == [3]


def test_a_count_of_one_location_takes_entries_that_name_none(
    api: Clients, places: Places, warehouse: Warehouse
) -> None:
    create_product(api, "MILK", cost="1.00")
    count = start_at(api, "Fridge", SPOT, locations=[at("FRIDGE-1")])
    line = add_item(api, count.id, 6, sku="MILK")
    assert (line.location_id, line.location_code) == (warehouse.fridge.id, "FRIDGE-1")


def test_a_lot_counted_in_two_locations_is_two_lines(
    api: Clients, places: Places, warehouse: Warehouse
) -> None:
    pills = create_product(api, "PILLS", cost="5.00", tracking=LOT)
    lot = create_batch(api, pills.id, "L-1")
    places.stock(pills.id, warehouse.a1, 7, batch_id=lot.id)
    places.stock(pills.id, warehouse.a2, 2, batch_id=lot.id)
    count = start_at(api, "Aisle A", zones=["Aisle A"])
    one = add_item(
        api, count.id, 7, product_id=pills.id, lot_number="L-1", stock_location=at("A-01")
    )
    two = add_item(
        api, count.id, 3, product_id=pills.id, lot_number="L-1", stock_location=at("A-02")
    )
    assert (one.batch_id, one.system_quantity, one.variance) == (lot.id, 7, 0)
    assert (two.batch_id, two.system_quantity, two.variance) == (lot.id, 2, 1)


def test_the_history_of_a_line_shows_its_location(api: Clients, warehouse: Warehouse) -> None:
    create_product(api, "TAPE", cost="1.00")
    count = start_at(api, "Aisle A", zones=["Aisle A"])
    line = add_item(api, count.id, 2, sku="TAPE", stock_location=at("A-02"), location="top")
    [entry] = api.counts.ListCountItemEntries(
        pb.ListCountItemEntriesRequest(inventory_count_id=count.id, count_item_id=line.id),
        metadata=MANAGER,
    ).entries
    assert (entry.location_id, entry.location_code, entry.location) == (
        warehouse.a2.id,
        "A-02",
        "top",
    )


def test_a_significant_line_is_recounted_in_its_location_only(
    api: Clients, places: Places, warehouse: Warehouse
) -> None:
    soap = create_product(api, "SOAP", cost="2.00")
    places.stock(soap.id, warehouse.a1, 100)
    places.stock(soap.id, warehouse.a2, 100)
    count = start_at(api, "Aisle A", zones=["Aisle A"], recount_significant=True)
    short = add_item(api, count.id, 50, sku="SOAP", stock_location=at("A-01"))
    fine = add_item(api, count.id, 100, sku="SOAP", stock_location=at("A-02"))
    assert short.status == pb.COUNT_ITEM_STATUS_RECOUNT_REQUESTED
    assert fine.status == pb.COUNT_ITEM_STATUS_COUNTED
    assert get_count(api, count.id).pending_recounts == 1


# -- completion ----------------------------------------------------------------------------


def test_completion_corrects_each_location_and_a_move_after_the_scan_survives(
    api: Clients, places: Places, warehouse: Warehouse
) -> None:
    soap = create_product(api, "SOAP", cost="2.00")
    places.stock(soap.id, warehouse.a1, 10)
    places.stock(soap.id, warehouse.a2, 5)
    count = start_at(api, "Aisle A", zones=["Aisle A"])
    add_item(api, count.id, 8, sku="SOAP", stock_location=at("A-01"))  # 2 missing
    add_item(api, count.id, 5, sku="SOAP", stock_location=at("A-02"))
    # After the scans, 3 move from A-01 to A-02 (a transfer's two legs).
    places.move(soap.id, warehouse.a1, warehouse.a2, 3)

    done = complete(api, count.id)
    [correction] = done.adjustments
    assert (correction.quantity_change, correction.quantity_before, correction.quantity_after) == (
        -2,
        7,
        5,
    )
    assert places.level(soap.id, warehouse.a1) == 5  # 10 - 3 moved - 2 missing
    assert places.level(soap.id, warehouse.a2) == 8  # 5 + 3 moved: the move survives
    moved = {m.item.location_code: m.current_quantity for m in done.moved_items}
    assert moved == {"A-01": 7, "A-02": 8}


def test_completion_sets_counted_figures_per_location(
    api: Clients, places: Places, warehouse: Warehouse
) -> None:
    soap = create_product(api, "SOAP", cost="2.00")
    places.stock(soap.id, warehouse.a1, 10)
    places.stock(soap.id, warehouse.a2, 5)
    count = start_at(api, "Aisle A", zones=["Aisle A"])
    add_item(api, count.id, 8, sku="SOAP", stock_location=at("A-01"))
    places.move(soap.id, warehouse.a1, warehouse.a2, 3)
    complete(api, count.id, mode=pb.STOCK_APPLY_MODE_SET_COUNTED)
    assert places.level(soap.id, warehouse.a1) == 8  # set to the counted figure
    assert places.level(soap.id, warehouse.a2) == 8  # not counted: untouched


def test_found_stock_in_a_location_without_a_level_gets_one(
    api: Clients, places: Places, warehouse: Warehouse
) -> None:
    soap = create_product(api, "SOAP", cost="2.00")
    places.stock(soap.id, warehouse.a1, 10)
    count = start_at(api, "Aisle A", zones=["Aisle A"])
    found = add_item(api, count.id, 4, sku="SOAP", stock_location=at("A-02"))
    assert (found.system_quantity, found.variance) == (0, 4)
    complete(api, count.id)
    assert places.level(soap.id, warehouse.a2) == 4
    assert places.level(soap.id, warehouse.a1) == 10


def test_a_full_count_lists_and_zeroes_only_its_own_site_s_uncounted_levels(
    api: Clients, places: Places, warehouse: Warehouse
) -> None:
    soap = create_product(api, "SOAP", cost="2.00")  # opening 0 at MAIN's DEFAULT
    places.stock(soap.id, warehouse.store_default, 4)
    places.stock(soap.id, warehouse.shelf, 6)
    places.stock(soap.id, warehouse.a1, 9)
    count = start_at(api, "Store stock-take", FULL, site="STORE-12")
    add_item(api, count.id, 6, sku="SOAP", stock_location=at("SHELF-1"))

    done = complete(api, count.id, zero_uncounted=True)
    assert [(u.product_id, u.quantity) for u in done.uncounted_levels] == [(soap.id, 4)]
    assert places.level(soap.id, warehouse.store_default) == 0
    assert places.level(soap.id, warehouse.shelf) == 6
    assert places.level(soap.id, warehouse.a1) == 9  # MAIN is another site's


def test_completing_a_count_frees_its_locations(api: Clients, warehouse: Warehouse) -> None:
    first = start_at(api, "Aisle A", zones=["Aisle A"])
    start_error(api, grpc.StatusCode.FAILED_PRECONDITION, "Again", zones=["Aisle A"])
    complete(api, first.id, apply=False)
    again = start_at(api, "Again", zones=["Aisle A"])
    api.counts.CancelInventoryCount(
        pb.CancelInventoryCountRequest(inventory_count_id=again.id), metadata=MANAGER
    )
    assert start_at(api, "Third", zones=["Aisle A"]).location_count == 2


# -- lists and the summary by site ---------------------------------------------------------


def test_lists_and_the_summary_by_site(api: Clients, places: Places, warehouse: Warehouse) -> None:
    soap = create_product(api, "SOAP", cost="10.00")
    places.stock(soap.id, warehouse.a1, 50)
    places.stock(soap.id, warehouse.shelf, 50)
    main = start_at(api, "Main A-01", locations=[at("A-01")])
    store = start_at(api, "Store", site="STORE-12", locations=[at("SHELF-1")])
    add_item(api, main.id, 30, sku="SOAP")  # 20 missing: significant
    add_item(api, store.id, 49, sku="SOAP")  # 1 missing: not significant

    def counts_of(site: str) -> list[str]:
        request = pb.ListInventoryCountsRequest(site=site_pb2.SiteSelector(code=site))
        return [
            c.id for c in api.counts.ListInventoryCounts(request, metadata=STAFF).inventory_counts
        ]

    assert counts_of("STORE-12") == [store.id]
    assert counts_of("MAIN") == [main.id]
    every = api.counts.ListInventoryCounts(pb.ListInventoryCountsRequest(), metadata=STAFF)
    assert {c.id for c in every.inventory_counts} == {main.id, store.id}

    def discrepancies(site: str) -> list[str]:
        request = pb.ListDiscrepanciesRequest(site=site_pb2.SiteSelector(code=site))
        return [i.sku for i in api.counts.ListDiscrepancies(request, metadata=MANAGER).items]

    assert discrepancies("MAIN") == ["SOAP"]
    assert discrepancies("STORE-12") == []

    summary = api.counts.GetInventorySummary(pb.GetInventorySummaryRequest(), metadata=MANAGER)
    assert summary.overall.total_counts == 2
    assert [
        (s.site_code, s.figures.total_counts, s.figures.items_with_discrepancy)
        for s in summary.by_site
    ] == [
        ("MAIN", 1, 1),
        ("STORE-12", 1, 1),
    ]
    assert {s.site_id for s in summary.by_site} == {warehouse.main.id, warehouse.store.id}
    store_only = api.counts.GetInventorySummary(
        pb.GetInventorySummaryRequest(site=site_pb2.SiteSelector(id=warehouse.store.id)),
        metadata=MANAGER,
    )
    assert store_only.overall.total_counts == 1
    assert store_only.overall.items_counted == 1
    assert [s.site_code for s in store_only.by_site] == ["STORE-12"]
    unknown = expect_error(
        grpc.StatusCode.NOT_FOUND,
        api.counts.ListInventoryCounts,
        pb.ListInventoryCountsRequest(site=site_pb2.SiteSelector(code="NOWHERE")),
        metadata=STAFF,
    )
    assert error_info(unknown).reason == "SITE_NOT_FOUND"


def test_a_replayed_start_shows_a_token_of_another_site_nothing(
    api: Clients, warehouse: Warehouse
) -> None:
    """A request_id names what its first call made: the same request replayed from a token
    that may not use that count's site is refused, not answered with the count."""
    store = start_at(api, "Store", site="STORE-12", request_id="start-1")
    main_only = [("authorization", f"Bearer {token(Role.MANAGER, 'mo', sites=['MAIN'])}")]
    error = start_error(
        api,
        grpc.StatusCode.PERMISSION_DENIED,
        "Store",
        site="STORE-12",
        request_id="start-1",
        metadata=main_only,
    )
    assert error_info(error).reason == "SITE_NOT_ALLOWED"
    assert store.id not in error.details()
