"""Count tasks through a real channel, on SQLite and PostgreSQL: a manager assigns locations and
zones of a count to counters; a counter lists their tasks and the levels left to count in them
(no quantities for staff on blind counts); managers read the progress per location."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2

from inventory.v1 import catalog_pb2, site_pb2
from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.domain.identity import Role
from tests.helpers import (
    LOT,
    MANAGER,
    OTHER_STAFF,
    STAFF,
    Clients,
    add_item,
    all_pages,
    auth,
    complete,
    create_batch,
    create_product,
    error_info,
    expect_error,
    pages,
)
from tests.place_support import Places, places
from tests.test_counts_by_place import Warehouse, at, start_at

__all__ = ["places"]  # the fixture, used by name

SAM, SUE = "sam-staff", "sue-staff"  # the subjects of STAFF and OTHER_STAFF


@pytest.fixture
def warehouse(places: Places) -> Warehouse:
    return Warehouse(places)


@pytest.fixture
def stocked(api: Clients, places: Places, warehouse: Warehouse) -> dict[str, str]:
    """SKU -> product id: SOAP in A-01 (10) and A-02 (5), GEL in A-01 (3), MILK in the fridge (6),
    PILLS lot L-1 in B-01 (2), and an inactive product's level in A-01 (never expected)."""
    ids = {}
    for sku in ("SOAP", "GEL", "MILK"):
        ids[sku] = create_product(api, sku, cost="1.00").id
    places.stock(ids["SOAP"], warehouse.a1, 10)
    places.stock(ids["SOAP"], warehouse.a2, 5)
    places.stock(ids["GEL"], warehouse.a1, 3)
    places.stock(ids["MILK"], warehouse.fridge, 6)
    ids["PILLS"] = create_product(api, "PILLS", cost="1.00", tracking=LOT).id
    lot = create_batch(api, ids["PILLS"], "L-1")
    places.stock(ids["PILLS"], warehouse.b1, 2, batch_id=lot.id)
    ids["OLD"] = create_product(api, "OLD", cost="1.00").id
    places.stock(ids["OLD"], warehouse.a1, 1)
    api.catalog.UpdateProduct(
        _deactivate(ids["OLD"]),
        metadata=auth(Role.ADMIN),
    )
    return ids


def _deactivate(product_id: str) -> catalog_pb2.UpdateProductRequest:
    return catalog_pb2.UpdateProductRequest(
        product=catalog_pb2.Product(id=product_id, active=False),
        update_mask=field_mask_pb2.FieldMask(paths=["active"]),
    )


def assign(
    api: Clients,
    count_id: str,
    assignees: list[str],
    *,
    locations: list[site_pb2.LocationSelector] | None = None,
    zones: list[str] | None = None,
    metadata: Any = MANAGER,
) -> list[pb.CountTask]:
    request = pb.AssignCountTasksRequest(
        inventory_count_id=count_id,
        assignees=assignees,
        locations=locations or [],
        zones=zones or [],
    )
    return list(api.counts.AssignCountTasks(request, metadata=metadata).tasks)


def tasks_of(api: Clients, metadata: Any = STAFF, **filters: Any) -> list[pb.CountTask]:
    request = pb.ListCountTasksRequest(**filters)
    return all_pages(api.counts.ListCountTasks, request, "tasks", metadata=metadata)


def levels_left(api: Clients, count_id: str, metadata: Any = STAFF, **fields: Any) -> list[Any]:
    request = pb.ListLevelsToCountRequest(inventory_count_id=count_id, **fields)
    return all_pages(api.counts.ListLevelsToCount, request, "levels", metadata=metadata)


def progress(api: Clients, count_id: str, **fields: Any) -> pb.GetCountProgressResponse:
    return api.counts.GetCountProgress(
        pb.GetCountProgressRequest(inventory_count_id=count_id, **fields), metadata=MANAGER
    )


