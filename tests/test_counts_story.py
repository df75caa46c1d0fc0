"""The whole life of a cycle count, from start to completion and summary, through the API."""

from __future__ import annotations

import logging
from decimal import Decimal

import grpc
import pytest
from google.protobuf import timestamp_pb2

from inventory.v1 import catalog_pb2, stock_adjustment_pb2
from inventory.v1 import inventory_count_pb2 as pb
from tests.helpers import (
    ADD,
    LOT,
    MANAGER,
    OTHER_STAFF,
    SPOT,
    STAFF,
    Clients,
    add_item,
    as_decimal,
    complete,
    create_batch,
    create_product,
    error_info,
    expect_error,
    get_count,
    ledger_of,
    level_of,
    list_items,
    move,
    precondition_violations,
    start_count,
)


def test_cycle_count_from_start_to_summary(api: Clients) -> None:
    a = create_product(api, "STORY-A", cost="2.50", opening=40)
    b = create_product(api, "STORY-B", cost="12.50", opening=20)
    c = create_product(api, "STORY-C", cost="0.75", opening=30)
    d = create_product(api, "STORY-D", cost="4.00", opening=50)
    e = create_product(api, "STORY-E", cost="1.10", tracking=LOT)
    e_lot = create_batch(api, e.id, "L1", opening=100)
    f = create_product(api, "STORY-F", cost="3.00", opening=25)

    count = start_count(api, "Aisle 3 cycle count")
    assert count.status == pb.INVENTORY_COUNT_STATUS_IN_PROGRESS
    assert count.type == pb.INVENTORY_COUNT_TYPE_CYCLE
    assert count.started_by == "mia-manager"

    # Matching, short (by value over the threshold), over, a recount, an ADD, a short line.
    matching = add_item(api, count.id, 40, sku="STORY-A")
    assert (matching.system_quantity, matching.variance) == (40, 0)
    assert as_decimal(matching.variance_value) == Decimal("0")
    assert not matching.significant_discrepancy

    short = add_item(api, count.id, 12, sku="STORY-B", reason="shelf half empty")
    assert (short.system_quantity, short.counted_quantity, short.variance) == (20, 12, -8)
    assert as_decimal(short.variance_value) == Decimal("-100.00")
    assert short.significant_discrepancy  # |value| >= 100.00
    assert short.sku == "STORY-B"
    assert short.counted_by == "sam-staff"
    assert short.HasField("count_time")

    over = add_item(api, count.id, 33, product_id=c.id)
    assert (over.variance, as_decimal(over.variance_value)) == (3, Decimal("2.25"))
    assert not over.significant_discrepancy

    first = add_item(api, count.id, 45, sku="STORY-D")
    assert first.variance == -5
    recount = add_item(api, count.id, 52, sku="STORY-D", metadata=OTHER_STAFF)
    assert recount.id == first.id
    assert (recount.counted_quantity, recount.variance) == (52, 2)
    assert as_decimal(recount.variance_value) == Decimal("8.00")
    assert recount.counted_by == "sue-staff"

    shelf_one = add_item(api, count.id, 60, sku="STORY-E", lot_number="L1", mode=ADD)
    assert shelf_one.counted_quantity == 60
    shelf_two = add_item(api, count.id, 28, sku="STORY-E", batch_id=e_lot.id, mode=ADD)
    assert shelf_two.id == shelf_one.id
    assert shelf_two.batch_id == e_lot.id
    assert (shelf_two.counted_quantity, shelf_two.variance) == (88, -12)
    assert as_decimal(shelf_two.variance_value) == Decimal("-13.20")
    assert shelf_two.significant_discrepancy  # |variance| >= 10 units

    scanned = add_item(api, count.id, 22, sku="STORY-F")
    assert (scanned.system_quantity, scanned.variance) == (25, -3)
    # A sale after the scan: completion must not undo it.
    move(api, f.id, -5)

    stats = get_count(api, count.id).statistics
    assert stats.items_counted == 6
    assert stats.items_with_discrepancy == 5
    assert as_decimal(stats.value_missing) == Decimal("122.20")  # 100.00 + 13.20 + 9.00
    assert as_decimal(stats.value_in_excess) == Decimal("10.25")  # 2.25 + 8.00
    assert as_decimal(stats.net_variance) == Decimal("-111.95")
    assert stats.value_missing.currency_code == "USD"

    lines = list_items(api, count.id)
    assert [line.sku for line in lines] == [
        "STORY-A",
        "STORY-B",
        "STORY-C",
        "STORY-D",
        "STORY-E",
        "STORY-F",
    ]
    assert [line.counted_quantity for line in lines] == [40, 12, 33, 52, 88, 22]

    review = api.counts.ListDiscrepancies(
        pb.ListDiscrepanciesRequest(inventory_count_id=count.id), metadata=MANAGER
    ).items
    assert [(line.sku, line.variance) for line in review] == [("STORY-E", -12), ("STORY-B", -8)]

    error = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        api.counts.StartInventoryCount,
        pb.StartInventoryCountRequest(name="Another", type=SPOT),
        metadata=MANAGER,
    )
    assert error_info(error).reason == "COUNT_IN_PROGRESS"
    [violation] = precondition_violations(error)
    assert violation.subject == f"inventoryCounts/{count.id}"
    assert "Aisle 3 cycle count" in violation.description

    done = complete(api, count.id, notes="variances booked")
    assert done.inventory_count.status == pb.INVENTORY_COUNT_STATUS_COMPLETED
    assert done.inventory_count.completed_by == "mia-manager"
    assert done.inventory_count.close_notes == "variances booked"
    assert done.inventory_count.statistics == stats
    assert [(m.item.sku, m.item.system_quantity, m.current_quantity) for m in done.moved_items] == [
        ("STORY-F", 25, 20)
    ]
    assert list(done.uncounted_levels) == []  # only FULL and ANNUAL counts list them

    by_product = {adj.product_id: adj for adj in done.adjustments}
    assert len(done.adjustments) == 5  # one per line that differs; none for STORY-A
    expected = {
        b.id: (-8, "-100.00", 20, 12),
        c.id: (3, "2.25", 30, 33),
        d.id: (2, "8.00", 50, 52),
        e.id: (-12, "-13.20", 100, 88),
        f.id: (-3, "-9.00", 20, 17),  # the difference, applied after the sale
    }
    assert set(by_product) == set(expected)
    for product_id, (change, impact, before, after) in expected.items():
        adj = by_product[product_id]
        assert adj.type == stock_adjustment_pb2.STOCK_ADJUSTMENT_TYPE_CORRECTION
        assert adj.status == stock_adjustment_pb2.STOCK_ADJUSTMENT_STATUS_APPLIED
        assert not adj.requires_approval
        assert adj.created_by == adj.decided_by == "mia-manager"
        assert adj.HasField("decide_time")
        assert adj.inventory_count_id == count.id
        assert "Aisle 3 cycle count" in adj.reason
        assert adj.quantity_change == change
        assert as_decimal(adj.cost_impact) == Decimal(impact)
        assert (adj.quantity_before, adj.quantity_after) == (before, after)
    assert by_product[e.id].batch_id == e_lot.id
    # The adjustments service shows the same CORRECTION rows.
    stored = api.adjustments.ListStockAdjustments(
        stock_adjustment_pb2.ListStockAdjustmentsRequest(
            type=stock_adjustment_pb2.STOCK_ADJUSTMENT_TYPE_CORRECTION
        ),
        metadata=STAFF,
    ).stock_adjustments
    assert sorted(a.id for a in stored) == sorted(a.id for a in done.adjustments)
    assert {a.inventory_count_id for a in stored} == {count.id}

    assert level_of(api, a.id) == 40
    assert level_of(api, b.id) == 12
    assert level_of(api, c.id) == 33
    assert level_of(api, d.id) == 52
    assert level_of(api, e.id, e_lot.id) == 88
    assert level_of(api, f.id) == 17
    for product_id, batch_id in [(b.id, ""), (c.id, ""), (d.id, ""), (e.id, e_lot.id), (f.id, "")]:
        entries = ledger_of(api, product_id, batch_id)
        assert sum(entry.quantity_delta for entry in entries) == level_of(api, product_id, batch_id)
        [from_count] = [x for x in entries if x.source == catalog_pb2.LEDGER_SOURCE_COUNT]
        assert from_count.inventory_count_id == count.id
        assert from_count.stock_adjustment_id == by_product[product_id].id
        assert from_count.quantity_delta == expected[product_id][0]
        assert from_count.actor == "mia-manager"
    assert not [x for x in ledger_of(api, a.id) if x.source == catalog_pb2.LEDGER_SOURCE_COUNT]

    # Completed: no more lines, and a new count can start. This one is cancelled.
    late = expect_error(
        grpc.StatusCode.FAILED_PRECONDITION,
        api.counts.AddCountItem,
        pb.AddCountItemRequest(
            inventory_count_id=count.id,
            product=catalog_pb2.ProductSelector(sku="STORY-A"),
            counted_quantity=1,
        ),
        metadata=STAFF,
    )
    assert error_info(late).reason == "COUNT_NOT_IN_PROGRESS"
    spot = start_count(api, "Spot check", SPOT)
    add_item(api, spot.id, 41, sku="STORY-A")  # +1 at 2.50
    api.counts.CancelInventoryCount(
        pb.CancelInventoryCountRequest(inventory_count_id=spot.id, notes="wrong aisle"),
        metadata=MANAGER,
    )

    summary = api.counts.GetInventorySummary(pb.GetInventorySummaryRequest(), metadata=STAFF)
    overall = summary.overall
    assert (overall.total_counts, overall.completed_counts, overall.cancelled_counts) == (2, 1, 1)
    assert overall.in_progress_counts == 0
    assert (overall.items_counted, overall.items_with_discrepancy) == (7, 6)
    assert overall.accuracy == 1 / 7
    assert as_decimal(overall.value_missing) == Decimal("122.20")
    assert as_decimal(overall.value_in_excess) == Decimal("12.75")
    assert as_decimal(overall.net_variance) == Decimal("-109.45")
    per_type = {t.type: t.figures for t in summary.by_type}
    assert set(per_type) == {pb.INVENTORY_COUNT_TYPE_CYCLE, pb.INVENTORY_COUNT_TYPE_SPOT}
    cycle = per_type[pb.INVENTORY_COUNT_TYPE_CYCLE]
    assert (cycle.total_counts, cycle.completed_counts, cycle.items_counted) == (1, 1, 6)
    assert cycle.items_with_discrepancy == stats.items_with_discrepancy
    assert cycle.accuracy == 1 / 6
    assert as_decimal(cycle.value_missing) == as_decimal(stats.value_missing)
    assert as_decimal(cycle.value_in_excess) == as_decimal(stats.value_in_excess)
    assert as_decimal(cycle.net_variance) == as_decimal(stats.net_variance)
    spot_figures = per_type[pb.INVENTORY_COUNT_TYPE_SPOT]
    assert (spot_figures.total_counts, spot_figures.cancelled_counts) == (1, 1)
    assert as_decimal(spot_figures.net_variance) == Decimal("2.50")

    # The range selects counts by start time: before the first count there is nothing.
    before = timestamp_pb2.Timestamp()
    before.FromDatetime(count.start_time.ToDatetime().replace(year=2000))
    empty = api.counts.GetInventorySummary(
        pb.GetInventorySummaryRequest(start_time_to=before), metadata=STAFF
    )
    assert empty.overall.total_counts == 0
    assert empty.overall.accuracy == 1.0
    assert list(empty.by_type) == []
    only_spot = api.counts.GetInventorySummary(
        pb.GetInventorySummaryRequest(start_time_from=spot.start_time), metadata=STAFF
    )
    assert only_spot.overall.total_counts == 1
    assert [t.type for t in only_spot.by_type] == [pb.INVENTORY_COUNT_TYPE_SPOT]


