"""Stock by place through a real channel: every stock change names a location (or lands on the
default location of the default site), a level is per (product, batch, location), GetProduct
sums them per batch and per site and lists them per location, ListStockLevels lists them by
place, the ledger says where each change happened."""

from __future__ import annotations

import grpc

from inventory.v1 import catalog_pb2, site_pb2
from tests.helpers import (
    ADMIN,
    LOT,
    STAFF,
    Clients,
    all_pages,
    create_batch,
    create_product,
    error_info,
    expect_error,
    field_violations,
    get_product,
    ledger_of,
    money,
    pages,
)
from tests.place_helpers import (
    at,
    create_location,
    create_site,
    levels_by_place,
    place_of,
    receive,
    update_location,
    update_site,
)


def product_at(
    api: Clients, sku: str, opening: int, location: site_pb2.LocationSelector
) -> catalog_pb2.Product:
    return api.catalog.CreateProduct(
        catalog_pb2.CreateProductRequest(
            product=catalog_pb2.Product(sku=sku, name=sku, unit_cost=money("2.00")),
            opening_quantity=opening,
            opening_location=location,
        ),
        metadata=ADMIN,
    ).product


def in_site(api: Clients, product_id: str, site_code: str) -> catalog_pb2.Product:
    return api.catalog.GetProduct(
        catalog_pb2.GetProductRequest(
            product=catalog_pb2.ProductSelector(id=product_id),
            site=site_pb2.SiteSelector(code=site_code),
        ),
        metadata=STAFF,
    ).product


def test_a_change_without_a_location_lands_on_the_default_place_as_before(
    api: Clients,
) -> None:
    product = create_product(api, "OLD-CLIENT", opening=10)
    receive(api, product.id, 5, site_pb2.LocationSelector())
    seen = get_product(api, product.id)
    assert seen.stock_quantity == 15
    [level] = seen.stock_levels  # summed: no location on it, as a released client reads it
    assert (level.quantity, level.location_id, level.site_code) == (15, "", "")
    [located] = seen.location_levels
    assert (place_of(located), located.quantity) == ("MAIN/DEFAULT", 15)
    [main] = seen.site_stocks
    assert (main.site_code, main.quantity) == ("MAIN", 15)
    [opening, movement] = ledger_of(api, product.id)
    assert {place_of(opening), place_of(movement)} == {"MAIN/DEFAULT"}
    assert movement.site_id == main.site_id
    assert movement.transfer_id == ""


def test_stock_sits_per_location_and_sums_per_batch_and_per_site(api: Clients) -> None:
    create_site(api, "NORTH")
    create_location(api, "NORTH", "fridge-1", zone="Cold chain")
    create_location(api, "MAIN", "A-1", zone="Aisle A")
    product = product_at(api, "VAX-1", 30, at("NORTH", "FRIDGE-1"))
    receive(api, product.id, 10, at(code="a-1"))  # code alone: in the default site
    receive(api, product.id, 4, at("north"))  # site code alone: its default location
    seen = get_product(api, product.id)
    assert seen.stock_quantity == 44
    [summed] = seen.stock_levels
    assert (summed.quantity, summed.location_id) == (44, "")
    # Per location, by site code then location code.
    assert [(place_of(lv), lv.quantity, lv.zone) for lv in seen.location_levels] == [
        ("MAIN/A-1", 10, "Aisle A"),
        ("NORTH/DEFAULT", 4, ""),
        ("NORTH/FRIDGE-1", 30, "Cold chain"),
    ]
    assert [(s.site_code, s.quantity) for s in seen.site_stocks] == [("MAIN", 10), ("NORTH", 34)]
    north = in_site(api, product.id, "north")
    assert north.stock_quantity == 34
    assert [s.site_code for s in north.site_stocks] == ["NORTH"]
    assert {place_of(lv) for lv in north.location_levels} == {"NORTH/DEFAULT", "NORTH/FRIDGE-1"}
    error = expect_error(grpc.StatusCode.NOT_FOUND, in_site, api, product.id, "NOWHERE")
    assert error_info(error).reason == "SITE_NOT_FOUND"