def test_a_manager_assigns_locations_and_zones_to_counters(
    api: Clients, warehouse: Warehouse, stocked: dict[str, str]
) -> None:
    count = start_at(api, "Main stock-take", pb.INVENTORY_COUNT_TYPE_FULL)
    tasks = assign(api, count.id, [SAM, SUE], locations=[at("A-01")], zones=["Cold chain"])
    assert [(t.assignee, t.location_code, t.zone) for t in tasks] == [
        (SAM, "A-01", "Aisle A"),
        (SUE, "A-01", "Aisle A"),
        (SAM, "FRIDGE-1", "Cold chain"),
        (SUE, "FRIDGE-1", "Cold chain"),
    ]
    first = tasks[0]
    assert (first.inventory_count_id, first.inventory_count_name) == (count.id, count.name)
    assert first.assigned_by == "mia-manager"
    assert (first.levels_expected, first.levels_counted) == (2, 0)  # SOAP, GEL; OLD is inactive
    # Assigning again changes nothing and answers the same tasks.
    again = assign(api, count.id, [SAM], locations=[at(warehouse.a1)])
    assert [(t.assignee, t.location_id, t.assign_time) for t in again] == [
        (SAM, warehouse.a1.id, first.assign_time)
    ]


def test_what_cannot_be_assigned(api: Clients, warehouse: Warehouse) -> None:
    count = start_at(api, "Aisle A", zones=["Aisle A"])

    def refused(code: grpc.StatusCode, reason: str, **kwargs: Any) -> None:
        error = expect_error(code, assign, api, count.id, [SAM], **kwargs)
        assert error_info(error).reason == reason

    refused(grpc.StatusCode.FAILED_PRECONDITION, "OUT_OF_SCOPE", locations=[at("B-01")])
    refused(grpc.StatusCode.FAILED_PRECONDITION, "OUT_OF_SCOPE", zones=["Cold chain"])
    refused(grpc.StatusCode.NOT_FOUND, "LOCATION_NOT_FOUND", locations=[at("NOPE")])
    refused(
        grpc.StatusCode.INVALID_ARGUMENT,
        "LOCATION_NOT_IN_SITE",
        locations=[at("SHELF-1", site="STORE-12")],
    )
    refused(
        grpc.StatusCode.PERMISSION_DENIED,
        "ROLE_TOO_LOW",
        locations=[at("A-01")],
        metadata=STAFF,
    )
    unknown = expect_error(
        grpc.StatusCode.NOT_FOUND, assign, api, "no-such-count", [SAM], zones=["Aisle A"]
    )
    assert error_info(unknown).reason == "INVENTORY_COUNT_NOT_FOUND"
    complete(api, count.id, apply=False)
    refused(grpc.StatusCode.FAILED_PRECONDITION, "COUNT_NOT_IN_PROGRESS", zones=["Aisle A"])


def test_a_counter_lists_their_tasks_with_what_is_left(
    api: Clients, warehouse: Warehouse, stocked: dict[str, str]
) -> None:
    store = start_at(api, "Store", site="STORE-12")
    main = start_at(api, "Aisle A", zones=["Aisle A"])
    assign(api, main.id, [SAM], zones=["Aisle A"])
    assign(api, store.id, [SAM], locations=[at("SHELF-1")])
    assign(api, main.id, [SUE], locations=[at("A-02")])

    mine = tasks_of(api)  # the caller's, of every count in progress, oldest count first
    assert [(t.inventory_count_name, t.location_code) for t in mine] == [
        ("Store", "SHELF-1"),
        ("Aisle A", "A-01"),
        ("Aisle A", "A-02"),
    ]
    assert [(t.levels_expected, t.levels_counted) for t in mine] == [(0, 0), (2, 0), (1, 0)]
    add_item(api, main.id, 9, sku="SOAP", stock_location=at("A-01"))
    assert [(t.levels_expected, t.levels_counted) for t in tasks_of(api)][1] == (2, 1)

    assert [t.location_code for t in tasks_of(api, inventory_count_id=main.id)] == ["A-01", "A-02"]
    assert [t.location_code for t in tasks_of(api, assignee=SUE)] == ["A-02"]
    assert [t.location_code for t in tasks_of(api, metadata=OTHER_STAFF)] == ["A-02"]
    paged = pages(api.counts.ListCountTasks, pb.ListCountTasksRequest(page_size=1), "tasks")
    assert [[t.location_code for t in page] for page in paged] == [["SHELF-1"], ["A-01"], ["A-02"]]
    # A completed count's tasks leave the default list; asked for by count, they are still there.
    complete(api, store.id, apply=False)
    assert [t.location_code for t in tasks_of(api)] == ["A-01", "A-02"]
    assert [t.location_code for t in tasks_of(api, inventory_count_id=store.id)] == ["SHELF-1"]


