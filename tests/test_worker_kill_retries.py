"""Killing a worker under load (`serve --workers 2`): every call the Python client makes that is
safe to retry (reads, writes with a request_id) ends well, whether the connection's reset shows
as UNAVAILABLE or as a transport INTERNAL, and each write is applied once (issue 16)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.processes import ServerProcess, clean_env
from inventory.v1 import catalog_pb2
from inventory_client import InventoryClient, InventoryError
from inventory_service.domain.identity import Role
from tests.helpers import TEST_SECRET, money, token

CALLERS = 8
KILLS = 3


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[ServerProcess]:
    args = ["--listen", "127.0.0.1:0", "--workers", "2"]
    args += ["--database-url", f"sqlite:///{tmp_path / 'inventory.db'}"]
    env = clean_env(INVENTORY_JWT_SECRET=TEST_SECRET)
    keep = lambda record: record.get("message") != "rpc"  # noqa: E731
    with ServerProcess("kill-under-load", args, env, tmp_path, keep=keep) as server:
        server.wait_for(lambda r: len(server.messages("serving")) >= 2)
        yield server


def test_calls_safe_to_retry_survive_a_worker_killed_under_load(workers: ServerProcess) -> None:
    address = f"127.0.0.1:{workers.port}"
    with InventoryClient(address, token(Role.ADMIN, "kill-admin")) as admin:
        product = admin.create_product(
            catalog_pb2.CreateProductRequest(
                product=catalog_pb2.Product(sku="KILL-1", name="kill", unit_cost=money("1.00")),
                opening_quantity=100,
            )
        ).product
    selector = catalog_pb2.ProductSelector(id=product.id)
    stop = threading.Event()
    failures: list[InventoryError] = []
    moved = [0] * CALLERS

    def caller(index: int) -> None:
        # A client (its own connection) per caller: the kernel spreads them over the workers.
        with InventoryClient(address, token(Role.STAFF, f"till-{index}")) as client:
            while not stop.is_set():
                try:
                    client.get_product(catalog_pb2.GetProductRequest(product=selector))
                    client.record_stock_movements(
                        catalog_pb2.RecordStockMovementsRequest(
                            movements=[
                                catalog_pb2.StockMovement(
                                    product_id=product.id,
                                    quantity_delta=1,
                                    source_reference=f"till-{index}",
                                )
                            ]
                        )
                    )
                    moved[index] += 1
                except InventoryError as error:
                    failures.append(error)

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(CALLERS)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(KILLS):
            time.sleep(1.5)
            mark = len(workers.records)
            victim = workers.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            workers.wait_for(lambda r: r.get("message") == "worker started", after=mark, timeout=30)
        time.sleep(1.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert [f"{f.code.name}: {f.message}" for f in failures] == []
    assert sum(moved) > 0
    with InventoryClient(address, token(Role.STAFF, "auditor")) as client:
        stock = client.get_product(catalog_pb2.GetProductRequest(product=selector))
    assert stock.product.stock_quantity == 100 + sum(moved)  # each write applied once
