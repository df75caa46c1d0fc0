"""Cycle-count plans per site, on SQLite and PostgreSQL: each site classes the products it holds
by its own consumption, is due by its own counts, and is judged by its own accuracy."""

from __future__ import annotations

from typing import Any

import pytest

from inventory.v1 import inventory_count_pb2 as pb
from inventory.v1 import site_pb2
from tests.cycle_plan_support import A, B, C, due_list
from tests.helpers import MANAGER, Clients, add_item, complete, create_product
from tests.place_support import Places, places
from tests.test_counts_by_place import at, start_at

__all__ = ["places"]  # the fixture, used by name

STORE = site_pb2.SiteSelector(code="STORE-12")


@pytest.fixture
def sold(api: Clients, places: Places) -> dict[str, str]:
    """SKU -> product id. MAIN sells 900 of FAST and 100 of MID; STORE-12 (which holds no FAST)
    sells 900 of MID and 100 of SLOW. All cost 1.00."""
    store = places.site("STORE-12")
    shelf = places.location(store, "SHELF-1")
    main = places.default_of(places.main())
    ids = {sku: create_product(api, sku, cost="1.00").id for sku in ("FAST", "MID", "SLOW")}
    for sku, where, units in [
        ("FAST", main, 900),
        ("MID", main, 100),
        ("MID", shelf, 900),
        ("SLOW", shelf, 100),
    ]:
        places.stock(ids[sku], where, 1000)  # a receipt: inbound, never consumption
        places.stock(ids[sku], where, -units)  # sales
    return ids


def plan_of(api: Clients, **filters: Any) -> dict[str, Any]:
    return {p.sku: p.abc_class for p in due_list(api, include_not_due=True, **filters)}


def test_each_site_classes_the_products_it_holds_by_its_own_consumption(
    api: Clients, sold: dict[str, str]
) -> None:
    # MAIN (the default site, unless named): FAST 900 is A, MID 100 is B, SLOW sold nothing.
    assert plan_of(api) == {"FAST": A, "MID": B, "SLOW": C}
    assert plan_of(api, site=site_pb2.SiteSelector(code="MAIN")) == plan_of(api)
    # STORE-12 never held FAST: its plan is MID (900, A) and SLOW (100, B).
    assert plan_of(api, site=STORE) == {"MID": A, "SLOW": B}
    values = {p.sku: p.consumption_value.units for p in due_list(api, site=STORE)}
    assert values == {"MID": 900, "SLOW": 100}


def test_a_site_is_due_by_its_own_counts(
    api: Clients, places: Places, sold: dict[str, str]
) -> None:
    count = start_at(api, "Store MID", site="STORE-12", locations=[at("SHELF-1")])
    add_item(api, count.id, 100, sku="MID")
    complete(api, count.id)
    # Counted at the store: not due there for 30 days (class A); still due at MAIN.
    assert [p.sku for p in due_list(api, site=STORE)] == ["SLOW"]
    assert "MID" in [p.sku for p in due_list(api)]
    # A scoped start counts the site's own due products.
    scoped = start_at(api, "Store due", site="STORE-12", scope_due_products=True)
    assert scoped.scope_product_count == 1
    error_free = start_at(api, "Main due", scope_due_products=True, locations=[at("DEFAULT")])
    assert error_free.scope_product_count == 3


def test_accuracy_per_class_is_the_site_s_own(api: Clients, sold: dict[str, str]) -> None:
    count = start_at(api, "Store", site="STORE-12", locations=[at("SHELF-1")])
    add_item(api, count.id, 100, sku="MID")  # exact: 1000 in, 900 sold
    add_item(api, count.id, 800, sku="SLOW")  # 100 missing of 900: significant
    complete(api, count.id)

    def accuracy(**filters: Any) -> dict[Any, tuple[int, int]]:
        summary = api.counts.GetInventorySummary(
            pb.GetInventorySummaryRequest(**filters), metadata=MANAGER
        )
        return {
            c.abc_class: (c.items_counted, c.items_within_tolerance) for c in summary.by_abc_class
        }

    # At the store SLOW is B (its own consumption).
    assert accuracy(site=STORE) == {A: (1, 1), B: (1, 0), C: (0, 0)}
    # By the company's consumption (FAST 900, MID 1000, SLOW 100) SLOW is C.
    assert accuracy() == {A: (1, 1), B: (0, 0), C: (1, 0)}
