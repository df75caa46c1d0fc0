"""Completing and cancelling counts: apply modes, uncounted levels, all or nothing."""

from __future__ import annotations

from decimal import Decimal

import grpc
from google.protobuf import field_mask_pb2

from inventory.v1 import catalog_pb2
from inventory.v1 import inventory_count_pb2 as pb
from tests.helpers import (
    ADMIN,
    ANNUAL,
    FULL,
    LOT,
    MANAGER,
    OTHER_MANAGER,
    SPOT,
    Clients,
    add_item,
    as_decimal,
    complete,
    create_batch,
    create_product,
    error_info,
    expect_error,
    field_violations,
    get_count,
    ledger_of,
    level_of,
    move,
    precondition_violations,
    start_count,
)


def count_entries(api: Clients, product_id: str, batch_id: str = "") -> list[int]:
    return [
        e.quantity_delta
        for e in ledger_of(api, product_id, batch_id)
        if e.source == catalog_pb2.LEDGER_SOURCE_COUNT
    ]


def deactivate(api: Clients, product_id: str) -> None:
    api.catalog.UpdateProduct(
        catalog_pb2.UpdateProductRequest(
            product=catalog_pb2.Product(id=product_id, active=False),
            update_mask=field_mask_pb2.FieldMask(paths=["active"]),
        ),
        metadata=ADMIN,
    )


def test_full_count_lists_uncounted_levels_and_can_zero_them(api: Clients) -> None:
    counted = create_product(api, "FULL-COUNTED", cost="1.00", opening=10)
    forgotten = create_product(api, "FULL-FORGOTTEN", cost="2.00", opening=5)
    batched = create_product(api, "FULL-BATCHED", cost="3.00", tracking=LOT)
    lot = create_batch(api, batched.id, "LOT-9", opening=7)
    retired = create_product(api, "FULL-RETIRED", cost="4.00", opening=3)
    deactivate(api, retired.id)

    count = start_count(api, "Year-end", FULL)
    add_item(api, count.id, 8, sku="FULL-COUNTED")
    done = complete(api, count.id, zero_uncounted=True)

    uncounted = {(u.product_id, u.batch_id): u for u in done.uncounted_levels}
    # A lot-tracked product holds no unbatched level: only its batch is listed.
    assert set(uncounted) == {(forgotten.id, ""), (batched.id, lot.id)}
    assert uncounted[(forgotten.id, "")].quantity == 5  # as it was before completion
    assert uncounted[(batched.id, lot.id)].quantity == 7
    assert uncounted[(batched.id, lot.id)].lot_number == "LOT-9"

    changes = {(a.product_id, a.batch_id): a.quantity_change for a in done.adjustments}
    # The inactive product is neither listed nor touched.
    assert changes == {(counted.id, ""): -2, (forgotten.id, ""): -5, (batched.id, lot.id): -7}
    costs = {(a.product_id, a.batch_id): as_decimal(a.cost_impact) for a in done.adjustments}
    assert costs[(batched.id, lot.id)] == Decimal("-21.00")
    assert all(a.inventory_count_id == count.id for a in done.adjustments)
    assert level_of(api, counted.id) == 8
    assert level_of(api, forgotten.id) == 0
    assert level_of(api, batched.id, lot.id) == 0
    assert level_of(api, retired.id) == 3
    assert count_entries(api, forgotten.id) == [-5]
    assert count_entries(api, batched.id, lot.id) == [-7]
    assert count_entries(api, retired.id) == []
    # The statistics are those of the lines; zeroed levels were never counted.
    assert done.inventory_count.statistics.items_counted == 1


def test_annual_count_without_zeroing_only_lists_uncounted_levels(api: Clients) -> None:
    create_product(api, "ANN-COUNTED", cost="1.00", opening=10)
    forgotten = create_product(api, "ANN-FORGOTTEN", cost="2.00", opening=5)
    count = start_count(api, "Annual", ANNUAL)
    add_item(api, count.id, 10, sku="ANN-COUNTED")
    done = complete(api, count.id)
    assert [(u.product_id, u.quantity) for u in done.uncounted_levels] == [(forgotten.id, 5)]
    assert list(done.adjustments) == []
    assert level_of(api, forgotten.id) == 5


def test_zeroing_uncounted_levels_is_for_full_and_annual_counts_only(api: Clients) -> None:
    create_product(api, "SPOT-1", cost="1.00", opening=10)
    count = start_count(api, "Spot", SPOT)
    add_item(api, count.id, 9, sku="SPOT-1")
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT, complete, api, count.id, zero_uncounted=True
    )
    assert "zero_uncounted" in field_violations(error)
    assert get_count(api, count.id).status == pb.INVENTORY_COUNT_STATUS_IN_PROGRESS
    full = complete(api, count.id)  # the count is still there to complete
    assert full.inventory_count.status == pb.INVENTORY_COUNT_STATUS_COMPLETED


def test_set_counted_mode_overrides_movements_after_the_scan(api: Clients) -> None:
    sold = create_product(api, "SETC-SOLD", cost="2.00", opening=25)
    received = create_product(api, "SETC-RECV", cost="1.00", opening=10)
    count = start_count(api, "Override")
    add_item(api, count.id, 22, sku="SETC-SOLD")  # variance -3
    add_item(api, count.id, 10, sku="SETC-RECV")  # matches
    move(api, sold.id, -5)  # 20 now
    move(api, received.id, +4)  # 14 now

    done = complete(api, count.id, mode=pb.STOCK_APPLY_MODE_SET_COUNTED)
    changes = {a.product_id: (a.quantity_change, a.quantity_before) for a in done.adjustments}
    assert changes == {sold.id: (2, 20), received.id: (-4, 14)}
    assert level_of(api, sold.id) == 22
    assert level_of(api, received.id) == 10
    moved = {m.item.product_id: m.current_quantity for m in done.moved_items}
    assert moved == {sold.id: 20, received.id: 14}


