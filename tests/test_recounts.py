"""Recounts through a real channel, on SQLite and PostgreSQL, by AddCountItem and by the scanner
stream alike: lines flagged by significance or by a manager, recounted by someone else, blind to
the first figure for staff."""

from __future__ import annotations

import grpc
import pytest

from inventory.v1 import inventory_count_pb2 as pb
from tests.helpers import (
    ADD,
    MANAGER,
    STAFF,
    Clients,
    create_product,
    error_info,
    expect_error,
    field_violations,
    get_count,
    roundtrip,
    scan,
    start_count,
)
from tests.recount_support import (
    BOB,
    CAROL,
    COUNTED,
    DAVE,
    PATHS,
    RECOUNTED,
    REQUESTED,
    counted,
    history,
    line_of,
    record,
    request_recount,
    start_recount_count,
)

HIDDEN = ("system_quantity", "variance", "variance_value", "significant_discrepancy")
SAME_COUNTER = (grpc.StatusCode.PERMISSION_DENIED, "RECOUNT_BY_SAME_COUNTER")


@pytest.mark.parametrize("path", PATHS)
def test_a_significant_line_is_flagged_for_recount_and_a_small_one_is_not(
    api: Clients, path: str
) -> None:
    create_product(api, "FLAG-BIG", cost="1.00", opening=100)
    create_product(api, "FLAG-SMALL", cost="1.00", opening=100)
    count = start_recount_count(api)
    assert count.recount_significant

    record(api, path, count.id, 80, BOB, sku="FLAG-BIG")  # 20 short: significant
    record(api, path, count.id, 95, BOB, sku="FLAG-SMALL")  # 5 short: within tolerance

    big = line_of(api, count.id, "FLAG-BIG")
    assert (big.status, big.recount_requested_by, big.recount_reason) == (
        REQUESTED,
        "system",
        "significant discrepancy",
    )
    assert (big.counted_quantity, big.variance) == (80, -20)  # a manager sees the first figure
    assert line_of(api, count.id, "FLAG-SMALL").status == COUNTED
    assert (
        api.counts.GetInventoryCount(
            pb.GetInventoryCountRequest(inventory_count_id=count.id), metadata=MANAGER
        ).inventory_count.pending_recounts
        == 1
    )


def test_a_count_started_without_the_flag_marks_nothing(api: Clients) -> None:
    create_product(api, "NOFLAG", cost="1.00", opening=100)
    count = start_recount_count(api, flag=False)
    record(api, "add", count.id, 10, BOB, sku="NOFLAG")
    line = line_of(api, count.id, "NOFLAG")
    assert line.significant_discrepancy
    assert line.status == COUNTED


@pytest.mark.parametrize("path", PATHS)
def test_the_first_counter_cannot_recount_and_someone_else_replaces_the_figure(
    api: Clients, path: str
) -> None:
    create_product(api, "RECOUNT", cost="1.00", opening=100)
    count = start_recount_count(api)
    record(api, path, count.id, 80, BOB, sku="RECOUNT")

    assert record(api, path, count.id, 99, BOB, sku="RECOUNT", mode=ADD) == SAME_COUNTER
    assert line_of(api, count.id, "RECOUNT").counted_quantity == 80  # nothing changed

    # The recount's first entry replaces the figure, even in ADD mode; later ADDs add to it.
    first = counted(api, path, count.id, 97, CAROL, sku="RECOUNT", mode=ADD)
    assert (first.status, first.counted_quantity) == (RECOUNTED, 97)  # staff see their own figure
    assert (first.system_quantity, first.variance) == (100, -3)
    more = counted(api, path, count.id, 2, CAROL, sku="RECOUNT", mode=ADD)
    assert more.counted_quantity == 99
    # The first counter stays out of the recounted line; a third counter may add to it.
    assert record(api, path, count.id, 1, BOB, sku="RECOUNT", mode=ADD) == SAME_COUNTER
    assert counted(api, path, count.id, 1, DAVE, sku="RECOUNT", mode=ADD).counted_quantity == 100

    line = line_of(api, count.id, "RECOUNT")
    assert (line.status, line.counted_quantity, line.significant_discrepancy) == (
        RECOUNTED,
        100,
        False,
    )
    entries = history(api, count.id, line.id)
    assert [(e.counted_by, e.quantity, e.counted_quantity, e.recount) for e in entries] == [
        ("bob", 80, 80, False),
        ("carol", 97, 97, True),
        ("carol", 2, 99, True),
        ("dave", 1, 100, True),
    ]


def test_on_the_stream_a_refused_recount_entry_gets_its_error_and_the_rest_is_stored(
    api: Clients,
) -> None:
    create_product(api, "STREAM-R", cost="1.00", opening=100)
    create_product(api, "STREAM-OK", cost="1.00", opening=100)
    count = start_recount_count(api)
    record(api, "stream", count.id, 70, BOB, sku="STREAM-R")

    refused, stored = roundtrip(
        api,
        BOB,
        scan(count.id, sku="STREAM-R", quantity=5),
        scan(count.id, sku="STREAM-OK", quantity=100),
    )
    assert refused.WhichOneof("result") == "error"
    assert refused.error.code == grpc.StatusCode.PERMISSION_DENIED.value[0]
    assert stored.item.counted_quantity == 100
    assert line_of(api, count.id, "STREAM-R").counted_quantity == 70


