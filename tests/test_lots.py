"""Lot-tracked products: how a product is tracked, the batch every stock change of a LOT product
names (and a NONE product may not), the change of tracking, and expired batches surfacing in
levels, count lines and completion. Every per-entry rule through AddCountItem and the stream."""

from __future__ import annotations

import grpc

from inventory.v1 import catalog_pb2
from tests.helpers import (
    EXPIRED,
    LOT,
    MANAGER,
    NONE,
    SET,
    STAFF,
    Clients,
    add_item,
    adjust,
    all_pages,
    complete,
    create_batch,
    create_product,
    create_request,
    error_info,
    error_of,
    expect_error,
    field_violations,
    get_product,
    ledger_of,
    level_of,
    lines,
    move,
    precondition_violations,
    roundtrip,
    scan,
    set_tracking,
    start_count,
)

PAST = (2020, 1, 31)
FUTURE = (2099, 12, 31)


def test_a_product_says_how_it_is_tracked(api: Clients) -> None:
    plain = create_product(api, "TRK-PLAIN", opening=3)
    pills = create_product(api, "TRK-PILLS", tracking=LOT)

    assert plain.tracking == NONE  # UNSPECIFIED on create is NONE
    assert pills.tracking == LOT
    assert get_product(api, pills.id).tracking == LOT
    # A LOT product holds no unbatched level: all its stock is in batches.
    assert list(get_product(api, pills.id).stock_levels) == []
    listed = all_pages(api.catalog.ListProducts, catalog_pb2.ListProductsRequest(), "products")
    assert {p.sku: p.tracking for p in listed} == {"TRK-PLAIN": NONE, "TRK-PILLS": LOT}


def test_lot_products_take_opening_stock_per_batch_only(api: Clients) -> None:
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        create_product,
        api,
        "TRK-OPEN",
        opening=5,
        tracking=LOT,
    )
    assert error_info(error).reason == "BATCH_REQUIRED"
    assert "opening_quantity" in field_violations(error)
    products = api.catalog.ListProducts(catalog_pb2.ListProductsRequest(), metadata=STAFF)
    assert list(products.products) == []


def test_a_product_not_lot_tracked_holds_no_batches(api: Clients) -> None:
    plain = create_product(api, "TRK-PLAIN", opening=3)

    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, create_batch, api, plain.id, "L-1")

    assert error_info(error).reason == "PRODUCT_NOT_LOT_TRACKED"
    assert "batch.product_id" in field_violations(error)
    assert [lv.batch_id for lv in get_product(api, plain.id).stock_levels] == [""]


def test_movements_name_a_batch_for_lot_products_and_none_for_others(api: Clients) -> None:
    plain = create_product(api, "TRK-PLAIN", opening=10)
    pills = create_product(api, "TRK-PILLS", tracking=LOT)
    lot = create_batch(api, pills.id, "L-1", opening=10)

    def record(*movements: catalog_pb2.StockMovement) -> object:
        return api.catalog.RecordStockMovements(
            catalog_pb2.RecordStockMovementsRequest(movements=list(movements)), metadata=STAFF
        )

    good = catalog_pb2.StockMovement(product_id=plain.id, quantity_delta=-1, source_reference="S")
    unbatched = catalog_pb2.StockMovement(
        product_id=pills.id, quantity_delta=-1, source_reference="S"
    )
    batched_plain = catalog_pb2.StockMovement(
        product_id=plain.id, batch_id=lot.id, quantity_delta=-1, source_reference="S"
    )
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, record, good, unbatched)
    assert error_info(error).reason == "BATCH_REQUIRED"
    assert set(field_violations(error)) == {"movements[1].batch_id"}
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, record, batched_plain)
    assert error_info(error).reason == "PRODUCT_NOT_LOT_TRACKED"
    assert set(field_violations(error)) == {"movements[0].batch_id"}
    # All or nothing: the good movement of the refused call was not recorded.
    assert (level_of(api, plain.id), level_of(api, pills.id, lot.id)) == (10, 10)
    assert len(ledger_of(api, plain.id)) == 1

    assert move(api, pills.id, -4, batch_id=lot.id).quantity_after == 6


def test_adjustments_name_a_batch_for_lot_products_and_none_for_others(api: Clients) -> None:
    plain = create_product(api, "TRK-PLAIN", opening=10)
    pills = create_product(api, "TRK-PILLS", tracking=LOT)
    lot = create_batch(api, pills.id, "L-1", opening=10, expiry=PAST)
    other = create_batch(api, create_product(api, "TRK-X", tracking=LOT).id, "L-X")

    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.adjustments.CreateStockAdjustment,
        create_request(pills.id, EXPIRED, -2),
        metadata=STAFF,
    )
    assert error_info(error).reason == "BATCH_REQUIRED"
    assert "batch_id" in field_violations(error)
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.adjustments.CreateStockAdjustment,
        create_request(plain.id, EXPIRED, -2, batch_id=other.id),
        metadata=STAFF,
    )
    assert error_info(error).reason == "PRODUCT_NOT_LOT_TRACKED"
    assert (level_of(api, plain.id), level_of(api, pills.id, lot.id)) == (10, 10)

    written_off = adjust(api, pills.id, EXPIRED, -2, batch_id=lot.id)
    assert (written_off.batch_id, written_off.quantity_after) == (lot.id, 8)


