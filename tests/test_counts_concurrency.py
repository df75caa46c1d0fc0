"""Counts under concurrency: the database, not process memory, keeps one count in progress and
every ADD entry, across replicas; a completion racing with entries accepts none after it."""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import grpc
import pytest

from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.bootstrap import ServiceLayer
from inventory_service.db.count_repository import CountRepository
from inventory_service.db.models import InventoryCount
from inventory_service.domain.enums import CountType
from inventory_service.domain.errors import FailedPrecondition
from inventory_service.domain.identity import Caller, Role
from inventory_service.services.ingestion.recorder import _Batch
from inventory_service.services.ingestion.recorder import log as recorder_log
from tests.helpers import (
    ADD,
    MANAGER,
    ServerThread,
    add_item,
    auth,
    clients,
    complete,
    create_product,
    error_info,
    level_of,
    list_items,
    precondition_violations,
    start_count,
    test_settings,
)

T = TypeVar("T")


def race(workers: int, work: Callable[[int], T]) -> list[T | grpc.RpcError]:
    """Runs work(i) on workers threads released together; results (or RPC errors) by i."""
    barrier = threading.Barrier(workers)
    results: list[T | grpc.RpcError | None] = [None] * workers
    failures: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(10)
            results[i] = work(i)
        except grpc.RpcError as error:
            results[i] = error
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    return [r for r in results if r is not None]


def test_two_managers_racing_to_start_leave_exactly_one_count(
    postgres_server: ServerThread,
) -> None:
    with clients(postgres_server.port) as api:
        for round_number in range(5):

            def start(i: int, n: int = round_number) -> pb.InventoryCount:
                with clients(postgres_server.port) as own:
                    return start_count(
                        own, f"Round {n} by {i}", metadata=auth(Role.MANAGER, f"m{i}")
                    )

            results = race(2, start)
            won = [r for r in results if isinstance(r, pb.InventoryCount)]
            lost = [r for r in results if isinstance(r, grpc.RpcError)]
            assert len(won) == 1
            assert len(lost) == 1
            assert lost[0].code() == grpc.StatusCode.FAILED_PRECONDITION
            assert error_info(lost[0]).reason == "COUNT_IN_PROGRESS"
            [violation] = precondition_violations(lost[0])
            assert violation.subject == f"inventoryCounts/{won[0].id}"
            assert won[0].name in violation.description
            in_progress = api.counts.ListInventoryCounts(
                pb.ListInventoryCountsRequest(status=pb.INVENTORY_COUNT_STATUS_IN_PROGRESS),
                metadata=MANAGER,
            ).inventory_counts
            assert [c.id for c in in_progress] == [won[0].id]
            api.counts.CancelInventoryCount(
                pb.CancelInventoryCountRequest(inventory_count_id=won[0].id), metadata=MANAGER
            )


@pytest.fixture
def two_servers(postgres_url: str) -> Iterator[list[ServerThread]]:
    """Two replicas of the server on one PostgreSQL: two committers, two connection pools."""
    servers: list[ServerThread] = []
    try:
        for _ in range(2):
            servers.append(ServerThread(test_settings(postgres_url)).start())
        yield servers
    finally:
        for server in servers:
            server.stop()


def hold_first_batches(monkeypatch: pytest.MonkeyPatch, seconds: float) -> threading.Barrier:
    """Makes the first two batches that pass the lock step wait for each other (up to seconds)
    before they tally and write, so two transactions interleave as a race would have them."""
    both_locked = threading.Barrier(2, timeout=seconds)
    calls = itertools.count()
    real_lock = _Batch.lock

    def lock_then_wait(self: _Batch, *args: Any) -> Any:
        lines = real_lock(self, *args)
        if next(calls) < 2:
            with contextlib.suppress(threading.BrokenBarrierError):
                both_locked.wait()
        return lines

    monkeypatch.setattr(_Batch, "lock", lock_then_wait)
    return both_locked


def add_on_both(servers: list[ServerThread], count_id: str, sku: str, entries_each: int) -> None:
    """A counter on each replica records entries_each ADD 1 entries, the first ones at once."""

    def scan(i: int) -> int:
        with clients(servers[i].port) as own:
            for _ in range(entries_each):
                add_item(
                    own, count_id, 1, sku=sku, mode=ADD, metadata=auth(Role.STAFF, f"counter-{i}")
                )
        return i

    assert race(2, scan) == [0, 1]