def test_significant_discrepancies_are_logged_once_with_their_figures(
    api: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    create_product(api, "LOG-BIG", cost="1.00", opening=50)
    create_product(api, "LOG-SMALL", cost="1.00", opening=50)
    count = start_count(api)
    caplog.set_level(logging.WARNING, logger="inventory_service.discrepancies")
    add_item(api, count.id, 49, sku="LOG-SMALL")
    big = add_item(api, count.id, 30, sku="LOG-BIG", request_id="scan-big")
    add_item(api, count.id, 30, sku="LOG-BIG", request_id="scan-big")  # a retry: not logged

    logged = [r for r in caplog.records if r.name == "inventory_service.discrepancies"]
    assert len(logged) == 1
    assert logged[0].levelno == logging.WARNING
    fields = logged[0].fields  # type: ignore[attr-defined]
    assert fields["count_item_id"] == big.id
    assert fields["inventory_count_id"] == count.id
    assert (fields["system_quantity"], fields["counted_quantity"], fields["variance"]) == (
        50,
        30,
        -20,
    )
    assert fields["variance_value"] == "-20.000000"
    assert fields["counted_by"] == "sam-staff"


def test_a_summary_of_completed_counts_leaves_a_cancelled_typo_out(api: Clients) -> None:
    """A cancelled count's lines were never applied: a summary asked for COMPLETED counts (the
    CLI's default) must not take its figures as the site's accuracy."""
    create_product(api, "TYPO-1", cost="2.00", opening=10)
    done = start_count(api, "Done", SPOT)
    add_item(api, done.id, 10, sku="TYPO-1")
    complete(api, done.id)
    typo = start_count(api, "Typo", SPOT)
    add_item(api, typo.id, 1_000_000, sku="TYPO-1")
    api.counts.CancelInventoryCount(
        pb.CancelInventoryCountRequest(inventory_count_id=typo.id), metadata=MANAGER
    )

    def summary(status: pb.InventoryCountStatus.ValueType) -> pb.GetInventorySummaryResponse:
        request = pb.GetInventorySummaryRequest(status=status)
        return api.counts.GetInventorySummary(request, metadata=STAFF)

    completed = summary(pb.INVENTORY_COUNT_STATUS_COMPLETED)
    assert (completed.overall.total_counts, completed.overall.items_counted) == (1, 1)
    assert completed.overall.accuracy == 1.0
    assert as_decimal(completed.overall.value_in_excess) == Decimal("0")
    [abc] = [c for c in completed.by_abc_class if c.items_counted]
    assert abc.items_counted == 1
    every = summary(pb.INVENTORY_COUNT_STATUS_UNSPECIFIED)
    assert (every.overall.total_counts, every.overall.cancelled_counts) == (2, 1)
    assert as_decimal(every.overall.value_in_excess) == Decimal("1999980.00")
    cancelled = summary(pb.INVENTORY_COUNT_STATUS_CANCELLED)
    assert cancelled.overall.accuracy == 0.0