def test_count_entries_of_lot_products_name_a_batch_through_add_count_item(
    api: Clients,
) -> None:
    create_product(api, "TRK-PLAIN", opening=10)
    pills = create_product(api, "TRK-PILLS", tracking=LOT)
    lot = create_batch(api, pills.id, "L-1", opening=10)
    count_id = start_count(api).id

    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT, add_item, api, count_id, 9, sku="TRK-PILLS"
    )
    assert error_info(error).reason == "BATCH_REQUIRED"
    assert "batch_id" in field_violations(error)
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        add_item,
        api,
        count_id,
        9,
        sku="TRK-PLAIN",
        lot_number="L-1",
    )
    assert error_info(error).reason == "PRODUCT_NOT_LOT_TRACKED"
    assert lines(api, count_id) == {}

    item = add_item(api, count_id, 9, sku="TRK-PILLS", lot_number="L-1")
    assert (item.batch_id, item.lot_number, item.variance) == (lot.id, "L-1", -1)


def test_count_entries_of_lot_products_name_a_batch_on_the_stream(api: Clients) -> None:
    plain = create_product(api, "TRK-PLAIN", opening=10)
    pills = create_product(api, "TRK-PILLS", tracking=LOT)
    lot = create_batch(api, pills.id, "L-1", opening=10)
    count_id = start_count(api).id

    acks = roundtrip(
        api,
        STAFF,
        scan(count_id, sku="TRK-PLAIN", quantity=8, mode=SET),
        scan(count_id, sku="TRK-PILLS", quantity=5, mode=SET),  # no lot
        scan(count_id, sku="TRK-PLAIN", quantity=1, lot="L-1"),  # a lot on a NONE product
        scan(count_id, sku="TRK-PILLS", quantity=7, mode=SET, lot="L-1"),
    )

    assert error_of(acks[1]) == (grpc.StatusCode.INVALID_ARGUMENT, "BATCH_REQUIRED")
    assert "batch_id" in field_violations(acks[1].error)
    assert error_of(acks[2]) == (grpc.StatusCode.INVALID_ARGUMENT, "PRODUCT_NOT_LOT_TRACKED")
    assert acks[3].item.lot_number == "L-1"
    # The rest of the message was stored.
    assert lines(api, count_id) == {(plain.id, ""): 8, (pills.id, lot.id): 7}


def test_tracking_changes_only_while_no_stock_is_held_the_other_way(api: Clients) -> None:
    shelf = create_product(api, "TRK-SHELF", opening=4)
    empty = create_product(api, "TRK-EMPTY")

    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, set_tracking, api, shelf.id, LOT)
    assert error_info(error).reason == "TRACKING_CHANGE_WITH_STOCK"
    assert precondition_violations(error)[0].subject == f"products/{shelf.id}"
    assert get_product(api, shelf.id).tracking == NONE

    assert set_tracking(api, empty.id, LOT).tracking == LOT
    lot = create_batch(api, empty.id, "L-1", opening=3)
    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, set_tracking, api, empty.id, NONE)
    assert error_info(error).reason == "TRACKING_CHANGE_WITH_STOCK"

    move(api, empty.id, -3, batch_id=lot.id)
    assert set_tracking(api, empty.id, NONE).tracking == NONE
    # Back to unbatched stock, which it can now take.
    assert move(api, empty.id, 2).quantity_after == 2


def test_expired_batches_show_in_levels_and_count_lines_and_completion(api: Clients) -> None:
    pills = create_product(api, "TRK-PILLS", tracking=LOT)
    old = create_batch(api, pills.id, "L-OLD", opening=5, expiry=PAST)
    gone = create_batch(api, pills.id, "L-GONE", opening=2, expiry=PAST)
    fresh = create_batch(api, pills.id, "L-NEW", opening=10, expiry=FUTURE)
    assert (old.expired, fresh.expired) == (True, False)
    levels = {lv.batch_id: lv for lv in get_product(api, pills.id).stock_levels}
    assert levels[old.id].expired
    assert levels[old.id].expiry_date.year == PAST[0]
    assert not levels[fresh.id].expired

    count_id = start_count(api).id
    # A batch past its expiry is on the shelf: it is counted, never refused.
    counted_old = add_item(api, count_id, 4, sku="TRK-PILLS", batch_id=old.id)
    [acked] = roundtrip(api, STAFF, scan(count_id, sku="TRK-PILLS", quantity=0, lot="L-GONE"))
    counted_new = add_item(api, count_id, 10, sku="TRK-PILLS", lot_number="L-NEW")
    assert (counted_old.expired, counted_old.expiry_date.year) == (True, PAST[0])
    assert (acked.item.expired, acked.item.lot_number) == (True, "L-GONE")
    assert not counted_new.expired

    done = complete(api, count_id, metadata=MANAGER)

    # Only expired lines still holding counted stock: candidates for EXPIRED adjustments.
    assert [(i.batch_id, i.counted_quantity) for i in done.expired_items] == [(old.id, 4)]
    assert done.expired_items[0].lot_number == "L-OLD"
    assert gone.id not in {i.batch_id for i in done.expired_items}
    assert level_of(api, pills.id, old.id) == 4