def test_difference_mode_lists_moved_lines_even_without_a_variance(api: Clients) -> None:
    received = create_product(api, "DIFF-RECV", cost="1.00", opening=10)
    count = start_count(api, "Difference")
    add_item(api, count.id, 10, sku="DIFF-RECV")
    move(api, received.id, +4)
    done = complete(api, count.id)
    assert list(done.adjustments) == []
    [moved] = done.moved_items
    assert (moved.item.system_quantity, moved.current_quantity) == (10, 14)
    assert level_of(api, received.id) == 14


def test_completing_without_adjustments_changes_no_stock(api: Clients) -> None:
    short = create_product(api, "NOADJ-1", cost="3.00", opening=12)
    count = start_count(api, "Look only")
    add_item(api, count.id, 2, sku="NOADJ-1")
    move(api, short.id, -1)

    done = complete(api, count.id, apply=False, notes="count only")
    assert done.inventory_count.status == pb.INVENTORY_COUNT_STATUS_COMPLETED
    assert done.inventory_count.close_notes == "count only"
    assert list(done.adjustments) == []
    assert [m.current_quantity for m in done.moved_items] == [11]
    assert done.inventory_count.statistics.items_with_discrepancy == 1
    assert as_decimal(done.inventory_count.statistics.value_missing) == Decimal("30.00")
    assert level_of(api, short.id) == 11
    assert count_entries(api, short.id) == []


def test_completion_is_all_or_nothing(api: Clients) -> None:
    over = create_product(api, "AON-OVER", cost="1.00", opening=5)
    short = create_product(api, "AON-SHORT", cost="1.00", opening=10)
    count = start_count(api, "All or nothing")
    add_item(api, count.id, 8, sku="AON-OVER")  # +3
    add_item(api, count.id, 0, sku="AON-SHORT")  # -10
    move(api, short.id, -8)  # 2 left: applying -10 would go below zero

    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, complete, api, count.id)
    assert error_info(error).reason == "INSUFFICIENT_STOCK"
    assert precondition_violations(error)[0].subject == f"products/{short.id}"
    assert get_count(api, count.id).status == pb.INVENTORY_COUNT_STATUS_IN_PROGRESS
    assert level_of(api, over.id) == 5  # its +3 was rolled back with the rest
    assert level_of(api, short.id) == 2
    assert count_entries(api, over.id) == []

    # Setting levels to the counted figures instead works.
    done = complete(api, count.id, mode=pb.STOCK_APPLY_MODE_SET_COUNTED)
    assert {a.product_id: a.quantity_change for a in done.adjustments} == {
        over.id: 3,
        short.id: -2,
    }
    assert (level_of(api, over.id), level_of(api, short.id)) == (8, 0)


def test_a_retried_completion_answers_as_the_first_and_applies_once(api: Clients) -> None:
    product = create_product(api, "RETRY-C", cost="1.00", opening=10)
    count = start_count(api, "Retry")
    add_item(api, count.id, 7, sku="RETRY-C")
    first = complete(api, count.id, request_id="complete-1")
    again = complete(api, count.id, request_id="complete-1")
    assert again.inventory_count == first.inventory_count
    assert list(again.adjustments) == list(first.adjustments)
    assert level_of(api, product.id) == 7
    assert count_entries(api, product.id) == [-3]
    # Without the request_id a second completion is refused.
    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, complete, api, count.id)
    assert error_info(error).reason == "COUNT_NOT_IN_PROGRESS"


def test_cancel_applies_nothing_and_closes_the_count(api: Clients) -> None:
    product = create_product(api, "CANCEL-1", cost="1.00", opening=10)
    count = start_count(api, "To cancel")
    add_item(api, count.id, 4, sku="CANCEL-1")
    cancelled = api.counts.CancelInventoryCount(
        pb.CancelInventoryCountRequest(inventory_count_id=count.id, notes="wrong store"),
        metadata=OTHER_MANAGER,
    ).inventory_count
    assert cancelled.status == pb.INVENTORY_COUNT_STATUS_CANCELLED
    assert cancelled.cancelled_by == "max-manager"
    assert cancelled.HasField("cancel_time")
    assert not cancelled.HasField("complete_time")
    assert cancelled.close_notes == "wrong store"
    assert level_of(api, product.id) == 10
    assert count_entries(api, product.id) == []

    for call, request in [
        (
            api.counts.CancelInventoryCount,
            pb.CancelInventoryCountRequest(inventory_count_id=count.id),
        ),
        (
            api.counts.CompleteInventoryCount,
            pb.CompleteInventoryCountRequest(inventory_count_id=count.id, apply_adjustments=True),
        ),
    ]:
        error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, call, request, metadata=MANAGER)
        assert error_info(error).reason == "COUNT_NOT_IN_PROGRESS"
        assert error_info(error).metadata["status"] == "CANCELLED"
    # Another count may start now.
    assert start_count(api, "Next").status == pb.INVENTORY_COUNT_STATUS_IN_PROGRESS
