"""Two counts in progress never share a location, across server replicas: the database holds
the rule (location_holds, primary key on the location), not a server's memory.

Two server processes on one PostgreSQL database; 25 managers start counts at the same moment,
half on either replica: 12 with locations of their own, 13 naming overlapping sets of six
shared locations (some by zone). Every disjoint start must win, the overlapping ones may not
hold a location twice, and each loser is told which count holds its locations."""

from __future__ import annotations

import os
import random
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from sqlalchemy import func, select

from inventory.v1 import inventory_count_pb2 as pb
from inventory.v1 import site_pb2
from inventory_service.db.models import CountLocation, InventoryCount, LocationHold
from inventory_service.domain.identity import Role
from tests.helpers import (
    CYCLE,
    MANAGER,
    TEST_SECRET,
    auth,
    clients,
    error_info,
    precondition_violations,
)
from tests.place_support import Places
from tests.server_process import ServerProcess

ROOT = Path(__file__).resolve().parents[1]
DISJOINT = 12
OVERLAPPING = 13
SHARED = [f"S-{i:02d}" for i in range(6)]


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
        INVENTORY_LISTEN="127.0.0.1:0",
        INVENTORY_DATABASE_URL=database_url,
        INVENTORY_JWT_SECRET=TEST_SECRET,
        INVENTORY_DB_WORKERS="8",
    )
    return env


@pytest.fixture
def replicas(postgres_url: str) -> Iterator[list[ServerProcess]]:
    with tempfile.TemporaryFile("w+") as log:
        servers = [ServerProcess(_env(postgres_url), log) for _ in range(2)]
        try:
            yield servers
        finally:
            for server in servers:
                server.stop()


def _requests(rng: random.Random) -> list[tuple[str, pb.StartInventoryCountRequest]]:
    """(kind, request) for each manager: disjoint ones name a location of their own."""
    found = []
    for i in range(DISJOINT):
        request = pb.StartInventoryCountRequest(name=f"Own {i}", type=CYCLE)
        request.scope_locations.add(code=f"D-{i:02d}")
        found.append(("disjoint", request))
    for i in range(OVERLAPPING):
        request = pb.StartInventoryCountRequest(name=f"Shared {i}", type=CYCLE)
        if i % 4 == 0:
            request.scope_zones.append("Shared")  # all six
        else:
            for code in rng.sample(SHARED, rng.randint(1, 3)):
                request.scope_locations.add(code=code)
        found.append(("overlapping", request))
    rng.shuffle(found)
    return found


def _start_all(
    replicas: list[ServerProcess], requests: list[tuple[str, pb.StartInventoryCountRequest]]
) -> list[pb.InventoryCount | grpc.RpcError]:
    """Every start at once (a barrier), alternately on either replica."""
    results: list[pb.InventoryCount | grpc.RpcError | None] = [None] * len(requests)
    barrier = threading.Barrier(len(requests))

    def run(i: int) -> None:
        with clients(replicas[i % len(replicas)].port) as api:
            api.counts.ListInventoryCounts(pb.ListInventoryCountsRequest(), metadata=MANAGER)
            barrier.wait(30)
            try:
                results[i] = api.counts.StartInventoryCount(
                    requests[i][1], metadata=auth(Role.MANAGER, f"manager-{i}"), timeout=60
                ).inventory_count
            except grpc.RpcError as error:
                results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert all(r is not None for r in results), "a start never answered"
    return [r for r in results if r is not None]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_starts_racing_on_two_replicas_never_share_a_location(
    replicas: list[ServerProcess], postgres_url: str, seed: int
) -> None:
    places = Places(postgres_url)
    try:
        main = places.main()
        ids = {code: places.location(main, code, zone="Shared").id for code in SHARED}
        ids |= {f"D-{i:02d}": places.location(main, f"D-{i:02d}").id for i in range(DISJOINT)}
        requests = _requests(random.Random(seed))
        results = _start_all(replicas, requests)

        won: dict[str, set[str]] = {}  # count id -> the location ids it covers
        for (kind, request), result in zip(requests, results, strict=True):
            wanted = (
                {ids[code] for code in SHARED}
                if request.scope_zones
                else {ids[s.code] for s in request.scope_locations}
            )
            if isinstance(result, pb.InventoryCount):
                assert result.location_count == len(wanted)
                won[result.id] = wanted
                continue
            assert kind == "overlapping", f"a disjoint start lost: {result.details()}"
            assert result.code() == grpc.StatusCode.FAILED_PRECONDITION, result.details()
            assert error_info(result).reason == "COUNT_IN_PROGRESS"
            holder = precondition_violations(result)[0].subject.removeprefix("inventoryCounts/")
            assert holder in {r.id for r in results if isinstance(r, pb.InventoryCount)}
            won.setdefault(holder, set())  # filled in by its own result
            losers_named = {
                v.subject.removeprefix("locations/")
                for v in precondition_violations(result)
                if v.subject.startswith("locations/")
            }
            assert losers_named <= wanted

        winners = [r for r in results if isinstance(r, pb.InventoryCount)]
        assert (
            sum(
                1
                for (kind, _), r in zip(requests, results, strict=True)
                if kind == "disjoint" and isinstance(r, pb.InventoryCount)
            )
            == DISJOINT
        )
        shared_winners = [w for w in winners if w.name.startswith("Shared")]
        assert shared_winners, "no overlapping start won"
        covered = [loc for w in shared_winners for loc in won[w.id]]
        assert len(covered) == len(set(covered)), "two counts in progress share a location"

        with places.engine.connect() as conn:
            twice = conn.execute(
                select(CountLocation.location_id)
                .join(InventoryCount, InventoryCount.id == CountLocation.inventory_count_id)
                .where(InventoryCount.status == "IN_PROGRESS")
                .group_by(CountLocation.location_id)
                .having(func.count() > 1)
            ).all()
            held = set(
                conn.execute(
                    select(LocationHold.location_id, LocationHold.inventory_count_id)
                ).all()
            )
        assert twice == []
        assert held == {(loc, count_id) for count_id, locs in won.items() for loc in locs}
    finally:
        places.engine.dispose()


def test_both_replicas_see_the_same_holds(replicas: list[ServerProcess], postgres_url: str) -> None:
    """A smaller check that both replicas see one set of holds: a count started on one blocks
    the same locations on the other, and frees them there once cancelled."""
    places = Places(postgres_url)
    try:
        store = places.site("STORE-1")
        places.location(store, "SHELF-1")
        with clients(replicas[0].port) as first, clients(replicas[1].port) as second:
            request = pb.StartInventoryCountRequest(
                name="Store", type=CYCLE, site=site_pb2.SiteSelector(code="STORE-1")
            )
            count = first.counts.StartInventoryCount(request, metadata=MANAGER).inventory_count
            with pytest.raises(grpc.RpcError) as raised:
                second.counts.StartInventoryCount(request, metadata=MANAGER)
            assert error_info(raised.value).reason == "COUNT_IN_PROGRESS"
            second.counts.CancelInventoryCount(
                pb.CancelInventoryCountRequest(inventory_count_id=count.id), metadata=MANAGER
            )
            again = second.counts.StartInventoryCount(request, metadata=MANAGER).inventory_count
            assert again.location_count == 2
    finally:
        places.engine.dispose()