def test_entries_on_two_replicas_race_to_create_the_line(
    two_servers: list[ServerThread],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Both replicas' first batches find no line (the barrier makes sure they both looked
    before either wrote): both insert it, the unique index lets one win, and the other's batch
    is recorded again, adding to the line the winner created."""
    caplog.set_level(logging.INFO, logger=recorder_log.name)
    with clients(two_servers[0].port) as api:
        product = create_product(api, "RACE-NEW", cost="1.00", opening=500)
        count = start_count(api)
        both_looked = hold_first_batches(monkeypatch, seconds=30)
        add_on_both(two_servers, count.id, "RACE-NEW", entries_each=5)

        [line] = list_items(api, count.id)
        assert line.counted_quantity == 10
        assert line.variance == 10 - 500
        assert level_of(api, product.id) == 500
        # The race happened: both looked, and one batch lost and was recorded again.
        assert not both_looked.broken
        retried = [r.fields for r in caplog.records if "lost a race" in r.getMessage()]  # type: ignore[attr-defined]
        assert [fields["reason"] for fields in retried] == ["LINE_CREATED_MEANWHILE"]


def test_entries_on_two_replicas_queue_on_the_line_they_add_to(
    two_servers: list[ServerThread], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The line exists: the first batch holds its row lock (FOR UPDATE) until it commits, so the
    other replica's batch cannot even reach the barrier meanwhile, and no ADD is lost."""
    with clients(two_servers[0].port) as api:
        create_product(api, "RACE-ADD", cost="1.00", opening=500)
        count = start_count(api)
        add_item(api, count.id, 100, sku="RACE-ADD")
        both_locked = hold_first_batches(monkeypatch, seconds=3)
        add_on_both(two_servers, count.id, "RACE-ADD", entries_each=5)

        assert both_locked.broken  # the second batch waited on the row lock, not at the barrier
        [line] = list_items(api, count.id)
        assert line.counted_quantity == 110


def test_entries_racing_a_completion_are_all_in_it_or_refused(
    postgres_server: ServerThread,
) -> None:
    with clients(postgres_server.port) as api:
        product = create_product(api, "RACE-DONE", cost="1.00", opening=0)
        count = start_count(api)
        add_item(api, count.id, 1, sku="RACE-DONE", mode=ADD)
        refusals: list[grpc.RpcError] = []

        def work(i: int) -> int:
            with clients(postgres_server.port) as own:
                if i == 0:
                    complete(own, count.id)
                    return -1
                accepted = 0
                for _ in range(10):
                    try:
                        add_item(own, count.id, 1, sku="RACE-DONE", mode=ADD)
                        accepted += 1
                    except grpc.RpcError as error:
                        refusals.append(error)
                        break
                return accepted

        results = race(4, work)
        for error in refusals:
            assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert error_info(error).reason == "COUNT_NOT_IN_PROGRESS"
        accepted = sum(r for r in results if isinstance(r, int) and r > 0)
        [line] = list_items(api, count.id)
        assert line.counted_quantity == 1 + accepted
        # The completion applied the line as it stood: nothing was recorded after it.
        assert level_of(api, product.id) == line.counted_quantity


def test_a_start_that_passed_the_check_is_stopped_by_the_database(
    services: ServiceLayer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The losing replica of a race checked before the winner committed; the primary key of
    the location holds refuses it, and the error still names the winner."""
    manager = Caller("mia-manager", Role.MANAGER)
    winner = services.counts.start(manager, name="Winner", count_type=CountType.CYCLE)
    real_holding = CountRepository.holding
    calls: list[int] = []

    def blind_first_check(
        self: CountRepository, location_ids: Sequence[str]
    ) -> dict[str, InventoryCount]:
        calls.append(1)
        return {} if len(calls) == 1 else real_holding(self, location_ids)

    monkeypatch.setattr(CountRepository, "holding", blind_first_check)
    with pytest.raises(FailedPrecondition) as raised:
        services.counts.start(manager, name="Loser", count_type=CountType.SPOT)
    assert raised.value.reason == "COUNT_IN_PROGRESS"
    [violation] = raised.value.violations
    assert violation.subject == f"inventoryCounts/{winner.id}"
    assert "Winner" in violation.description
    assert len(calls) == 2  # the check, then the look-up of the winner