def test_lot_stock_sums_per_batch_over_its_locations(api: Clients) -> None:
    create_location(api, "MAIN", "SHELF-2")
    product = create_product(api, "LOT-PLACE", tracking=LOT)
    batch = create_batch(api, product.id, "L1", opening=6)
    receive(api, product.id, 9, at(code="SHELF-2"), batch_id=batch.id)
    seen = get_product(api, product.id)
    assert [(lv.lot_number, lv.quantity) for lv in seen.stock_levels] == [("L1", 15)]
    assert {place_of(lv): lv.quantity for lv in seen.location_levels} == {
        "MAIN/DEFAULT": 6,
        "MAIN/SHELF-2": 9,
    }
    [listed] = all_pages(
        api.catalog.ListBatches,
        catalog_pb2.ListBatchesRequest(product_id=product.id),
        "batches",
    )
    assert listed.quantity == 15


def test_list_products_sums_per_batch_and_filters_by_site(api: Clients) -> None:
    create_site(api, "NORTH")
    product_at(api, "P-1", 3, at("NORTH"))
    create_product(api, "P-2", opening=5)
    request = catalog_pb2.ListProductsRequest()
    listed = all_pages(api.catalog.ListProducts, request, "products")
    assert [(p.sku, p.stock_quantity, len(p.location_levels)) for p in listed] == [
        ("P-1", 3, 0),
        ("P-2", 5, 0),
    ]
    north = catalog_pb2.ListProductsRequest(site=site_pb2.SiteSelector(code="NORTH"))
    listed = all_pages(api.catalog.ListProducts, north, "products")
    assert [(p.sku, p.stock_quantity, [s.site_code for s in p.site_stocks]) for p in listed] == [
        ("P-1", 3, ["NORTH"]),
        ("P-2", 0, []),
    ]


def test_selectors_that_name_nothing_or_too_much(api: Clients) -> None:
    product = create_product(api, "SEL-1", opening=5)
    error = expect_error(grpc.StatusCode.NOT_FOUND, receive, api, product.id, 1, at("MAIN", "NOPE"))
    assert error_info(error).reason == "LOCATION_NOT_FOUND"
    error = expect_error(grpc.StatusCode.NOT_FOUND, receive, api, product.id, 1, at("NOPE"))
    assert error_info(error).reason == "SITE_NOT_FOUND"
    error = expect_error(grpc.StatusCode.NOT_FOUND, receive, api, product.id, 1, at(id="nope"))
    assert error_info(error).reason == "LOCATION_NOT_FOUND"
    [default] = get_product(api, product.id).location_levels
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        receive,
        api,
        product.id,
        1,
        site_pb2.LocationSelector(id=default.location_id, code="DEFAULT"),
    )
    assert "movements[0].location" in field_violations(error)
    assert get_product(api, product.id).stock_quantity == 5


def test_inactive_places_take_no_stock_changes(api: Clients) -> None:
    site = create_site(api, "POPUP")
    shelf = create_location(api, "MAIN", "OLD-SHELF")
    product = create_product(api, "INACT-1", opening=5)
    update_location(api, shelf.id, ["active"], active=False)
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION, receive, api, product.id, 1, at(code="OLD-SHELF")
    )
    assert error_info(error).reason == "LOCATION_INACTIVE"
    update_site(api, site.id, ["active"], active=False)
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION, receive, api, product.id, 1, at("POPUP")
    )
    assert error_info(error).reason == "SITE_INACTIVE"
    assert get_product(api, product.id).stock_quantity == 5


def test_a_place_holding_stock_stays_active(api: Clients) -> None:
    site = create_site(api, "NORTH")
    shelf = create_location(api, "NORTH", "A-1")
    product = create_product(api, "HOLD-1")
    receive(api, product.id, 2, at("NORTH", "A-1"))
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        update_location,
        api,
        shelf.id,
        ["active"],
        active=False,
    )
    assert error_info(error).reason == "LOCATION_HOLDS_STOCK"
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION, update_site, api, site.id, ["active"], active=False
    )
    assert error_info(error).reason == "SITE_HOLDS_STOCK"
    receive(api, product.id, -2, at("NORTH", "A-1"))  # sold out: an empty level is no stock
    assert not update_location(api, shelf.id, ["active"], active=False).active
    assert not update_site(api, site.id, ["active"], active=False).active


