"""Concurrent adjustments on PostgreSQL, from real threads: no update is lost, the before/after
chain matches the ledger, and a pending adjustment raced by several managers applies once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TypeVar

import grpc
import pytest

from inventory.v1 import catalog_pb2, stock_adjustment_pb2
from inventory_service.domain.identity import Role
from tests.helpers import (
    APPLIED,
    CORRECTION,
    THEFT,
    Clients,
    ServerThread,
    adjust,
    all_adjustments,
    approve,
    auth,
    clients,
    error_info,
    get_adjustment,
    ledger_of,
    make_product,
    stock_of,
    test_settings,
)

T = TypeVar("T")
THREADS = 40
OPENING = 1000


@pytest.fixture
def api(postgres_url: str) -> Iterator[Clients]:
    """A PostgreSQL server with enough database workers for calls to really overlap."""
    server = ServerThread(replace(test_settings(postgres_url), db_workers=12)).start()
    try:
        with clients(server.port) as c:
            yield c
    finally:
        server.stop()


def all_at_once(tasks: list[Callable[[], T]]) -> list[T | grpc.RpcError]:
    """Runs every task on its own thread, released together; a failed call is its error."""
    barrier = threading.Barrier(len(tasks))

    def run(task: Callable[[], T]) -> T | grpc.RpcError:
        barrier.wait(timeout=30)
        try:
            return task()
        except grpc.RpcError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        return list(pool.map(run, tasks))


def assert_chain(entries: list[catalog_pb2.LedgerEntry], opening: int) -> None:
    """In ledger order, each row starts where the previous one ended."""
    previous_after = opening
    for entry in sorted(entries, key=lambda e: e.sequence):
        assert entry.quantity_before == previous_after, f"ledger row {entry.sequence} broke"
        assert entry.quantity_after == entry.quantity_before + entry.quantity_delta
        previous_after = entry.quantity_after


def test_parallel_adjustments_lose_no_update(api: Clients) -> None:
    product_id = make_product(api, unit_cost="1.00", opening=OPENING)
    # Up to 20 units either way: never needs approval, never nears zero.
    changes = [(i % 20 + 1) * (1 if i % 2 else -1) for i in range(THREADS)]

    def create(i: int) -> Callable[[], stock_adjustment_pb2.StockAdjustment]:
        return lambda: adjust(
            api,
            product_id,
            CORRECTION,
            changes[i],
            metadata=auth(Role.STAFF, f"scanner-{i}"),
            reference_number=f"R-{i}",
        )

    results = all_at_once([create(i) for i in range(THREADS)])

    failures = [r for r in results if isinstance(r, grpc.RpcError)]
    assert failures == []
    created = [r for r in results if isinstance(r, stock_adjustment_pb2.StockAdjustment)]
    assert all(a.status == APPLIED for a in created)
    assert stock_of(api, product_id) == OPENING + sum(changes)

    entries = [e for e in ledger_of(api, product_id) if e.stock_adjustment_id]
    assert len(entries) == THREADS
    assert_chain(entries, OPENING)
    by_id = {a.id: a for a in all_adjustments(api, product_id=product_id)}
    assert set(by_id) == {a.id for a in created}
    for entry in entries:
        adjustment = by_id[entry.stock_adjustment_id]
        assert adjustment.quantity_change == entry.quantity_delta
        assert adjustment.quantity_before == entry.quantity_before
        assert adjustment.quantity_after == entry.quantity_after
    assert max(entries, key=lambda e: e.sequence).quantity_after == stock_of(api, product_id)


def test_managers_racing_to_approve_apply_each_adjustment_once(api: Clients) -> None:
    product_id = make_product(api, unit_cost="1.00", opening=OPENING)
    pending = [adjust(api, product_id, THEFT, -(i + 1)) for i in range(5)]
    managers_each = THREADS // len(pending)

    def approval(adjustment_id: str, m: int) -> Callable[[], stock_adjustment_pb2.StockAdjustment]:
        return lambda: approve(api, adjustment_id, metadata=auth(Role.MANAGER, f"manager-{m}"))

    results = all_at_once([approval(p.id, m) for p in pending for m in range(managers_each)])

    approved = [r for r in results if isinstance(r, stock_adjustment_pb2.StockAdjustment)]
    refused = [r for r in results if isinstance(r, grpc.RpcError)]
    assert sorted(a.id for a in approved) == sorted(p.id for p in pending)
    assert len(refused) == len(results) - len(pending)
    for error in refused:
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_info(error).reason == "ADJUSTMENT_NOT_PENDING"
    total = sum(p.quantity_change for p in pending)
    assert stock_of(api, product_id) == OPENING + total
    entries = [e for e in ledger_of(api, product_id) if e.stock_adjustment_id]
    assert sorted(e.stock_adjustment_id for e in entries) == sorted(p.id for p in pending)
    assert_chain(entries, OPENING)
    for winner in approved:
        assert get_adjustment(api, winner.id) == winner
