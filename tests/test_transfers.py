"""TransferStock through a real channel: stock moves between two locations as two TRANSFER
ledger entries sharing a transfer id, all lines of a call or none, never below zero at the
source; staff within a site, managers across sites; a retried call moves nothing twice."""

from __future__ import annotations

import grpc

from inventory.v1 import catalog_pb2
from tests.helpers import (
    LOT,
    MANAGER,
    Clients,
    create_batch,
    create_product,
    error_info,
    expect_error,
    field_violations,
    get_product,
    ledger_of,
)
from tests.place_helpers import (
    at,
    audit,
    create_location,
    create_site,
    levels_by_place,
    line,
    place_of,
    transfer,
    update_location,
)

MAIN = at("MAIN")
SHELF = at("MAIN", "SHELF-1")
BACK = at("MAIN", "BACK-1")


def shelves(api: Clients) -> None:
    create_location(api, "MAIN", "SHELF-1")
    create_location(api, "MAIN", "BACK-1")


def test_a_transfer_is_two_entries_sharing_its_id_and_keeps_the_total(api: Clients) -> None:
    shelves(api)
    product = create_product(api, "TR-1", opening=20)
    [moved] = transfer(
        api, line(product.id, MAIN, SHELF, 8), reason="restock", source_reference="TN-1"
    )
    assert moved.id
    out, into = moved.from_entry, moved.to_entry
    assert (place_of(out), out.quantity_before, out.quantity_delta, out.quantity_after) == (
        "MAIN/DEFAULT",
        20,
        -8,
        12,
    )
    assert (place_of(into), into.quantity_before, into.quantity_delta, into.quantity_after) == (
        "MAIN/SHELF-1",
        0,
        8,
        8,
    )
    for entry in (out, into):
        assert entry.source == catalog_pb2.LEDGER_SOURCE_TRANSFER
        assert entry.transfer_id == moved.id
        assert (entry.reason, entry.source_reference, entry.actor) == (
            "restock",
            "TN-1",
            "sam-staff",
        )
    assert get_product(api, product.id).stock_quantity == 20
    assert levels_by_place(api, product.id) == {"MAIN/DEFAULT": 12, "MAIN/SHELF-1": 8}
    sources = [e.source for e in ledger_of(api, product.id)]
    assert sources.count(catalog_pb2.LEDGER_SOURCE_TRANSFER) == 2


def test_lines_apply_in_order_in_one_transaction(api: Clients) -> None:
    shelves(api)
    product = create_product(api, "TR-2", opening=10)
    moved = transfer(
        api,
        line(product.id, MAIN, BACK, 10),
        line(product.id, BACK, SHELF, 6),  # stock that the line before brought
    )
    assert [t.to_entry.location_code for t in moved] == ["BACK-1", "SHELF-1"]
    assert len({t.id for t in moved}) == 2
    assert levels_by_place(api, product.id) == {
        "MAIN/BACK-1": 4,
        "MAIN/DEFAULT": 0,
        "MAIN/SHELF-1": 6,
    }


def test_never_below_zero_at_the_source_and_all_or_nothing(api: Clients) -> None:
    shelves(api)
    product = create_product(api, "TR-3", opening=5)
    before = ledger_of(api, product.id)
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        transfer,
        api,
        line(product.id, MAIN, SHELF, 3),
        line(product.id, MAIN, BACK, 3),  # 2 left after the first line
    )
    assert error_info(error).reason == "INSUFFICIENT_STOCK"
    assert ledger_of(api, product.id) == before
    assert levels_by_place(api, product.id) == {"MAIN/DEFAULT": 5}


def test_a_lot_moves_with_its_batch(api: Clients) -> None:
    shelves(api)
    product = create_product(api, "TR-LOT", tracking=LOT)
    batch = create_batch(api, product.id, "L7", opening=9)
    [moved] = transfer(api, line(product.id, MAIN, SHELF, 4, batch_id=batch.id))
    assert (moved.from_entry.batch_id, moved.to_entry.batch_id) == (batch.id, batch.id)
    assert levels_by_place(api, product.id) == {"MAIN/DEFAULT/L7": 5, "MAIN/SHELF-1/L7": 4}
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT, transfer, api, line(product.id, MAIN, SHELF, 1)
    )
    assert error_info(error).reason == "BATCH_REQUIRED"
    assert "lines[0].batch_id" in field_violations(error)


def test_staff_transfer_within_a_site_managers_across_sites(api: Clients) -> None:
    create_site(api, "NORTH")
    product = create_product(api, "TR-X", opening=10)
    error = expect_error(
        grpc.StatusCode.PERMISSION_DENIED, transfer, api, line(product.id, MAIN, at("NORTH"), 2)
    )
    assert error_info(error).reason == "CROSS_SITE_TRANSFER"
    [moved] = transfer(api, line(product.id, MAIN, at("NORTH"), 2), metadata=MANAGER)
    assert (moved.from_entry.site_code, moved.to_entry.site_code) == ("MAIN", "NORTH")
    assert moved.from_entry.site_id != moved.to_entry.site_id
    product_view = get_product(api, product.id)
    assert [(s.site_code, s.quantity) for s in product_view.site_stocks] == [
        ("MAIN", 8),
        ("NORTH", 2),
    ]


def test_a_retried_transfer_moves_nothing_twice(api: Clients) -> None:
    shelves(api)
    product = create_product(api, "TR-R", opening=10)
    first = transfer(api, line(product.id, MAIN, SHELF, 3), request_id="tn-42")
    again = transfer(api, line(product.id, MAIN, SHELF, 3), request_id="tn-42")
    assert again == first
    assert levels_by_place(api, product.id) == {"MAIN/DEFAULT": 7, "MAIN/SHELF-1": 3}


def test_bad_lines_are_invalid_argument_and_change_nothing(api: Clients) -> None:
    shelves(api)
    product = create_product(api, "TR-BAD", opening=10)
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, transfer, api)
    assert "lines" in field_violations(error)
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        transfer,
        api,
        catalog_pb2.StockTransferLine(product_id=product.id, quantity=0),
    )
    assert set(field_violations(error)) == {
        "lines[0].from_location",
        "lines[0].to_location",
        "lines[0].quantity",
    }
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT, transfer, api, line(product.id, MAIN, at("main"), 1)
    )
    assert "lines[0].to_location" in field_violations(error)  # the same place twice
    error = expect_error(
        grpc.StatusCode.NOT_FOUND, transfer, api, line(product.id, MAIN, at("MAIN", "NOPE"), 1)
    )
    assert error_info(error).reason == "LOCATION_NOT_FOUND"
    closed = create_location(api, "MAIN", "CLOSED")
    update_location(api, closed.id, ["active"], active=False)
    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        transfer,
        api,
        line(product.id, MAIN, at(id=closed.id), 1),
    )
    assert error_info(error).reason == "LOCATION_INACTIVE"
    assert levels_by_place(api, product.id) == {"MAIN/DEFAULT": 10}


def test_the_ledger_still_adds_up_with_transfers(api: Clients, database_url: str) -> None:
    shelves(api)
    product = create_product(api, "TR-AUDIT", opening=10)
    transfer(api, line(product.id, MAIN, SHELF, 4), line(product.id, SHELF, BACK, 1))
    checked = audit(database_url)
    assert checked.ok, checked.problems
    assert checked.transfers == 2
