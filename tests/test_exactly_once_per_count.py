"""Exactly once, per count (issue 16): an entry_id is the scanner's, unique within a count; a
resend is a duplicate only when it asks what was stored, and an id (entry_id, or a write's
request_id) sent again with other content is refused and changes nothing."""

from __future__ import annotations

import grpc

from inventory.v1 import catalog_pb2, stock_adjustment_pb2
from inventory.v1 import inventory_count_pb2 as pb
from tests.helpers import (
    ADMIN,
    DAMAGE,
    MANAGER,
    SET,
    STAFF,
    Clients,
    add_request,
    create_product,
    create_request,
    error_info,
    error_of,
    expect_error,
    lines,
    money,
    precondition_violations,
    roundtrip,
    scan,
    start_count,
    stock_of,
)


def _cancel(api: Clients, count_id: str) -> None:
    api.counts.CancelInventoryCount(
        pb.CancelInventoryCountRequest(inventory_count_id=count_id), metadata=MANAGER
    )


def test_an_entry_id_stored_in_another_count_is_a_new_entry_of_this_one(api: Clients) -> None:
    soap = create_product(api, "EO-SOAP", opening=10)
    first = start_count(api, "Monday")
    (ack,) = roundtrip(api, STAFF, scan(first.id, sku="EO-SOAP", quantity=3, entry_id="e-1"))
    assert not ack.duplicate
    _cancel(api, first.id)
    second = start_count(api, "Tuesday")
    (ack,) = roundtrip(api, STAFF, scan(second.id, sku="EO-SOAP", quantity=3, entry_id="e-1"))
    assert not ack.duplicate
    assert ack.item.inventory_count_id == second.id
    assert lines(api, second.id) == {(soap.id, ""): 3}
    assert lines(api, first.id) == {(soap.id, ""): 3}


def test_an_entry_id_resent_with_other_content_is_refused_the_rest_stored(api: Clients) -> None:
    soap = create_product(api, "EO-SOAP2", opening=10)
    gel = create_product(api, "EO-GEL", opening=10)
    count = start_count(api)
    roundtrip(api, STAFF, scan(count.id, sku="EO-SOAP2", quantity=3, entry_id="e-7"))
    reused, other, again = roundtrip(
        api,
        STAFF,
        scan(count.id, sku="EO-SOAP2", quantity=5, entry_id="e-7"),
        scan(count.id, sku="EO-GEL", quantity=2, entry_id="e-8"),
        scan(count.id, sku="EO-SOAP2", quantity=3, entry_id="e-7"),
    )
    assert error_of(reused) == (grpc.StatusCode.FAILED_PRECONDITION, "ENTRY_ID_REUSED")
    assert not other.duplicate
    assert again.duplicate  # the same entry as stored: its ack again
    assert again.item.counted_quantity == 3
    assert lines(api, count.id) == {(soap.id, ""): 3, (gel.id, ""): 2}


def test_one_message_reusing_an_entry_id_for_another_product_stores_the_first(
    api: Clients,
) -> None:
    soap = create_product(api, "EO-SOAP3", opening=10)
    create_product(api, "EO-GEL3", opening=10)
    count = start_count(api)
    first, second = roundtrip(
        api,
        STAFF,
        scan(count.id, sku="EO-SOAP3", quantity=1, entry_id="e-9"),
        scan(count.id, sku="EO-GEL3", quantity=1, entry_id="e-9"),
    )
    assert first.WhichOneof("result") == "item"
    assert error_of(second) == (grpc.StatusCode.FAILED_PRECONDITION, "ENTRY_ID_REUSED")
    assert lines(api, count.id) == {(soap.id, ""): 1}


def test_add_count_item_request_id_reused_with_other_content_is_refused(api: Clients) -> None:
    soap = create_product(api, "EO-SOAP4", opening=10)
    count = start_count(api)
    request = add_request(count.id, 4, sku="EO-SOAP4", mode=SET, request_id="call-1")
    first = api.counts.AddCountItem(request, metadata=STAFF).item
    assert api.counts.AddCountItem(request, metadata=STAFF).item == first  # a retry
    changed = add_request(count.id, 9, sku="EO-SOAP4", mode=SET, request_id="call-1")
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION, api.counts.AddCountItem, changed, metadata=STAFF
    )
    assert error_info(error).reason == "REQUEST_ID_REUSED"
    assert [v.subject for v in precondition_violations(error)] == ["request_id"]
    assert lines(api, count.id) == {(soap.id, ""): 4}


def test_add_count_item_request_id_reused_in_another_count_is_refused(api: Clients) -> None:
    soap = create_product(api, "EO-SOAP5", opening=10)
    first = start_count(api, "Monday")
    api.counts.AddCountItem(
        add_request(first.id, 4, sku="EO-SOAP5", request_id="call-2"), metadata=STAFF
    )
    _cancel(api, first.id)
    second = start_count(api, "Tuesday")
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        api.counts.AddCountItem,
        add_request(second.id, 4, sku="EO-SOAP5", request_id="call-2"),
        metadata=STAFF,
    )
    assert error_info(error).reason == "REQUEST_ID_REUSED"
    assert lines(api, second.id) == {}
    assert lines(api, first.id) == {(soap.id, ""): 4}


def test_every_write_refuses_its_request_id_reused_with_other_content(api: Clients) -> None:
    product = create_product(api, "EO-STOCK", opening=50)

    def movement(delta: int) -> catalog_pb2.RecordStockMovementsRequest:
        return catalog_pb2.RecordStockMovementsRequest(
            movements=[
                catalog_pb2.StockMovement(
                    product_id=product.id, quantity_delta=delta, source_reference="GRN-1"
                )
            ],
            request_id="write-1",
        )

    def new_product(sku: str) -> catalog_pb2.CreateProductRequest:
        return catalog_pb2.CreateProductRequest(
            product=catalog_pb2.Product(sku=sku, name=sku, unit_cost=money("1.00")),
            request_id="write-1",
        )

    def adjustment(change: int) -> stock_adjustment_pb2.CreateStockAdjustmentRequest:
        return create_request(product.id, DAMAGE, change, request_id="write-1")

    writes = [
        (api.catalog.RecordStockMovements, movement(5), movement(6), STAFF),
        (api.catalog.CreateProduct, new_product("EO-NEW-1"), new_product("EO-NEW-2"), ADMIN),
        (api.adjustments.CreateStockAdjustment, adjustment(-1), adjustment(-2), STAFF),
    ]
    for call, request, changed, metadata in writes:
        assert call(request, metadata=metadata) == call(request, metadata=metadata)
        error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, call, changed, metadata=metadata)
        assert error_info(error).reason == "REQUEST_ID_REUSED"
    assert stock_of(api, product.id) == 50 + 5 - 1
    missing = catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(sku="EO-NEW-2"))
    expect_error(grpc.StatusCode.NOT_FOUND, api.catalog.GetProduct, missing, metadata=STAFF)
