"""Scanners that drop their connection at any moment never take the server down.

The server runs in a process of its own (a crash shows as its exit code, -11 for a segfault,
instead of killing the test run). Hundreds of StreamCountItems calls are cancelled at random
moments (before anything is sent, with entries in flight, while their batch commits, after the
acks, with acks left unread while the server's buffer is full) and hundreds of ScannerSessions
abort. Afterwards the server still answers, no thread, pooled connection, open stream or
concurrency slot is left behind, and every acknowledged entry is stored exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from sqlalchemy import func, select

from inventory.v1 import inventory_count_pb2 as pb
from inventory.v1 import inventory_count_pb2_grpc
from inventory_client.scanner import Backoff, ScannerSession
from inventory_service.db.engine import create_db_engine
from inventory_service.db.models import CountItem, StoredCountEntry
from tests.helpers import (
    ADD,
    STAFF,
    TEST_SECRET,
    clients,
    create_product,
    scan,
    start_count,
)
from tests.server_process import ServerProcess

ROOT = Path(__file__).resolve().parents[1]
STREAMS = 330
SESSIONS = 240
AT_ONCE = 24
MAX_CONCURRENT_RPCS = 40  # far fewer than the calls cancelled: a leaked slot would show
PRODUCTS = 12
DB_WORKERS = 4
# Where a stream is cut: before it sends, with entries in flight, while its batch commits,
# after its acks, after the first response, and with acks unread while the server's buffer is
# full (the server then waits on flow control to send; a stream of these carries thousands
# of entries, so they are a smaller share).
_MOSTLY = ("before", "in_flight", "during", "after", "partial")
MOMENTS = (*_MOSTLY, "unread", *_MOSTLY)


@dataclass
class Storm:
    sent: dict[str, pb.CountEntry] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)
    cancelled: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)  # calls the server ended, by code
    aborted_sessions: int = 0


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
        INVENTORY_LISTEN="127.0.0.1:0",
        INVENTORY_DATABASE_URL=database_url,
        INVENTORY_JWT_SECRET=TEST_SECRET,
        INVENTORY_DB_WORKERS=str(DB_WORKERS),
        INVENTORY_MAX_CONCURRENT_RPCS=str(MAX_CONCURRENT_RPCS),
        # Lines grow into the thousands here; no discrepancy warnings for them.
        INVENTORY_DISCREPANCY_UNITS=str(10**9),
        INVENTORY_DISCREPANCY_VALUE=str(10**12),
    )
    return env


def _entries(storm: Storm, count_id: str, skus: list[str], n: int, rng: random.Random) -> list[Any]:
    entries = [scan(count_id, sku=rng.choice(skus), quantity=1, mode=ADD) for _ in range(n)]
    storm.sent.update((e.entry_id, e) for e in entries)
    return entries


def _note_acks(storm: Storm, response: pb.StreamCountItemsResponse) -> None:
    for ack in response.acks:
        if ack.WhichOneof("result") == "item":
            storm.acked.add(ack.entry_id)


async def _cut_stream(
    stub: Any, storm: Storm, count_id: str, skus: list[str], moment: str, rng: random.Random
) -> None:
    call = stub.StreamCountItems(metadata=STAFF)

    async def read_acks(limit: int | None = None) -> None:
        responses = 0
        while limit is None or responses < limit:
            response = await call.read()
            if response is grpc.aio.EOF:  # type: ignore[attr-defined]
                return
            _note_acks(storm, response)
            responses += 1

    async def write(messages: int, per_message: int) -> None:
        for _ in range(messages):
            entries = _entries(storm, count_id, skus, per_message, rng)
            await call.write(pb.StreamCountItemsRequest(entries=entries))

    tasks: list[asyncio.Task[None]] = []
    try:
        if moment == "before":
            await asyncio.sleep(rng.random() * 0.005)
        elif moment == "in_flight":
            await write(rng.randint(1, 3), rng.randint(1, 50))
        elif moment == "during":
            tasks.append(asyncio.create_task(read_acks()))
            await write(rng.randint(1, 3), rng.randint(1, 200))
            await asyncio.sleep(rng.random() * 0.03)
        elif moment == "after":
            entries = _entries(storm, count_id, skus, rng.randint(1, 100), rng)
            await call.write(pb.StreamCountItemsRequest(entries=entries))
            answered = 0
            while answered < len(entries):
                response = await call.read()
                if response is grpc.aio.EOF:  # type: ignore[attr-defined]
                    break
                _note_acks(storm, response)
                answered += len(response.acks)
        elif moment == "partial":
            await write(rng.randint(2, 4), rng.randint(1, 100))
            await read_acks(limit=1)
        else:  # unread: more than the server holds in flight, and no ack read
            written = [0]

            async def write_until_stalled() -> None:
                for _ in range(40):
                    entries = _entries(storm, count_id, skus, 100, rng)
                    await call.write(pb.StreamCountItemsRequest(entries=entries))
                    written[0] += 1

            tasks.append(asyncio.create_task(write_until_stalled()))
            # Cut once writing stalls: the server has stopped reading, its acks wait unsent.
            last, still = -1, 0
            async with asyncio.timeout(20):
                while still < 5 and not tasks[0].done():
                    await asyncio.sleep(0.02)
                    last, still = written[0], (still + 1 if written[0] == last else 0)
    except grpc.RpcError as error:
        storm.failed[error.code().name] += 1
    finally:
        call.cancel()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, grpc.RpcError, Exception):
                await task
    storm.cancelled[moment] += 1


async def _aborted_session(
    channel: grpc.aio.Channel,
    storm: Storm,
    count_id: str,
    skus: list[str],
    n: int,
    rng: random.Random,
) -> None:
    def on_ack(entry: pb.CountEntry, ack: pb.CountEntryAck) -> None:
        if ack.WhichOneof("result") == "item":
            storm.acked.add(ack.entry_id)

    session = ScannerSession(
        channel,
        device_id=f"storm-{n}",
        metadata=STAFF,
        max_entries_per_message=rng.choice([1, 10, 100]),
        backoff=Backoff(initial=0.01, maximum=0.05),
        on_ack=on_ack,
    )
    session.start()
    for entry in _entries(storm, count_id, skus, rng.randint(1, 300), rng):
        await session.put(entry)
    await asyncio.sleep(rng.random() * 0.05)
    await session.abort()
    storm.aborted_sessions += 1


async def _run_storm(
    port: int, count_id: str, skus: list[str], rng: random.Random, alive: Callable[[], bool]
) -> Storm:
    storm = Storm()
    limit = asyncio.Semaphore(AT_ONCE)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = inventory_count_pb2_grpc.InventoryCountServiceStub(channel)

        async def bounded(make: Any) -> None:
            async with limit:
                await make()

        jobs = [
            functools.partial(
                _cut_stream, stub, storm, count_id, skus, MOMENTS[i % len(MOMENTS)], rng
            )
            for i in range(STREAMS)
        ] + [
            functools.partial(_aborted_session, channel, storm, count_id, skus, n, rng)
            for n in range(SESSIONS)
        ]
        rng.shuffle(jobs)
        everything = asyncio.gather(*(bounded(job) for job in jobs))
        async with asyncio.timeout(180):
            while not everything.done():
                await asyncio.wait([everything], timeout=0.2)
                if not alive():  # the rest would only time out against a dead server
                    everything.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await everything
                    break
            if everything.done() and not everything.cancelled():
                everything.result()
    return storm


async def _resend_everything(port: int, entries: list[pb.CountEntry]) -> int:
    """A clean session sends every entry the storm made; returns how many it got acked."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        session = ScannerSession(channel, device_id="after-storm", metadata=STAFF)
        async with asyncio.timeout(120), session:
            for entry in entries:
                await session.put(entry)
        return session.stats.acked


