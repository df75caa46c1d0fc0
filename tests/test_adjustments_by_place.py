"""Adjustments by place: an adjustment changes the stock of one location (the default place
when it names none), says which, is applied there on approval (if the place still takes stock),
and the lists filter by site."""

from __future__ import annotations

import grpc

from inventory.v1 import site_pb2, stock_adjustment_pb2
from tests.helpers import (
    APPLIED,
    DAMAGE,
    FOUND,
    PENDING,
    STAFF,
    THEFT,
    Clients,
    adjust,
    all_adjustments,
    all_pages,
    approve,
    create_product,
    error_info,
    expect_error,
)
from tests.place_helpers import (
    at,
    create_location,
    create_site,
    levels_by_place,
    receive,
    update_location,
)


def test_an_adjustment_changes_the_stock_of_its_location(api: Clients) -> None:
    create_site(api, "NORTH")
    create_location(api, "NORTH", "FRIDGE-1")
    product = create_product(api, "ADJ-P-1", opening=10)
    receive(api, product.id, 6, at("NORTH", "FRIDGE-1"))
    made = adjust(api, product.id, DAMAGE, -2, location=at("north", "fridge-1"))
    assert made.status == APPLIED
    assert (made.quantity_before, made.quantity_after) == (6, 4)
    assert (made.site_code, made.location_code) == ("NORTH", "FRIDGE-1")
    assert made.location_id
    assert made.site_id
    assert levels_by_place(api, product.id) == {"MAIN/DEFAULT": 10, "NORTH/FRIDGE-1": 4}
    unnamed = adjust(api, product.id, DAMAGE, -1)
    assert (unnamed.site_code, unnamed.location_code) == ("MAIN", "DEFAULT")
    # Below zero is per location: 4 in the fridge, whatever the product holds elsewhere.
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        adjust,
        api,
        product.id,
        DAMAGE,
        -5,
        location=at("NORTH", "FRIDGE-1"),
    )
    assert error_info(error).reason == "INSUFFICIENT_STOCK"


def test_an_approved_adjustment_applies_at_its_location_if_it_still_takes_stock(
    api: Clients,
) -> None:
    shelf = create_location(api, "MAIN", "SHELF-1")
    product = create_product(api, "ADJ-P-2")
    found = adjust(api, product.id, FOUND, 60, location=at(id=shelf.id))  # over 50: approval
    assert found.status == PENDING
    approved = approve(api, found.id)
    assert (approved.location_code, approved.quantity_after) == ("SHELF-1", 60)
    assert levels_by_place(api, product.id)["MAIN/SHELF-1"] == 60

    back = create_location(api, "MAIN", "BACK-1")
    pending = adjust(api, product.id, FOUND, 70, location=at(code="BACK-1"))
    update_location(api, back.id, ["active"], active=False)  # it holds nothing yet
    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, approve, api, pending.id)
    assert error_info(error).reason == "LOCATION_INACTIVE"
    assert all_adjustments(api, status=PENDING)[0].id == pending.id


def test_adjustment_lists_filter_by_site(api: Clients) -> None:
    create_site(api, "NORTH")
    product = create_product(api, "ADJ-P-3", opening=10)
    receive(api, product.id, 10, at("NORTH"))
    adjust(api, product.id, THEFT, -1)  # pending, at MAIN
    north_theft = adjust(api, product.id, THEFT, -2, location=at("NORTH"))
    north_damage = adjust(api, product.id, DAMAGE, -3, location=at("NORTH"))
    north = site_pb2.SiteSelector(code="NORTH")
    assert [a.id for a in all_adjustments(api, site=north)] == [north_damage.id, north_theft.id]
    pending = all_pages(
        api.adjustments.ListPendingApprovals,
        stock_adjustment_pb2.ListPendingApprovalsRequest(site=north),
        "stock_adjustments",
        metadata=STAFF,
    )
    assert [a.id for a in pending] == [north_theft.id]
    assert len(all_adjustments(api)) == 3