def test_a_counter_lists_the_levels_left_in_their_locations(
    api: Clients, warehouse: Warehouse, stocked: dict[str, str]
) -> None:
    count = start_at(api, "Main stock-take", pb.INVENTORY_COUNT_TYPE_FULL)
    # No tasks: every location of the count.
    everything = levels_left(api, count.id)
    assert [(lv.location_code, lv.sku, lv.lot_number) for lv in everything] == [
        ("A-01", "GEL", ""),
        ("A-01", "SOAP", ""),
        ("A-02", "SOAP", ""),
        ("B-01", "PILLS", "L-1"),
        ("DEFAULT", "GEL", ""),  # the opening levels CreateProduct and CreateBatch made, at zero
        ("DEFAULT", "MILK", ""),
        ("DEFAULT", "PILLS", "L-1"),
        ("DEFAULT", "SOAP", ""),
        ("FRIDGE-1", "MILK", ""),
    ]
    soap = everything[1]
    assert (soap.product_id, soap.name, soap.location_id, soap.zone) == (
        stocked["SOAP"],
        "Product SOAP",
        warehouse.a1.id,
        "Aisle A",
    )
    assert soap.HasField("system_quantity")
    assert soap.system_quantity == 10

    assign(api, count.id, [SAM], zones=["Aisle A", "Aisle B"])
    add_item(api, count.id, 9, sku="SOAP", stock_location=at("A-01"))
    assert [(lv.location_code, lv.sku) for lv in levels_left(api, count.id)] == [
        ("A-01", "GEL"),
        ("A-02", "SOAP"),
        ("B-01", "PILLS"),
    ]
    fridge = levels_left(api, count.id, location=at("FRIDGE-1"))
    assert [(lv.sku, lv.system_quantity) for lv in fridge] == [("MILK", 6)]
    request = pb.ListLevelsToCountRequest(inventory_count_id=count.id, page_size=2)
    paged = pages(api.counts.ListLevelsToCount, request, "levels")
    assert [len(page) for page in paged] == [2, 1]


def test_levels_left_of_another_place_or_a_closed_count(api: Clients, warehouse: Warehouse) -> None:
    count = start_at(api, "Aisle A", zones=["Aisle A"])
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        levels_left,
        api,
        count.id,
        location=at("FRIDGE-1"),
    )
    assert error_info(error).reason == "OUT_OF_SCOPE"
    complete(api, count.id, apply=False)
    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, levels_left, api, count.id)
    assert error_info(error).reason == "COUNT_NOT_IN_PROGRESS"


def test_staff_see_no_quantities_of_a_blind_count(
    api: Clients, warehouse: Warehouse, stocked: dict[str, str]
) -> None:
    count = start_at(api, "Blind aisle", zones=["Aisle A"], blind=True)
    staff_sees = levels_left(api, count.id)
    assert len(staff_sees) == 3
    assert not any(lv.HasField("system_quantity") for lv in staff_sees)
    manager_sees = levels_left(api, count.id, metadata=MANAGER)
    assert [lv.system_quantity for lv in manager_sees] == [3, 10, 5]


def test_a_scoped_count_expects_only_its_products(
    api: Clients, warehouse: Warehouse, stocked: dict[str, str]
) -> None:
    count = start_at(api, "Soap only", zones=["Aisle A"], scope_product_ids=[stocked["SOAP"]])
    assert [(lv.location_code, lv.sku) for lv in levels_left(api, count.id)] == [
        ("A-01", "SOAP"),
        ("A-02", "SOAP"),
    ]
    assert progress(api, count.id).levels_expected == 2


