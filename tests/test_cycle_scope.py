"""Scoped counts through a real channel, on SQLite and PostgreSQL: starting by product ids or by
the products due, OUT_OF_SCOPE entries through AddCountItem and the scanner stream, and the
scoped levels never counted at completion."""

from __future__ import annotations

import grpc

from inventory.v1 import inventory_count_pb2 as pb
from tests.cycle_plan_support import A, abc_catalog, due_list, start_scoped
from tests.helpers import (
    FULL,
    MANAGER,
    STAFF,
    Clients,
    add_item,
    complete,
    error_info,
    error_of,
    expect_error,
    field_violations,
    get_count,
    lines,
    precondition_violations,
    roundtrip,
    scan,
    start_count,
)


def _start_error(api: Clients, code: grpc.StatusCode, **fields: object) -> grpc.RpcError:
    request = pb.StartInventoryCountRequest(name="Cycle count", **fields)  # type: ignore[arg-type]
    return expect_error(code, api.counts.StartInventoryCount, request, metadata=MANAGER)


def test_a_count_scoped_by_ids_counts_each_product_once(api: Clients) -> None:
    ids = abc_catalog(api)
    count = start_scoped(api, scope_product_ids=[ids["ABC-1"], ids["ABC-3"], ids["ABC-1"]])
    assert (count.scoped, count.scope_product_count) == (True, 2)
    again = get_count(api, count.id)
    assert (again.scoped, again.scope_product_count) == (True, 2)


def test_entries_outside_the_scope_are_refused_by_add_count_item(api: Clients) -> None:
    ids = abc_catalog(api)
    count = start_scoped(api, scope_product_ids=[ids["ABC-1"]])
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        api.counts.AddCountItem,
        pb.AddCountItemRequest(
            inventory_count_id=count.id,
            product={"sku": "ABC-2"},
            counted_quantity=3,
        ),
        metadata=STAFF,
    )
    assert error_info(error).reason == "OUT_OF_SCOPE"
    assert [v.subject for v in precondition_violations(error)] == [f"products/{ids['ABC-2']}"]
    add_item(api, count.id, 750, sku="ABC-1")
    assert lines(api, count.id) == {(ids["ABC-1"], ""): 750}


def test_entries_outside_the_scope_get_an_error_ack_and_the_rest_are_stored(
    api: Clients,
) -> None:
    ids = abc_catalog(api)
    count = start_scoped(api, scope_product_ids=[ids["ABC-1"], ids["ABC-2"]])
    acks = roundtrip(
        api,
        STAFF,
        scan(count.id, sku="ABC-1", quantity=5),
        scan(count.id, sku="ABC-4", quantity=5),
        scan(count.id, sku="ABC-2", quantity=7),
    )
    assert [a.WhichOneof("result") for a in acks] == ["item", "error", "item"]
    assert error_of(acks[1]) == (grpc.StatusCode.FAILED_PRECONDITION, "OUT_OF_SCOPE")
    assert lines(api, count.id) == {(ids["ABC-1"], ""): 5, (ids["ABC-2"], ""): 7}


def test_completion_lists_the_scoped_levels_never_counted(api: Clients) -> None:
    ids = abc_catalog(api)
    count = start_scoped(api, scope_product_ids=[ids["ABC-1"], ids["ABC-2"], ids["ABC-3"]])
    add_item(api, count.id, 750, product_id=ids["ABC-1"])
    done = complete(api, count.id)
    uncounted = {(u.product_id, u.quantity) for u in done.uncounted_levels}
    # Only the scope's levels: ABC-4..6 were never in it.
    assert uncounted == {(ids["ABC-2"], 950), (ids["ABC-3"], 1150)}


