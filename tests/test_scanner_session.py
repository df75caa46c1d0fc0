"""The Python client's ScannerSession: a server that goes away mid-shift loses no entry and
applies none twice; the scanner reconnects, resends what has no ack, and ends with exact totals."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import grpc
import pytest

from inventory_client.connection import CHANNEL_OPTIONS
from inventory_client.retry import Backoff
from inventory_client.scanner import (
    CountEntry,
    CountEntryAck,
    ScannerSession,
    ScannerStats,
    SessionFailed,
)
from tests.balancer_support import Balancer, Fault
from tests.helpers import (
    ADD,
    SET,
    STAFF,
    ServerThread,
    clients,
    create_product,
    lines,
    scan,
    start_count,
    test_settings,
)

FAST_RETRY = Backoff(initial=0.05, multiplier=2.0, maximum=0.5)


def test_session_reconnects_and_resends_across_a_server_restart(database_url: str) -> None:
    first = ServerThread(test_settings(database_url)).start()
    port = first.port
    servers = [first]
    try:
        with clients(port) as api:
            product = create_product(api, "SALT-1", opening=100)
            count_id = start_count(api).id
        entries = [scan(count_id, sku="SALT-1", quantity=i % 4 + 1, mode=ADD) for i in range(400)]
        entries[0].mode = SET  # a recount first, then ADDs on top of it

        async def shift() -> ScannerStats:
            channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=CHANNEL_OPTIONS)
            half_acked = asyncio.Event()

            def on_ack(entry: CountEntry, ack: CountEntryAck) -> None:
                if session.stats.acked >= 100:
                    half_acked.set()

            session = ScannerSession(
                channel,
                device_id="scanner-9",
                metadata=STAFF,
                max_entries_per_message=1,
                backoff=FAST_RETRY,
                on_ack=on_ack,
            )
            async with session:
                for entry in entries[:200]:
                    await session.put(entry)
                await half_acked.wait()
                # The server dies mid-stream: calls are cut at once, nothing drains.
                await asyncio.to_thread(first.stop, 0.0)
                for entry in entries[200:]:  # scanning goes on while it is down
                    await session.put(entry)
                await asyncio.sleep(0.3)
                settings = replace(test_settings(database_url), listen=f"127.0.0.1:{port}")
                servers.append(await asyncio.to_thread(ServerThread(settings).start))
            await channel.close()
            return session.stats

        stats = asyncio.run(shift())

        assert stats.reconnects >= 1
        assert (stats.acked, stats.rejected) == (400, 0)
        assert stats.queued == 400
        with clients(port) as api:
            assert lines(api, count_id) == {(product.id, ""): sum(e.quantity for e in entries)}
    finally:
        for server in servers:
            server.stop()


def test_session_fails_fast_without_a_valid_token(server: ServerThread) -> None:
    async def run() -> SessionFailed | None:
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
        session = ScannerSession(channel, device_id="scanner-1", backoff=FAST_RETRY)
        session.start()
        try:
            await session.put(scan("some-count", sku="X"))
            await session.drain()
        except SessionFailed as failed:
            return failed
        finally:
            await session.abort()
            await channel.close()
        return None

    failed = asyncio.run(run())
    assert failed is not None
    assert failed.code == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("reset", [grpc.StatusCode.CANCELLED, grpc.StatusCode.INTERNAL])
def test_session_resumes_after_a_reset_seen_through_a_balancer(
    server: ServerThread, reset: grpc.StatusCode
) -> None:
    # A replica dying behind a load balancer reaches the scanner as a reset: CANCELLED or
    # INTERNAL, not UNAVAILABLE. The session resumes and resends what has no ack.
    with clients(server.port) as api:
        product = create_product(api, "SALT-1", opening=100)
        count_id = start_count(api).id
    entries = [scan(count_id, sku="SALT-1", quantity=1, mode=ADD) for _ in range(200)]
    balancer = Balancer(server.port).start()
    try:
        balancer.fail_next("StreamCountItems", Fault(reset, after_responses=0))

        async def shift() -> ScannerStats:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{balancer.port}") as channel:
                session = ScannerSession(
                    channel,
                    device_id="scanner-3",
                    metadata=STAFF,
                    max_entries_per_message=1,
                    backoff=FAST_RETRY,
                )
                async with session:
                    await session.put_many(entries)
                return session.stats

        stats = asyncio.run(asyncio.wait_for(shift(), 60))
    finally:
        balancer.stop()

    assert balancer.streams_opened["StreamCountItems"] >= 2
    assert stats.reconnects >= 1
    assert (stats.acked, stats.rejected) == (200, 0)
    with clients(server.port) as api:
        assert lines(api, count_id) == {(product.id, ""): 200}


def test_session_never_reopens_its_stream_after_its_own_abort(server: ServerThread) -> None:
    with clients(server.port) as api:
        create_product(api, "SALT-1", opening=100)
        count_id = start_count(api).id
    balancer = Balancer(server.port).start()
    try:

        async def abort_mid_stream() -> int:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{balancer.port}") as channel:
                acked = asyncio.Event()
                session = ScannerSession(
                    channel,
                    device_id="scanner-4",
                    metadata=STAFF,
                    max_entries_per_message=1,
                    backoff=FAST_RETRY,
                    on_ack=lambda entry, ack: acked.set(),
                )
                session.start()
                for _ in range(500):
                    await session.put(scan(count_id, sku="SALT-1", quantity=1, mode=ADD))
                await acked.wait()
                await session.abort()
                await asyncio.sleep(1.0)  # several backoff periods: no stream opens again
                return session.unacked_count

        unacked = asyncio.run(asyncio.wait_for(abort_mid_stream(), 60))
    finally:
        balancer.stop()
    assert unacked > 0  # it had more to send, and still did not reconnect
    assert balancer.streams_opened["StreamCountItems"] == 1