def test_stock_levels_list_by_place_with_filters_and_pages(api: Clients) -> None:
    create_site(api, "NORTH")
    create_location(api, "NORTH", "F-1", zone="Cold chain")
    create_location(api, "MAIN", "F-2", zone="Cold chain")
    cold = product_at(api, "COLD-1", 7, at("NORTH", "F-1"))
    receive(api, cold.id, 3, at(code="F-2"))
    create_product(api, "DRY-1", opening=4)
    lots = create_product(api, "LOT-1", tracking=LOT)
    create_batch(api, lots.id, "B", opening=2)
    create_batch(api, lots.id, "A", opening=1)
    create_product(api, "EMPTY-1")

    def listed(**filters: object) -> list[tuple[str, str, str, int]]:
        request = catalog_pb2.ListStockLevelsRequest(**filters)  # type: ignore[arg-type]
        found = all_pages(api.catalog.ListStockLevels, request, "stock_levels")
        return [(place_of(lv), lv.sku, lv.lot_number, lv.quantity) for lv in found]

    assert listed() == [
        ("MAIN/DEFAULT", "DRY-1", "", 4),
        ("MAIN/DEFAULT", "LOT-1", "A", 1),
        ("MAIN/DEFAULT", "LOT-1", "B", 2),
        ("MAIN/F-2", "COLD-1", "", 3),
        ("NORTH/F-1", "COLD-1", "", 7),
    ]
    assert ("MAIN/DEFAULT", "EMPTY-1", "", 0) in listed(include_empty=True)
    assert listed(zone="Cold chain") == [
        ("MAIN/F-2", "COLD-1", "", 3),
        ("NORTH/F-1", "COLD-1", "", 7),
    ]
    assert listed(site=site_pb2.SiteSelector(code="NORTH")) == [("NORTH/F-1", "COLD-1", "", 7)]
    assert listed(location=at("MAIN", "F-2")) == [("MAIN/F-2", "COLD-1", "", 3)]
    assert listed(product=catalog_pb2.ProductSelector(sku="LOT-1")) == [
        ("MAIN/DEFAULT", "LOT-1", "A", 1),
        ("MAIN/DEFAULT", "LOT-1", "B", 2),
    ]
    paged = pages(
        api.catalog.ListStockLevels, catalog_pb2.ListStockLevelsRequest(page_size=2), "stock_levels"
    )
    assert [len(page) for page in paged] == [2, 2, 1]
    [level] = [lv for lv in paged[2]]
    assert (level.product_id, level.site_id != "", level.location_id != "") == (cold.id, True, True)
    error = expect_error(
        grpc.StatusCode.NOT_FOUND,
        api.catalog.ListStockLevels,
        catalog_pb2.ListStockLevelsRequest(product=catalog_pb2.ProductSelector(sku="NOPE")),
        metadata=STAFF,
    )
    assert error_info(error).reason == "PRODUCT_NOT_FOUND"


def test_the_ledger_lists_by_location_and_site(api: Clients) -> None:
    create_site(api, "NORTH")
    product = create_product(api, "LEDGER-1", opening=5)
    receive(api, product.id, 3, at("NORTH"))
    receive(api, product.id, -1, at("MAIN"))

    def ledger(**filters: object) -> list[tuple[str, int]]:
        request = catalog_pb2.ListStockMovementsRequest(product_id=product.id, **filters)  # type: ignore[arg-type]
        found = all_pages(api.catalog.ListStockMovements, request, "entries")
        return [(place_of(e), e.quantity_delta) for e in found]

    assert ledger() == [("MAIN/DEFAULT", 5), ("NORTH/DEFAULT", 3), ("MAIN/DEFAULT", -1)]
    assert ledger(site=site_pb2.SiteSelector(code="NORTH")) == [("NORTH/DEFAULT", 3)]
    assert ledger(location=at("MAIN")) == [("MAIN/DEFAULT", 5), ("MAIN/DEFAULT", -1)]
    assert levels_by_place(api, product.id) == {"MAIN/DEFAULT": 4, "NORTH/DEFAULT": 3}