def _settled_vitals(server: ServerProcess) -> dict[str, Any]:
    """Vitals once the server has finished what the cancelled calls left running."""
    deadline = time.monotonic() + 20
    while True:
        vitals = server.vitals()
        idle = (
            vitals["pool_checked_out"],
            vitals["open_streams"],
            vitals["committer_waiting"],
            vitals["db_queue"],
        )
        if idle == (0, 0, 0, 0) or time.monotonic() > deadline:
            return vitals
        time.sleep(0.2)


def test_hundreds_of_cancelled_streams_and_aborted_sessions_leave_the_server_whole(
    postgres_url: str, tmp_path: Path
) -> None:
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log_file:
        server = ServerProcess(_env(postgres_url), log_file)
    try:
        with clients(server.port) as api:
            skus = [create_product(api, f"STORM-{i}").sku for i in range(PRODUCTS)]
            count_id = start_count(api).id
        # Warm up: every database thread and pooled connection in use once.
        warm_up = Storm()
        warm_entries = _entries(warm_up, count_id, skus, 500, random.Random(1))
        asyncio.run(_resend_everything(server.port, warm_entries))
        baseline = _settled_vitals(server)

        started = time.monotonic()
        storm = asyncio.run(_run_storm(server.port, count_id, skus, random.Random(8), server.alive))
        storm_seconds = time.monotonic() - started
        assert server.alive(), (
            f"the server died with exit code {server.stop()} after the storm:\n"
            + log_path.read_text()[-6000:]
        )
        after = _settled_vitals(server)
        cancelled = sum(storm.cancelled.values())
        print(
            f"\ncancel storm: {cancelled} streams cancelled {dict(storm.cancelled)}, "
            f"{storm.aborted_sessions} sessions aborted, {len(storm.sent)} entries sent, "
            f"{len(storm.acked)} acked, {storm_seconds:.1f} s; vitals {baseline} -> {after}"
        )
        assert not storm.failed, f"calls the server ended: {dict(storm.failed)}"
        assert cancelled == STREAMS
        assert storm.aborted_sessions == SESSIONS
        assert after["pool_checked_out"] == 0
        assert after["open_streams"] == 0
        assert after["committer_waiting"] == 0
        assert after["db_queue"] == 0
        # The database pool starts its threads on demand, up to its size; no other thread grew.
        assert after["db_threads"] <= DB_WORKERS
        for threads in ("python_threads", "os_threads"):
            assert (
                after[threads] - after["db_threads"] <= baseline[threads] - baseline["db_threads"]
            )

        # More calls were cancelled than the server admits at once: a leaked slot would refuse
        # these with RESOURCE_EXHAUSTED.
        with clients(server.port) as api:
            for _ in range(3):
                got = api.counts.GetInventoryCount(
                    pb.GetInventoryCountRequest(inventory_count_id=count_id), metadata=STAFF
                )
                assert got.inventory_count.id == count_id

        engine = create_db_engine(postgres_url)
        try:
            with engine.connect() as db:
                stored = set(db.scalars(select(StoredCountEntry.entry_id)))
                # Each stored entry (an ADD of 1) counted exactly once on its line.
                per_line = dict(
                    db.execute(
                        select(StoredCountEntry.count_item_id, func.count()).group_by(
                            StoredCountEntry.count_item_id
                        )
                    ).all()
                )
                counted = dict(db.execute(select(CountItem.id, CountItem.counted_quantity)).all())
        finally:
            engine.dispose()
        assert storm.acked <= stored, f"{len(storm.acked - stored)} acked entries are not stored"
        assert counted == {line: per_line.get(line, 0) for line in counted}

        # Every entry the storm made, sent again by a clean session: each applied once in all.
        everything = list(warm_up.sent.values()) + list(storm.sent.values())
        assert asyncio.run(_resend_everything(server.port, everything)) == len(everything)
        with clients(server.port) as api:
            items = api.counts.ListCountItems(
                pb.ListCountItemsRequest(inventory_count_id=count_id, page_size=100),
                metadata=STAFF,
            ).items
        assert sum(item.counted_quantity for item in items) == len(everything)
        assert server.alive()
    finally:
        code = server.stop()
    assert code == 0, log_path.read_text()[-6000:]
    log = log_path.read_text()
    assert "Traceback" not in log, log[-6000:]
    assert '"exception"' not in log, log[-6000:]
