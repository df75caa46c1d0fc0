"""Stock by place under real parallelism on PostgreSQL: transfers crossing each other's levels
in opposite orders never deadlock and never lose or make a unit; a location deactivated while
stock arrives in it never ends inactive holding stock."""

from __future__ import annotations

from collections.abc import Callable

import grpc

from inventory.v1 import catalog_pb2, site_pb2
from tests.helpers import (
    ADMIN,
    Clients,
    create_product,
    error_info,
    get_product,
)
from tests.place_helpers import (
    at,
    audit,
    create_location,
    levels_by_place,
    line,
    receive,
    transfer,
)
from tests.test_adjustments_concurrency import all_at_once, api

__all__ = ["api"]  # the fixture (a PostgreSQL server with workers enough to overlap)


def test_transfers_crossing_in_opposite_orders_never_deadlock_nor_lose_a_unit(
    api: Clients, postgres_url: str
) -> None:
    create_location(api, "MAIN", "A")
    create_location(api, "MAIN", "B")
    first = create_product(api, "CROSS-1")
    second = create_product(api, "CROSS-2")
    a, b = at("MAIN", "A"), at("MAIN", "B")
    for product in (first, second):
        receive(api, product.id, 30, a)
        receive(api, product.id, 30, b)

    def call(flip: bool) -> Callable[[], object]:
        lines = [line(first.id, a, b, 2), line(second.id, b, a, 2)]
        return lambda: transfer(api, *(reversed(lines) if flip else lines))

    results = all_at_once([call(i % 2 == 1) for i in range(24)])
    failures = [r for r in results if isinstance(r, grpc.RpcError)]
    # Some may find a source empty (stock never goes below zero); none deadlocks.
    assert all(error_info(f).reason == "INSUFFICIENT_STOCK" for f in failures), [
        (f.code(), f.details()) for f in failures
    ]
    assert len(failures) < len(results)
    for product in (first, second):
        assert get_product(api, product.id).stock_quantity == 60
        assert all(q >= 0 for q in levels_by_place(api, product.id).values())
    checked = audit(postgres_url)
    assert checked.ok, checked.problems
    assert checked.transfers == 2 * (len(results) - len(failures))


def test_a_location_deactivated_while_stock_arrives_never_ends_inactive_holding_stock(
    api: Clients,
) -> None:
    product = create_product(api, "RACE-1")
    for round_ in range(4):
        bin_ = create_location(api, "MAIN", f"BIN-{round_}")

        def deactivate(location_id: str = bin_.id) -> object:
            return api.sites.UpdateLocation(
                site_pb2.UpdateLocationRequest(
                    location=site_pb2.Location(id=location_id, active=False),
                    update_mask={"paths": ["active"]},
                ),
                metadata=ADMIN,
            )

        def arrive(code: str = bin_.code) -> catalog_pb2.LedgerEntry:
            return receive(api, product.id, 1, at("MAIN", code))

        results = all_at_once([deactivate] + [arrive] * 8)
        refusals = {error_info(r).reason for r in results if isinstance(r, grpc.RpcError)}
        assert refusals <= {"LOCATION_HOLDS_STOCK", "LOCATION_INACTIVE"}, refusals
        listed = api.sites.ListLocations(
            site_pb2.ListLocationsRequest(show_inactive=True), metadata=ADMIN
        ).locations
        [now] = [loc for loc in listed if loc.id == bin_.id]
        held = levels_by_place(api, product.id).get(f"MAIN/{bin_.code}", 0)
        assert now.active or held == 0, f"round {round_}: inactive, holding {held}"
