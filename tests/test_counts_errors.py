"""Count errors with their codes and details, role checks, paging and request_id retries."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from sqlalchemy import insert

from inventory.v1 import catalog_pb2
from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.db.engine import create_db_engine
from inventory_service.db.models import IdempotencyKey
from tests.helpers import (
    ADD,
    ADMIN,
    FULL,
    LOT,
    MANAGER,
    SPOT,
    STAFF,
    Clients,
    add_item,
    all_pages,
    create_batch,
    create_product,
    error_info,
    expect_error,
    field_violations,
    list_items,
    pages,
    precondition_violations,
    start_count,
)

MISSING = "00000000-0000-0000-0000-000000000000"


def add_request(count_id: str, quantity: int = 1, **fields: object) -> pb.AddCountItemRequest:
    fields.setdefault("product", catalog_pb2.ProductSelector(sku="ERR-1"))
    return pb.AddCountItemRequest(
        inventory_count_id=count_id,
        counted_quantity=quantity,
        **fields,  # type: ignore[arg-type]
    )


def test_unknown_count_is_not_found_everywhere(api: Clients) -> None:
    create_product(api, "ERR-1", cost="1.00", opening=3)
    calls = [
        (api.counts.GetInventoryCount, pb.GetInventoryCountRequest(inventory_count_id=MISSING)),
        (api.counts.AddCountItem, add_request(MISSING)),
        (api.counts.ListCountItems, pb.ListCountItemsRequest(inventory_count_id=MISSING)),
        (api.counts.ListDiscrepancies, pb.ListDiscrepanciesRequest(inventory_count_id=MISSING)),
        (
            api.counts.CompleteInventoryCount,
            pb.CompleteInventoryCountRequest(inventory_count_id=MISSING),
        ),
        (
            api.counts.CancelInventoryCount,
            pb.CancelInventoryCountRequest(inventory_count_id=MISSING),
        ),
    ]
    for call, request in calls:
        error = expect_error(grpc.StatusCode.NOT_FOUND, call, request, metadata=MANAGER)
        assert error_info(error).reason == "INVENTORY_COUNT_NOT_FOUND"
        assert MISSING in (error.details() or "")


def test_unknown_product_or_batch_is_not_found(api: Clients) -> None:
    product = create_product(api, "ERR-1", cost="1.00", opening=3)
    create_product(api, "ERR-LOT", cost="1.00", tracking=LOT)
    other = create_product(api, "ERR-2", cost="1.00", tracking=LOT)
    foreign_lot = create_batch(api, other.id, "FOREIGN", opening=1)
    lot_product = catalog_pb2.ProductSelector(sku="ERR-LOT")
    count = start_count(api)

    error = expect_error(
        grpc.StatusCode.NOT_FOUND,
        api.counts.AddCountItem,
        add_request(count.id, product=catalog_pb2.ProductSelector(sku="NOPE")),
        metadata=STAFF,
    )
    assert error_info(error).reason == "PRODUCT_NOT_FOUND"
    error = expect_error(
        grpc.StatusCode.NOT_FOUND,
        api.counts.AddCountItem,
        add_request(count.id, product=catalog_pb2.ProductSelector(barcode="4006381333931")),
        metadata=STAFF,
    )
    assert error_info(error).reason == "PRODUCT_NOT_FOUND"
    # A batch of another product does not belong to this one.
    error = expect_error(
        grpc.StatusCode.NOT_FOUND,
        api.counts.AddCountItem,
        add_request(count.id, product=lot_product, batch_id=foreign_lot.id),
        metadata=STAFF,
    )
    assert error_info(error).reason == "BATCH_NOT_FOUND"
    error = expect_error(
        grpc.StatusCode.NOT_FOUND,
        api.counts.AddCountItem,
        add_request(count.id, product=lot_product, lot_number="FOREIGN"),
        metadata=STAFF,
    )
    assert error_info(error).reason == "BATCH_NOT_FOUND"
    assert list_items(api, count.id) == []
    assert add_item(api, count.id, 3, product_id=product.id).variance == 0


def test_bad_entries_are_invalid_arguments_with_field_violations(api: Clients) -> None:
    create_product(api, "ERR-1", cost="1.00", opening=3)
    count = start_count(api)
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.counts.AddCountItem,
        add_request(count.id, -1, location="x" * 201),
        metadata=STAFF,
    )
    assert set(field_violations(error)) == {"counted_quantity", "location"}
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.counts.AddCountItem,
        pb.AddCountItemRequest(inventory_count_id=count.id, counted_quantity=1),
        metadata=STAFF,
    )
    assert "product" in field_violations(error)
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.counts.AddCountItem,
        add_request(""),
        metadata=STAFF,
    )
    assert "inventory_count_id" in field_violations(error)
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.counts.AddCountItem,
        add_request(count.id, mode=99),
        metadata=STAFF,
    )
    assert "mode" in field_violations(error)
    assert list_items(api, count.id) == []


def test_start_needs_a_name_and_a_type(api: Clients) -> None:
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.counts.StartInventoryCount,
        pb.StartInventoryCountRequest(name=" ", type=pb.INVENTORY_COUNT_TYPE_UNSPECIFIED),
        metadata=MANAGER,
    )
    assert set(field_violations(error)) == {"name", "type"}
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.counts.StartInventoryCount,
        pb.StartInventoryCountRequest(name="Odd", type=42),
        metadata=MANAGER,
    )
    assert "type" in field_violations(error)
    listed = api.counts.ListInventoryCounts(pb.ListInventoryCountsRequest(), metadata=STAFF)
    assert list(listed.inventory_counts) == []


def test_a_count_that_is_not_in_progress_takes_no_items(api: Clients) -> None:
    create_product(api, "ERR-1", cost="1.00", opening=3)
    count = start_count(api)
    api.counts.CancelInventoryCount(
        pb.CancelInventoryCountRequest(inventory_count_id=count.id), metadata=MANAGER
    )
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        api.counts.AddCountItem,
        add_request(count.id),
        metadata=STAFF,
    )
    assert error_info(error).reason == "COUNT_NOT_IN_PROGRESS"
    [violation] = precondition_violations(error)
    assert violation.subject == f"inventoryCounts/{count.id}"
    assert list_items(api, count.id) == []


@pytest.mark.parametrize(
    ("method", "request_message"),
    [
        ("StartInventoryCount", pb.StartInventoryCountRequest(name="Mine", type=SPOT)),
        (
            "CompleteInventoryCount",
            pb.CompleteInventoryCountRequest(inventory_count_id="any"),
        ),
        ("CancelInventoryCount", pb.CancelInventoryCountRequest(inventory_count_id="any")),
        ("ListDiscrepancies", pb.ListDiscrepanciesRequest()),
    ],
)
def test_staff_cannot_run_manager_operations(
    api: Clients, method: str, request_message: object
) -> None:
    count = start_count(api)
    if hasattr(request_message, "inventory_count_id") and method != "ListDiscrepancies":
        request_message.inventory_count_id = count.id  # type: ignore[attr-defined]
    error = expect_error(
        grpc.StatusCode.PERMISSION_DENIED,
        getattr(api.counts, method),
        request_message,
        metadata=STAFF,
    )
    assert error_info(error).reason == "ROLE_TOO_LOW"
    status = api.counts.GetInventoryCount(
        pb.GetInventoryCountRequest(inventory_count_id=count.id), metadata=STAFF
    ).inventory_count.status
    assert status == pb.INVENTORY_COUNT_STATUS_IN_PROGRESS


def test_count_rpcs_need_a_token(api: Clients) -> None:
    error = expect_error(
        grpc.StatusCode.UNAUTHENTICATED,
        api.counts.ListInventoryCounts,
        pb.ListInventoryCountsRequest(),
    )
    assert error_info(error).reason == "TOKEN_MISSING"


def test_counts_page_newest_first_with_filters(api: Clients) -> None:
    started = []
    for i, count_type in enumerate([SPOT, FULL, SPOT, SPOT, FULL]):
        count = start_count(api, f"Count {i}", count_type)
        api.counts.CancelInventoryCount(
            pb.CancelInventoryCountRequest(inventory_count_id=count.id), metadata=MANAGER
        )
        started.append(count)
    open_count = start_count(api, "Open", SPOT)

    def listed(**filters: Any) -> list[str]:
        request = pb.ListInventoryCountsRequest(page_size=2, **filters)
        found = pages(api.counts.ListInventoryCounts, request, "inventory_counts")
        assert all(len(page) <= 2 for page in found)
        return [c.id for page in found for c in page]

    newest_first = [open_count.id] + [c.id for c in reversed(started)]
    assert listed() == newest_first
    spots = listed(type=SPOT)
    assert spots == [open_count.id, started[3].id, started[2].id, started[0].id]
    cancelled_full = listed(status=pb.INVENTORY_COUNT_STATUS_CANCELLED, type=FULL)
    assert cancelled_full == [started[4].id, started[1].id]
    assert listed(status=pb.INVENTORY_COUNT_STATUS_IN_PROGRESS) == [open_count.id]

    first = api.counts.ListInventoryCounts(
        pb.ListInventoryCountsRequest(page_size=2, type=SPOT), metadata=STAFF
    )
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.counts.ListInventoryCounts,
        pb.ListInventoryCountsRequest(page_size=2, type=FULL, page_token=first.next_page_token),
        metadata=STAFF,
    )
    assert "page_token" in field_violations(error)
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.counts.ListInventoryCounts,
        pb.ListInventoryCountsRequest(page_size=-1),
        metadata=STAFF,
    )
    assert "page_size" in field_violations(error)


def test_lines_and_discrepancies_page(api: Clients) -> None:
    skus = [f"PAGE-{i}" for i in range(5)]
    for sku in skus:
        create_product(api, sku, cost="1.00", opening=50)
    count = start_count(api)
    for sku in skus:  # each 20 short: all significant
        add_item(api, count.id, 30, sku=sku)
    add_item(api, count.id, 30, sku="PAGE-1")  # a recount keeps its place in the list

    request = pb.ListCountItemsRequest(inventory_count_id=count.id, page_size=2)
    lines = [item.sku for item in all_pages(api.counts.ListCountItems, request, "items")]
    assert lines == skus

    request = pb.ListDiscrepanciesRequest(inventory_count_id=count.id, page_size=2)
    found = all_pages(api.counts.ListDiscrepancies, request, "items", metadata=MANAGER)
    review = [item.sku for item in found]
    assert review == ["PAGE-1", "PAGE-4", "PAGE-3", "PAGE-2", "PAGE-0"]

    # A token of one count's lines is no good for another's.
    other_page = api.counts.ListCountItems(
        pb.ListCountItemsRequest(inventory_count_id=count.id, page_size=2), metadata=STAFF
    )
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.counts.ListDiscrepancies,
        pb.ListDiscrepanciesRequest(page_token=other_page.next_page_token),
        metadata=MANAGER,
    )
    assert "page_token" in field_violations(error)


def test_a_retried_start_returns_the_same_count(api: Clients) -> None:
    first = start_count(api, "Retry me", request_id="start-7")
    again = start_count(api, "Retry me", request_id="start-7")
    assert again.id == first.id
    listed = api.counts.ListInventoryCounts(pb.ListInventoryCountsRequest(), metadata=STAFF)
    assert [c.id for c in listed.inventory_counts] == [first.id]
    # Another request_id is another start, refused while the first is in progress.
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        api.counts.StartInventoryCount,
        pb.StartInventoryCountRequest(name="Other", type=SPOT, request_id="start-8"),
        metadata=ADMIN,
    )
    assert error_info(error).metadata["inventory_count_id"] == first.id


def test_a_retried_add_is_applied_once(api: Clients) -> None:
    create_product(api, "ERR-1", cost="1.00", opening=3)
    count = start_count(api)
    add_item(api, count.id, 2, sku="ERR-1", mode=ADD, request_id="scan-1")
    again = add_item(api, count.id, 2, sku="ERR-1", mode=ADD, request_id="scan-1")
    assert again.counted_quantity == 2
    after = add_item(api, count.id, 2, sku="ERR-1", mode=ADD, request_id="scan-2")
    assert after.counted_quantity == 4


def test_a_retried_add_gets_the_answer_it_first_got(api: Clients) -> None:
    """AIP-155: a retry with a request_id returns the earlier response, even after later
    entries changed the line, and even once the count is closed."""
    create_product(api, "ERR-1", cost="1.00", opening=3)
    count = start_count(api)
    first = add_item(api, count.id, 2, sku="ERR-1", mode=ADD, request_id="scan-1")
    add_item(api, count.id, 5, sku="ERR-1", mode=ADD, request_id="scan-2")
    api.counts.CancelInventoryCount(
        pb.CancelInventoryCountRequest(inventory_count_id=count.id), metadata=MANAGER
    )
    again = add_item(api, count.id, 2, sku="ERR-1", mode=ADD, request_id="scan-1")
    assert again == first
    assert again.counted_quantity == 2
    [line] = list_items(api, count.id)
    assert line.counted_quantity == 7


def test_a_request_id_stored_before_entries_were_kept_is_still_answered_once(
    api: Clients, database_url: str
) -> None:
    """A retry across the upgrade: its idempotency key names the line (not an entry). The call
    is answered with the line and applies nothing, instead of failing its whole batch."""
    create_product(api, "ERR-1", cost="1.00", opening=3)
    count = start_count(api)
    line = add_item(api, count.id, 2, sku="ERR-1", mode=ADD)
    engine = create_db_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            insert(IdempotencyKey).values(
                operation="AddCountItem", request_id="old-1", resource_id=line.id, actor="sam"
            )
        )
    engine.dispose()
    again = add_item(api, count.id, 2, sku="ERR-1", mode=ADD, request_id="old-1")
    assert again.id == line.id
    assert again.counted_quantity == 2
    [stored] = list_items(api, count.id)
    assert stored.counted_quantity == 2
