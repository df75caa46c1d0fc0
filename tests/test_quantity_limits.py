"""Quantities are bounded (10^12 units) everywhere, so no input overflows a column."""

from __future__ import annotations

import grpc

from inventory.v1 import stock_adjustment_pb2 as adj
from tests.helpers import (
    ADD,
    Clients,
    add_item,
    adjust,
    create_product,
    expect_error,
    field_violations,
    list_items,
    make_product,
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
