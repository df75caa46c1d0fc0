"""Blind counts: staff never see system quantities, variances or statistics; managers do."""

from __future__ import annotations

from decimal import Decimal

from inventory.v1 import inventory_count_pb2 as pb
from tests.helpers import (
    ADMIN,
    MANAGER,
    STAFF,
    Clients,
    add_item,
    as_decimal,
    create_product,
    get_count,
    list_items,
    start_count,
)

HIDDEN = ("system_quantity", "variance", "variance_value", "significant_discrepancy")


def test_staff_see_only_what_they_counted_on_a_blind_count(api: Clients) -> None:
    create_product(api, "BLIND-1", cost="5.00", opening=10)
    count = start_count(api, "Blind shelf count", blind=True)
    assert count.blind

    reply = add_item(api, count.id, 7, sku="BLIND-1")
    assert reply.counted_quantity == 7
    assert reply.sku == "BLIND-1"
    assert reply.counted_by == "sam-staff"
    assert [f for f in HIDDEN if reply.HasField(f)] == []

    [listed] = list_items(api, count.id, metadata=STAFF)
    assert listed.counted_quantity == 7
    assert [f for f in HIDDEN if listed.HasField(f)] == []

    seen_by_staff = get_count(api, count.id, metadata=STAFF)
    assert seen_by_staff.blind
    assert not seen_by_staff.HasField("statistics")
    [in_list] = api.counts.ListInventoryCounts(
        pb.ListInventoryCountsRequest(), metadata=STAFF
    ).inventory_counts
    assert in_list.id == count.id
    assert not in_list.HasField("statistics")
    staff_summary = api.counts.GetInventorySummary(pb.GetInventorySummaryRequest(), metadata=STAFF)
    assert staff_summary.overall.total_counts == 1
    assert staff_summary.overall.items_counted == 0  # the blind count's lines are left out
    assert as_decimal(staff_summary.overall.net_variance) == Decimal("0")


def test_managers_and_admins_see_everything_on_a_blind_count(api: Clients) -> None:
    create_product(api, "BLIND-2", cost="5.00", opening=10)
    count = start_count(api, "Blind shelf count", blind=True)
    add_item(api, count.id, 7, sku="BLIND-2")

    for metadata in (MANAGER, ADMIN):
        [line] = list_items(api, count.id, metadata=metadata)
        assert (line.system_quantity, line.variance) == (10, -3)
        assert as_decimal(line.variance_value) == Decimal("-15.00")
        assert line.HasField("significant_discrepancy")
        assert not line.significant_discrepancy
        stats = get_count(api, count.id, metadata=metadata).statistics
        assert (stats.items_counted, stats.items_with_discrepancy) == (1, 1)
        assert as_decimal(stats.value_missing) == Decimal("15.00")

    # A manager recording a line sees its figures in the reply.
    by_manager = add_item(api, count.id, 9, sku="BLIND-2", metadata=MANAGER)
    assert (by_manager.system_quantity, by_manager.variance) == (10, -1)
    summary = api.counts.GetInventorySummary(pb.GetInventorySummaryRequest(), metadata=MANAGER)
    assert summary.overall.items_counted == 1
    assert as_decimal(summary.overall.value_missing) == Decimal("5.00")


def test_staff_see_the_figures_of_a_count_that_is_not_blind(api: Clients) -> None:
    create_product(api, "OPEN-1", cost="5.00", opening=10)
    count = start_count(api, "Open shelf count")
    reply = add_item(api, count.id, 7, sku="OPEN-1")
    assert (reply.system_quantity, reply.variance) == (10, -3)
    assert as_decimal(reply.variance_value) == Decimal("-15.00")
    assert reply.HasField("significant_discrepancy")
    assert get_count(api, count.id, metadata=STAFF).statistics.items_counted == 1