def test_progress_per_location(api: Clients, warehouse: Warehouse, stocked: dict[str, str]) -> None:
    count = start_at(api, "Main stock-take", pb.INVENTORY_COUNT_TYPE_FULL)
    assign(api, count.id, [SAM, SUE], zones=["Aisle A"])
    add_item(api, count.id, 9, sku="SOAP", stock_location=at("A-01"))
    add_item(api, count.id, 3, sku="GEL", stock_location=at("A-01"), metadata=OTHER_STAFF)
    add_item(api, count.id, 5, sku="SOAP", stock_location=at("A-02"))
    add_item(api, count.id, 2, sku="MILK", stock_location=at("B-01"))  # found: no level there

    result = progress(api, count.id)
    by_code = {p.location_code: p for p in result.locations}
    assert list(by_code) == ["A-01", "A-02", "B-01", "DEFAULT", "FRIDGE-1"]
    a1 = by_code["A-01"]
    assert (a1.location_id, a1.zone, a1.levels_expected, a1.levels_counted, a1.lines) == (
        warehouse.a1.id,
        "Aisle A",
        2,
        2,
        2,
    )
    assert list(a1.counted_by) == [SAM, SUE]
    assert list(a1.assignees) == [SAM, SUE]
    assert a1.HasField("last_count_time")
    b1 = by_code["B-01"]
    assert (b1.levels_expected, b1.levels_counted, b1.lines) == (1, 0, 1)
    fridge = by_code["FRIDGE-1"]
    assert (fridge.lines, list(fridge.counted_by), fridge.HasField("last_count_time")) == (
        0,
        [],
        False,
    )
    # Totals over every location: 9 levels (4 of them at DEFAULT, at zero), 3 counted; A-01
    # and A-02 are done.
    assert (
        result.levels_expected,
        result.levels_counted,
        result.location_count,
        result.locations_done,
    ) == (9, 3, 5, 2)

    aisle = progress(api, count.id, zone="Aisle A")
    assert [p.location_code for p in aisle.locations] == ["A-01", "A-02"]
    assert (aisle.levels_expected, aisle.levels_counted, aisle.location_count) == (3, 3, 2)
    assert aisle.locations_done == 2

    first = progress(api, count.id, page_size=2)
    assert [p.location_code for p in first.locations] == ["A-01", "A-02"]
    assert first.levels_expected == 9  # totals are over the whole count, whatever the page
    second = progress(api, count.id, page_size=2, page_token=first.next_page_token)
    assert [p.location_code for p in second.locations] == ["B-01", "DEFAULT"]
    error = expect_error(
        grpc.StatusCode.PERMISSION_DENIED,
        api.counts.GetCountProgress,
        pb.GetCountProgressRequest(inventory_count_id=count.id),
        metadata=STAFF,
    )
    assert error_info(error).reason == "ROLE_TOO_LOW"


def test_a_manager_takes_tasks_back(api: Clients, warehouse: Warehouse) -> None:
    count = start_at(api, "Main stock-take", pb.INVENTORY_COUNT_TYPE_FULL)
    assign(api, count.id, [SAM, SUE], zones=["Aisle A", "Cold chain"])
    removed = api.counts.UnassignCountTasks(
        pb.UnassignCountTasksRequest(
            inventory_count_id=count.id, assignees=[SAM], locations=[at("A-02")]
        ),
        metadata=MANAGER,
    ).tasks
    assert [(t.assignee, t.location_code) for t in removed] == [(SAM, "A-02")]
    assert [t.location_code for t in tasks_of(api)] == ["A-01", "FRIDGE-1"]
    removed = api.counts.UnassignCountTasks(
        pb.UnassignCountTasksRequest(inventory_count_id=count.id, assignees=[SAM]),
        metadata=MANAGER,
    ).tasks
    assert [t.location_code for t in removed] == ["A-01", "FRIDGE-1"]
    assert tasks_of(api) == []
    assert len(tasks_of(api, metadata=OTHER_STAFF)) == 3
