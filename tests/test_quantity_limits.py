"""Quantities are bounded (10^12 units) everywhere, so no input overflows a column."""

from __future__ import annotations

import grpc
import pytest

from inventory.v1 import stock_adjustment_pb2 as adj
from tests.helpers import (
    ADD,
    STAFF,
    Clients,
    add_item,
    adjust,
    create_product,
    expect_error,
    field_violations,
    list_items,
    make_product,
    roundtrip,
    scan,
    start_count,
)

LIMIT = 10**12


def test_adjustment_changes_are_bounded(api: Clients) -> None:
    product_id = make_product(api)
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        adjust,
        api,
        product_id,
        adj.STOCK_ADJUSTMENT_TYPE_FOUND,
        2**62,
    )
    assert "quantity_change" in field_violations(error)


def test_counted_quantities_are_bounded_even_when_added_up(api: Clients) -> None:
    create_product(api, "LIM-1")
    count = start_count(api)
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT, add_item, api, count.id, LIMIT + 1, sku="LIM-1"
    )
    assert "counted_quantity" in field_violations(error)
    add_item(api, count.id, LIMIT, sku="LIM-1")
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT, add_item, api, count.id, 1, sku="LIM-1", mode=ADD
    )
    assert "counted_quantity" in field_violations(error)
    [line] = list_items(api, count.id)
    assert line.counted_quantity == LIMIT


@pytest.mark.parametrize("request_id", ["", "retry-7"], ids=["plain", "with-request-id"])
def test_an_entry_names_the_fields_of_the_message_it_came_in(api: Clients, request_id: str) -> None:
    """AddCountItem calls its quantity counted_quantity, a stream's CountEntry quantity; the
    errors say so whichever way the entry arrives (one recorder behind both)."""
    create_product(api, "LIM-2")
    count = start_count(api)
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        add_item,
        api,
        count.id,
        -1,
        sku="LIM-2",
        location="x" * 201,
        request_id=request_id,
    )
    assert set(field_violations(error)) == {"counted_quantity", "location"}
    add_item(api, count.id, LIMIT, sku="LIM-2")
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        add_item,
        api,
        count.id,
        1,
        sku="LIM-2",
        mode=ADD,
        request_id=request_id,
    )
    assert set(field_violations(error)) == {"counted_quantity"}

    negative = scan(count.id, sku="LIM-2", quantity=-1, location="x" * 201)
    too_many = scan(count.id, sku="LIM-2", quantity=1, mode=ADD)
    acks = roundtrip(api, STAFF, negative, too_many)
    assert set(field_violations(acks[0].error)) == {"quantity", "location"}
    assert set(field_violations(acks[1].error)) == {"quantity"}
    assert [line.counted_quantity for line in list_items(api, count.id)] == [LIMIT]
