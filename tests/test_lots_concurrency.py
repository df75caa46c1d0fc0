"""A change of tracking racing stock changes on PostgreSQL, from real threads: the product row
lock orders them, so a product never ends lot-tracked with unbatched stock, nor untracked with
stock in batches, whichever wins."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import grpc
import pytest

from inventory.v1 import catalog_pb2
from tests.helpers import (
    LOT,
    NONE,
    Clients,
    ServerThread,
    clients,
    create_batch,
    create_product,
    error_info,
    get_product,
    move,
    set_tracking,
    test_settings,
)
from tests.test_adjustments_concurrency import all_at_once

ROUNDS = 8


@pytest.fixture
def api(postgres_url: str) -> Iterator[Clients]:
    server = ServerThread(replace(test_settings(postgres_url), db_workers=8)).start()
    try:
        with clients(server.port) as c:
            yield c
    finally:
        server.stop()


def held_the_wrong_way(product: catalog_pb2.Product) -> list[catalog_pb2.StockLevel]:
    batched = product.tracking == LOT
    return [lv for lv in product.stock_levels if lv.quantity and bool(lv.batch_id) != batched]


def test_becoming_lot_tracked_races_an_unbatched_receipt(api: Clients) -> None:
    for i in range(ROUNDS):
        product = create_product(api, f"RACE-{i}")
        results = all_at_once(
            [
                lambda pid=product.id: set_tracking(api, pid, LOT),
                lambda pid=product.id: move(api, pid, 5),
            ]
        )
        refused = [r for r in results if isinstance(r, grpc.RpcError)]
        assert len(refused) == 1, results  # one of them, whichever came second
        assert error_info(refused[0]).reason in {"TRACKING_CHANGE_WITH_STOCK", "BATCH_REQUIRED"}
        assert held_the_wrong_way(get_product(api, product.id)) == []


def test_leaving_lot_tracking_races_a_new_batch(api: Clients) -> None:
    for i in range(ROUNDS):
        product = create_product(api, f"RACE-LOT-{i}", tracking=LOT)
        results = all_at_once(
            [
                lambda pid=product.id: set_tracking(api, pid, NONE),
                lambda pid=product.id: create_batch(api, pid, "L-1", opening=3),
            ]
        )
        refused = [r for r in results if isinstance(r, grpc.RpcError)]
        assert len(refused) == 1, results
        assert error_info(refused[0]).reason in {
            "TRACKING_CHANGE_WITH_STOCK",
            "PRODUCT_NOT_LOT_TRACKED",
        }
        assert held_the_wrong_way(get_product(api, product.id)) == []
