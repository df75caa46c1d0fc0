"""A line's history (ListCountItemEntries) and completing a count with recounts pending, through
a real channel on SQLite and PostgreSQL."""

from __future__ import annotations

import grpc

from inventory.v1 import inventory_count_pb2 as pb
from tests.helpers import (
    ADD,
    MANAGER,
    STAFF,
    Clients,
    complete,
    create_product,
    error_info,
    expect_error,
    field_violations,
    get_count,
    level_of,
    pages,
    precondition_violations,
    roundtrip,
    scan,
    start_count,
)
from tests.recount_support import (
    BOB,
    CAROL,
    counted,
    history,
    line_of,
    request_recount,
    start_recount_count,
)


def test_the_history_lists_every_entry_that_touched_the_line_oldest_first(api: Clients) -> None:
    create_product(api, "HIST", cost="1.00", opening=50)
    count = start_count(api)
    entry = scan(count.id, sku="HIST", quantity=20, mode=ADD, location="A-1")
    roundtrip(api, BOB, entry, device_id="scanner-7")
    line = counted(api, "add", count.id, 5, BOB, sku="HIST", mode=ADD, reason="back shelf")
    request_recount(api, count.id, line.id, reason="check")
    counted(api, "add", count.id, 24, CAROL, sku="HIST")

    scanned, added, recount = history(api, count.id, line.id)
    assert (scanned.entry_id, scanned.device_id, scanned.location) == (
        entry.entry_id,
        "scanner-7",
        "A-1",
    )
    assert scanned.scan_time.ToMicroseconds() == entry.scan_time.ToMicroseconds()
    assert (scanned.quantity, scanned.mode, scanned.counted_quantity) == (20, ADD, 20)
    assert (added.counted_by, added.quantity, added.counted_quantity, added.reason) == (
        "bob",
        5,
        25,
        "back shelf",
    )
    assert not added.HasField("scan_time")
    assert (recount.counted_by, recount.mode, recount.counted_quantity, recount.recount) == (
        "carol",
        pb.COUNT_MODE_SET,
        24,
        True,
    )
    assert [e.recount for e in (scanned, added)] == [False, False]
    assert scanned.store_time.ToDatetime() <= added.store_time.ToDatetime()
    assert {e.count_item_id for e in (scanned, added, recount)} == {line.id}


def test_the_history_comes_in_pages(api: Clients) -> None:
    create_product(api, "HIST-PAGES", cost="1.00", opening=50)
    count = start_count(api)
    roundtrip(api, BOB, *(scan(count.id, sku="HIST-PAGES", quantity=1) for _ in range(5)))
    line = line_of(api, count.id, "HIST-PAGES")
    request = pb.ListCountItemEntriesRequest(
        inventory_count_id=count.id, count_item_id=line.id, page_size=2
    )
    found = pages(api.counts.ListCountItemEntries, request, "entries", metadata=MANAGER)
    assert [len(page) for page in found] == [2, 2, 1]
    assert len({e.entry_id for page in found for e in page}) == 5


def test_the_history_is_for_managers_and_names_a_line_of_the_count(api: Clients) -> None:
    create_product(api, "HIST-ERR", cost="1.00", opening=50)
    count = start_count(api)
    line = counted(api, "add", count.id, 5, BOB, sku="HIST-ERR")
    request = pb.ListCountItemEntriesRequest(inventory_count_id=count.id, count_item_id=line.id)
    expect_error(
        grpc.StatusCode.PERMISSION_DENIED, api.counts.ListCountItemEntries, request, metadata=STAFF
    )
    for count_id, line_id, reason in (
        (count.id, "no-such-line", "COUNT_ITEM_NOT_FOUND"),
        ("no-such-count", line.id, "INVENTORY_COUNT_NOT_FOUND"),
    ):
        wrong = pb.ListCountItemEntriesRequest(inventory_count_id=count_id, count_item_id=line_id)
        missing = expect_error(
            grpc.StatusCode.NOT_FOUND, api.counts.ListCountItemEntries, wrong, metadata=MANAGER
        )
        assert error_info(missing).reason == reason
    unnamed = pb.ListCountItemEntriesRequest(inventory_count_id=count.id)
    bad = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT, api.counts.ListCountItemEntries, unnamed, metadata=MANAGER
    )
    assert "count_item_id" in field_violations(bad)


def force(api: Clients, count_id: str, reason: str) -> pb.CompleteInventoryCountResponse:
    return api.counts.CompleteInventoryCount(
        pb.CompleteInventoryCountRequest(
            inventory_count_id=count_id, apply_adjustments=True, force_reason=reason
        ),
        metadata=MANAGER,
    )


def test_completion_waits_for_the_recounts_unless_forced_with_a_reason(api: Clients) -> None:
    short = create_product(api, "DONE-SHORT", cost="1.00", opening=100)
    over = create_product(api, "DONE-OVER", cost="1.00", opening=100)
    count = start_recount_count(api)
    first = counted(api, "add", count.id, 80, BOB, sku="DONE-SHORT")
    second = counted(api, "stream", count.id, 130, BOB, sku="DONE-OVER")
    assert get_count(api, count.id).pending_recounts == 2

    refused = expect_error(grpc.StatusCode.FAILED_PRECONDITION, complete, api, count.id)
    assert error_info(refused).reason == "RECOUNTS_PENDING"
    assert error_info(refused).metadata["pending_recounts"] == "2"
    violations = precondition_violations(refused)
    assert [v.subject for v in violations] == [f"countItems/{first.id}", f"countItems/{second.id}"]
    assert {v.type for v in violations} == {"RECOUNT_PENDING"}
    assert get_count(api, count.id).status == pb.INVENTORY_COUNT_STATUS_IN_PROGRESS
    assert level_of(api, short.id) == 100  # nothing applied

    counted(api, "add", count.id, 99, CAROL, sku="DONE-SHORT")
    assert get_count(api, count.id).pending_recounts == 1
    done = force(api, count.id, "aisle closed for repairs; recount next cycle")
    assert done.inventory_count.status == pb.INVENTORY_COUNT_STATUS_COMPLETED
    assert done.inventory_count.forced_completion_reason == (
        "aisle closed for repairs; recount next cycle"
    )
    assert level_of(api, short.id) == 99  # the recount's figure stands
    assert level_of(api, over.id) == 130


def test_a_count_with_every_recount_done_completes_without_a_reason(api: Clients) -> None:
    product = create_product(api, "DONE-ALL", cost="1.00", opening=100)
    count = start_recount_count(api)
    counted(api, "add", count.id, 80, BOB, sku="DONE-ALL")
    counted(api, "stream", count.id, 98, CAROL, sku="DONE-ALL")
    done = complete(api, count.id)
    assert done.inventory_count.forced_completion_reason == ""
    assert done.inventory_count.pending_recounts == 0
    assert level_of(api, product.id) == 98


def test_a_force_reason_must_not_be_blank_or_too_long(api: Clients) -> None:
    create_product(api, "DONE-BLANK", cost="1.00", opening=100)
    count = start_recount_count(api)
    counted(api, "add", count.id, 80, BOB, sku="DONE-BLANK")
    blank = expect_error(grpc.StatusCode.FAILED_PRECONDITION, force, api, count.id, "   ")
    assert error_info(blank).reason == "RECOUNTS_PENDING"
    long = expect_error(grpc.StatusCode.INVALID_ARGUMENT, force, api, count.id, "x" * 2001)
    assert "force_reason" in field_violations(long)
    assert get_count(api, count.id).status == pb.INVENTORY_COUNT_STATUS_IN_PROGRESS