def test_a_count_scoped_to_the_due_products_of_a_class(api: Clients) -> None:
    ids = abc_catalog(api)
    first = start_count(api)
    add_item(api, first.id, 750, product_id=ids["ABC-1"])  # A, counted: due in 30 days
    complete(api, first.id)
    count = start_scoped(api, scope_due_products=True, scope_abc_class=A)
    assert (count.scoped, count.scope_product_count) == (True, 1)  # ABC-2, the A still due
    refused = roundtrip(api, STAFF, scan(count.id, product_id=ids["ABC-1"]))
    assert error_of(refused[0]) == (grpc.StatusCode.FAILED_PRECONDITION, "OUT_OF_SCOPE")
    done = complete(api, count.id)
    assert [u.product_id for u in done.uncounted_levels] == [ids["ABC-2"]]


def test_a_count_scoped_to_every_due_product(api: Clients) -> None:
    abc_catalog(api)
    count = start_scoped(api, scope_due_products=True)
    assert count.scope_product_count == len(due_list(api)) == 6


def test_nothing_due_refuses_the_start_and_starts_nothing(api: Clients) -> None:
    ids = abc_catalog(api)
    first = start_count(api)
    for sku in ("ABC-1", "ABC-2"):
        add_item(api, first.id, 1, product_id=ids[sku])
    complete(api, first.id, apply=False)
    error = _start_error(
        api,
        grpc.StatusCode.FAILED_PRECONDITION,
        type=pb.INVENTORY_COUNT_TYPE_CYCLE,
        scope_due_products=True,
        scope_abc_class=A,
    )
    assert error_info(error).reason == "NOTHING_DUE"
    assert "no class A products are due" in error.details()
    listed = api.counts.ListInventoryCounts(pb.ListInventoryCountsRequest(), metadata=MANAGER)
    assert [c.id for c in listed.inventory_counts] == [first.id]


def test_unknown_scope_ids_are_named(api: Clients) -> None:
    ids = abc_catalog(api)
    error = _start_error(
        api,
        grpc.StatusCode.INVALID_ARGUMENT,
        type=pb.INVENTORY_COUNT_TYPE_CYCLE,
        scope_product_ids=[ids["ABC-1"], ids["ABC-1"], "no-such-product", "no-such-product"],
    )
    assert error_info(error).reason == "PRODUCT_NOT_FOUND"
    assert field_violations(error) == {
        "scope_product_ids[2]": "no product with id 'no-such-product'"
    }
    assert (
        api.counts.ListInventoryCounts(
            pb.ListInventoryCountsRequest(), metadata=MANAGER
        ).inventory_counts
        == []
    )


def test_scope_fields_that_do_not_fit_are_invalid(api: Clients) -> None:
    ids = abc_catalog(api)
    cycle = pb.INVENTORY_COUNT_TYPE_CYCLE
    error = _start_error(api, grpc.StatusCode.INVALID_ARGUMENT, type=cycle, scope_abc_class=A)
    assert field_violations(error) == {"scope_abc_class": "only with scope_due_products"}
    error = _start_error(
        api,
        grpc.StatusCode.INVALID_ARGUMENT,
        type=cycle,
        scope_product_ids=[ids["ABC-1"]],
        scope_due_products=True,
    )
    assert set(field_violations(error)) == {"scope_product_ids"}
    error = _start_error(
        api, grpc.StatusCode.INVALID_ARGUMENT, type=FULL, scope_product_ids=[ids["ABC-1"]]
    )
    assert set(field_violations(error)) == {"type"}
    too_many = [ids["ABC-1"]] * 2 + [f"id-{i}" for i in range(50_001)]
    error = _start_error(
        api, grpc.StatusCode.INVALID_ARGUMENT, type=cycle, scope_product_ids=too_many
    )
    assert field_violations(error) == {"scope_product_ids": "at most 50000 products"}


def test_an_unscoped_count_takes_every_product(api: Clients) -> None:
    ids = abc_catalog(api)
    count = start_count(api)
    assert (count.scoped, count.scope_product_count) == (False, 0)
    add_item(api, count.id, 1, product_id=ids["ABC-6"])
    assert lines(api, count.id) == {(ids["ABC-6"], ""): 1}
