"""Cycle-count plans through a real channel, on SQLite and PostgreSQL: ABC classes from the
ledger, the due list (order, class filter, paging) and record accuracy per class."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import grpc
from sqlalchemy import text

from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.db.engine import create_db_engine
from inventory_service.domain.cycle_plan import CyclePlan, classify
from tests.cycle_plan_support import EXPECTED, A, B, C, abc_catalog, due_list
from tests.helpers import (
    MANAGER,
    OTHER_MANAGER,
    STAFF,
    Clients,
    add_item,
    as_decimal,
    complete,
    create_product,
    expect_error,
    field_violations,
    move,
    pages,
    start_count,
)


def test_abc_classes_are_the_top_80_then_15_percent_of_consumption_value(api: Clients) -> None:
    ids = abc_catalog(api)
    plan = {p.sku: p for p in due_list(api, include_not_due=True)}
    assert {sku: p.abc_class for sku, p in plan.items()} == EXPECTED
    assert {sku: as_decimal(p.consumption_value) for sku, p in plan.items()} == {
        "ABC-1": Decimal(500),
        "ABC-2": Decimal(300),
        "ABC-3": Decimal(100),
        "ABC-4": Decimal(60),
        "ABC-5": Decimal(40),
        "ABC-6": Decimal(0),
    }
    # The SQL classes are the domain rule's, applied to the same values.
    values = [(ids[sku], int(as_decimal(p.consumption_value))) for sku, p in plan.items()]
    by_rule = classify(values, CyclePlan())
    assert {sku: by_rule[ids[sku]].value for sku in plan} == {
        sku: pb.AbcClass.Name(c).removeprefix("ABC_CLASS_") for sku, c in EXPECTED.items()
    }


def test_value_is_units_times_cost_and_only_inside_the_window(
    api: Clients, database_url: str
) -> None:
    dear = create_product(api, "DEAR", cost="10.00", opening=100)
    cheap = create_product(api, "CHEAP", cost="0.50", opening=1000)
    old = create_product(api, "OLD-SELLER", cost="1.00", opening=5000)
    move(api, dear.id, -9)  # 90.00
    move(api, cheap.id, -20)  # 10.00
    move(api, old.id, -4000)  # 4,000.00, but 400 days ago: outside the 365-day window
    engine = create_db_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE stock_ledger SET created_at = :t "
                "WHERE product_id = :p AND source = 'MOVEMENT'"
            ),
            {"t": (datetime.now(UTC) - timedelta(days=400)).replace(tzinfo=None), "p": old.id},
        )
    engine.dispose()
    plan = {p.sku: p for p in due_list(api, include_not_due=True)}
    assert {sku: as_decimal(p.consumption_value) for sku, p in plan.items()} == {
        "DEAR": Decimal(90),
        "CHEAP": Decimal(10),
        "OLD-SELLER": Decimal(0),
    }
    # before: DEAR 0 (A), CHEAP 90 of 100 (B: 90 < 95), OLD-SELLER no consumption (C).
    assert {sku: p.abc_class for sku, p in plan.items()} == {"DEAR": A, "CHEAP": B, "OLD-SELLER": C}


def test_never_counted_products_are_due_since_creation_in_due_time_then_id_order(
    api: Clients,
) -> None:
    abc_catalog(api)
    due = due_list(api)
    assert len(due) == 6
    keys = [(p.due_time.ToDatetime(), p.product_id) for p in due]
    assert keys == sorted(keys)
    assert all(not p.HasField("last_count_time") for p in due)
    assert all(p.days_overdue == 0 for p in due)  # created moments ago
    assert {p.sku for p in due_list(api, abc_class=A)} == {"ABC-1", "ABC-2"}
    assert {p.sku for p in due_list(api, abc_class=C)} == {"ABC-5", "ABC-6"}


def test_a_completed_count_makes_its_products_due_after_their_class_frequency(
    api: Clients,
) -> None:
    ids = abc_catalog(api)
    count = start_count(api)
    add_item(api, count.id, 750, product_id=ids["ABC-1"])  # class A: due again in 30 days
    add_item(api, count.id, 1150, product_id=ids["ABC-5"])  # class C: in 180 days
    complete(api, count.id)
    assert {p.sku for p in due_list(api)} == {"ABC-2", "ABC-3", "ABC-4", "ABC-6"}
    plan = {p.sku: p for p in due_list(api, include_not_due=True)}
    for sku, days in (("ABC-1", 30), ("ABC-5", 180)):
        counted = plan[sku].last_count_time.ToDatetime()
        assert plan[sku].due_time.ToDatetime() - counted < timedelta(days=days, seconds=1)
        assert plan[sku].due_time.ToDatetime() - counted > timedelta(days=days, seconds=-1)
        assert plan[sku].days_overdue == -days
    # Most overdue first: the never-counted products (due since creation), then A, then C.
    assert [p.sku for p in due_list(api, include_not_due=True)][-2:] == ["ABC-1", "ABC-5"]


def test_a_cancelled_count_leaves_products_due(api: Clients) -> None:
    ids = abc_catalog(api)
    count = start_count(api)
    add_item(api, count.id, 750, product_id=ids["ABC-1"])
    api.counts.CancelInventoryCount(
        pb.CancelInventoryCountRequest(inventory_count_id=count.id), metadata=MANAGER
    )
    assert "ABC-1" in {p.sku for p in due_list(api)}


def test_the_due_list_pages_in_order_and_tokens_keep_their_filters(api: Clients) -> None:
    abc_catalog(api)
    whole = due_list(api, include_not_due=True)
    request = pb.ListProductsDueForCountRequest(include_not_due=True, page_size=4)
    paged = pages(api.counts.ListProductsDueForCount, request, "products")
    assert [len(page) for page in paged] == [4, 2]
    assert [p.product_id for page in paged for p in page] == [p.product_id for p in whole]
    first = api.counts.ListProductsDueForCount(request, metadata=STAFF)
    other = pb.ListProductsDueForCountRequest(
        abc_class=B, page_size=4, page_token=first.next_page_token
    )
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT, api.counts.ListProductsDueForCount, other, metadata=STAFF
    )
    assert "page_token" in field_violations(error)


def test_accuracy_per_class_over_the_counted_lines(api: Clients) -> None:
    ids = abc_catalog(api)
    count = start_count(api)
    add_item(api, count.id, 750, product_id=ids["ABC-1"])  # exact
    add_item(api, count.id, 650, product_id=ids["ABC-2"])  # 300 short: significant
    add_item(api, count.id, 1148, product_id=ids["ABC-3"])  # 2 short: within tolerance
    complete(api, count.id)
    summary = api.counts.GetInventorySummary(pb.GetInventorySummaryRequest(), metadata=MANAGER)
    by_class = {
        c.abc_class: (c.items_counted, c.items_within_tolerance, c.accuracy)
        for c in summary.by_abc_class
    }
    assert [c.abc_class for c in summary.by_abc_class] == [A, B, C]
    assert by_class == {A: (2, 1, 0.5), B: (1, 1, 1.0), C: (0, 0, 1.0)}


def test_accuracy_per_class_has_all_three_classes_with_no_counts(api: Clients) -> None:
    summary = api.counts.GetInventorySummary(
        pb.GetInventorySummaryRequest(), metadata=OTHER_MANAGER
    )
    assert [(c.abc_class, c.items_counted, c.accuracy) for c in summary.by_abc_class] == [
        (A, 0, 1.0),
        (B, 0, 1.0),
        (C, 0, 1.0),
    ]