def test_a_recounted_line_is_not_flagged_again_though_still_significant(api: Clients) -> None:
    create_product(api, "STANDS", cost="1.00", opening=100)
    count = start_recount_count(api)
    record(api, "add", count.id, 80, BOB, sku="STANDS")
    recounted = counted(api, "stream", count.id, 81, CAROL, sku="STANDS")
    assert (recounted.status, recounted.significant_discrepancy) == (RECOUNTED, True)
    assert line_of(api, count.id, "STANDS").status == RECOUNTED


def test_staff_recount_blind_to_the_first_figure_even_on_an_open_count(api: Clients) -> None:
    create_product(api, "BLINDR", cost="1.00", opening=100)
    count = start_recount_count(api)
    assert not count.blind
    record(api, "add", count.id, 80, BOB, sku="BLINDR")

    for staff in (CAROL, BOB):
        seen = line_of(api, count.id, "BLINDR", metadata=staff)
        assert (seen.status, seen.counted_quantity) == (REQUESTED, 0)
        assert [f for f in HIDDEN if seen.HasField(f)] == []
    seen_by_manager = line_of(api, count.id, "BLINDR")
    assert (seen_by_manager.counted_quantity, seen_by_manager.system_quantity) == (80, 100)
    # Nor do the count's totals give the first figure away while the recount is pending.
    assert not get_count(api, count.id, metadata=CAROL).HasField("statistics")
    assert get_count(api, count.id).statistics.items_with_discrepancy == 1

    record(api, "add", count.id, 90, CAROL, sku="BLINDR")
    after = line_of(api, count.id, "BLINDR", metadata=STAFF)  # recounted: shown as usual
    assert (after.counted_quantity, after.system_quantity) == (90, 100)
    assert get_count(api, count.id, metadata=CAROL).statistics.items_counted == 1


@pytest.mark.parametrize("path", PATHS)
def test_a_manager_requests_a_recount_of_chosen_lines(api: Clients, path: str) -> None:
    create_product(api, "ASK-1", cost="1.00", opening=10)
    create_product(api, "ASK-2", cost="1.00", opening=10)
    count = start_count(api)  # recount_significant off: only the manager asks
    one = counted(api, path, count.id, 9, BOB, sku="ASK-1")
    counted(api, path, count.id, 10, BOB, sku="ASK-2")

    [asked] = request_recount(api, count.id, one.id, one.id, reason="shelf looked fuller")
    assert (asked.id, asked.status, asked.recount_requested_by, asked.recount_reason) == (
        one.id,
        REQUESTED,
        "mia-manager",
        "shelf looked fuller",
    )
    assert line_of(api, count.id, "ASK-2").status == COUNTED
    assert record(api, path, count.id, 12, BOB, sku="ASK-1") == SAME_COUNTER
    recount = counted(api, path, count.id, 12, CAROL, sku="ASK-1")
    assert (recount.status, recount.counted_quantity) == (RECOUNTED, 12)

    # Asked again: everyone who counted it so far has counted it before this request.
    request_recount(api, count.id, one.id)
    assert record(api, path, count.id, 11, CAROL, sku="ASK-1") == SAME_COUNTER
    again = counted(api, path, count.id, 11, DAVE, sku="ASK-1")
    assert again.counted_quantity == 11


def test_recount_requests_that_cannot_be_met_change_nothing(api: Clients) -> None:
    create_product(api, "REQ-ERR", cost="1.00", opening=10)
    count = start_count(api)
    line = counted(api, "add", count.id, 10, BOB, sku="REQ-ERR")

    missing = expect_error(
        grpc.StatusCode.NOT_FOUND, request_recount, api, count.id, line.id, "no-such-line"
    )
    assert error_info(missing).reason == "COUNT_ITEM_NOT_FOUND"
    assert line_of(api, count.id, "REQ-ERR").status == COUNTED  # the known one is untouched
    denied = expect_error(
        grpc.StatusCode.PERMISSION_DENIED, request_recount, api, count.id, line.id, metadata=STAFF
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    empty = expect_error(grpc.StatusCode.INVALID_ARGUMENT, request_recount, api, count.id)
    assert "count_item_ids" in field_violations(empty)
    too_many = [f"line-{i}" for i in range(1001)]
    bulk = expect_error(grpc.StatusCode.INVALID_ARGUMENT, request_recount, api, count.id, *too_many)
    assert field_violations(bulk)["count_item_ids"] == "at most 1000 lines"
    unknown_count = expect_error(grpc.StatusCode.NOT_FOUND, request_recount, api, "nope", line.id)
    assert error_info(unknown_count).reason == "INVENTORY_COUNT_NOT_FOUND"

    api.counts.CancelInventoryCount(
        pb.CancelInventoryCountRequest(inventory_count_id=count.id), metadata=MANAGER
    )
    closed = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION, request_recount, api, count.id, line.id
    )
    assert error_info(closed).reason == "COUNT_NOT_IN_PROGRESS"
    assert line_of(api, count.id, "REQ-ERR").status == COUNTED
