"""Fairness under abuse: another caller's GetProduct latency while one token floods the server,
with the per-caller limits off, at their defaults, and tight.

One server process (`serve --workers 1`) on a fresh PostgreSQL schema. A line of --entries
entries (written with one INSERT ... SELECT) gives the flood something to read. For each
setting: caller B (its own token, one caller, closed loop) calls GetProduct for --seconds while
the server is idle, then again while caller A (another token, its own process) runs --flood
concurrent ListCountItemEntries callers (pages all over the line) and one scanner stream of
one-entry messages as fast as the server takes them. It prints B's p50/p99 idle and flooded,
their ratio, what A got done and how often it was told RESOURCE_EXHAUSTED, with the load average.

    .venv/bin/python benchmarks/fairness.py
    .venv/bin/python benchmarks/fairness.py --seconds 5 --entries 50000
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import secrets
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import grpc
from google.type import money_pb2
from processes import fresh_schema, server_env
from sqlalchemy import text

from deploy.processes import ServerProcess
from inventory.v1 import catalog_pb2, catalog_pb2_grpc, inventory_count_pb2_grpc
from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.api.tokens import mint_token
from inventory_service.db.engine import create_db_engine
from inventory_service.domain.identity import Role

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"
COST = money_pb2.Money(currency_code="USD", units=1)
SETTINGS = {  # name -> (INVENTORY_MAX_CALLS_PER_CALLER, INVENTORY_MAX_STREAM_ENTRIES_PER_SECOND)
    "limits off": ("0", "0"),
    "defaults": ("64", "20000"),
    "tight": ("4", "200"),
}
FILL = """
INSERT INTO count_entries (entry_id, inventory_count_id, count_item_id, device_id, quantity,
    mode, counted_by, stored_at, counted_quantity, system_quantity, variance, variance_value,
    significant, reason, notes, location, request_id, recount)
SELECT 'fill-' || n, :count_id, :line_id, 'scanner-1', 1, 'ADD', 'bob',
    timestamptz '2026-01-05 08:00:00+00' + (n / 1000) * interval '1 second', n, 0, n,
    n::bigint * 1000000, true, '', '', '', '', false
FROM generate_series(1, :entries) AS n
"""


def _metadata(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


def measure(address: str, token: str, product_id: str, seconds: float) -> list[float]:
    """Caller B: GetProduct in a closed loop; each call's milliseconds."""
    with grpc.insecure_channel(address) as channel:
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        request = catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(id=product_id))
        times: list[float] = []
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            started = time.perf_counter()
            stub.GetProduct(request, metadata=_metadata(token), timeout=30)
            times.append((time.perf_counter() - started) * 1000)
    return times


async def _flood(
    address: str, token: str, count_id: str, line_id: str, callers: int, seconds: float
) -> dict[str, int]:
    done = {"pages": 0, "entries": 0, "refused": 0, "stream_ends": 0, "errors": 0}
    until = time.monotonic() + seconds
    async with grpc.aio.insecure_channel(address) as channel:
        stub = inventory_count_pb2_grpc.InventoryCountServiceStub(channel)
        metadata = _metadata(token)

        async def pages() -> None:
            request = pb.ListCountItemEntriesRequest(
                inventory_count_id=count_id, count_item_id=line_id, page_size=50
            )
            while time.monotonic() < until:
                try:
                    response = await stub.ListCountItemEntries(request, metadata=metadata)
                    done["pages"] += 1
                    request.page_token = response.next_page_token
                except grpc.aio.AioRpcError as error:
                    if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                        done["errors"] += 1
                        continue
                    done["refused"] += 1
                    await asyncio.sleep(0.1)  # the RetryInfo's delay

        async def stream() -> None:
            while time.monotonic() < until:

                async def entries() -> Any:
                    while time.monotonic() < until:
                        entry = pb.CountEntry(
                            entry_id=uuid.uuid4().hex,
                            inventory_count_id=count_id,
                            product=catalog_pb2.ProductSelector(sku="FAIR-FLOOD"),
                            quantity=1,
                            mode=pb.COUNT_MODE_ADD,
                        )
                        yield pb.StreamCountItemsRequest(entries=[entry])
                        await asyncio.sleep(0)

                try:
                    async for response in stub.StreamCountItems(entries(), metadata=metadata):
                        done["entries"] += len(response.acks)
                except grpc.aio.AioRpcError as error:
                    if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                        done["errors"] += 1
                        continue
                    done["stream_ends"] += 1
                    await asyncio.sleep(0.2)

        await asyncio.gather(stream(), *(pages() for _ in range(callers)))
    return done


def flood(args: tuple[str, str, str, str, int, float], results: Any) -> None:
    results.put(asyncio.run(_flood(*args)))


def setup(url: str, address: str, admin: str, entries: int) -> tuple[str, str, str]:
    """A product for B to read, a count whose line holds `entries` entries: (product, count,
    line)."""
    with grpc.insecure_channel(address) as channel:
        catalog = catalog_pb2_grpc.CatalogServiceStub(channel)
        counts = inventory_count_pb2_grpc.InventoryCountServiceStub(channel)
        product = catalog.CreateProduct(
            catalog_pb2.CreateProductRequest(
                product=catalog_pb2.Product(sku="FAIR-READ", name="read by B", unit_cost=COST),
                opening_quantity=10,
            ),
            metadata=_metadata(admin),
        ).product
        catalog.CreateProduct(
            catalog_pb2.CreateProductRequest(
                product=catalog_pb2.Product(sku="FAIR-FLOOD", name="counted by A", unit_cost=COST)
            ),
            metadata=_metadata(admin),
        )
        count = counts.StartInventoryCount(
            pb.StartInventoryCountRequest(name="fairness", type=pb.INVENTORY_COUNT_TYPE_SPOT),
            metadata=_metadata(admin),
        ).inventory_count
        line = counts.AddCountItem(
            pb.AddCountItemRequest(
                inventory_count_id=count.id,
                product=catalog_pb2.ProductSelector(sku="FAIR-FLOOD"),
                counted_quantity=1,
            ),
            metadata=_metadata(admin),
        ).item
    engine = create_db_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(FILL), {"count_id": count.id, "line_id": line.id, "entries": entries}
        )
        connection.execute(text("ANALYZE count_entries"))
    engine.dispose()
    return product.id, count.id, line.id


def run(url: str, name: str, limits: tuple[str, str], args: argparse.Namespace) -> None:
    secret = secrets.token_urlsafe(32)
    extra = {
        "INVENTORY_MAX_CALLS_PER_CALLER": limits[0],
        "INVENTORY_MAX_STREAM_ENTRIES_PER_SECOND": limits[1],
    }
    argv = ["--listen", "127.0.0.1:0", "--workers", "1", "--database-url", url]
    keep = lambda record: record.get("message") != "rpc"  # noqa: E731 (the access log is long)
    with ServerProcess(f"fairness-{name}", argv, server_env(secret, extra), keep=keep) as server:
        address = f"127.0.0.1:{server.port}"
        admin = mint_token(secret, sub="fair-admin", role=Role.ADMIN)
        a = mint_token(secret, sub="flooding-service", role=Role.MANAGER)
        b = mint_token(secret, sub="till-1", role=Role.STAFF)
        product_id, count_id, line_id = setup(url, address, admin, args.entries)
        load_before = os.getloadavg()[0]
        idle = measure(address, b, product_id, args.seconds)
        results: Any = multiprocessing.get_context("spawn").Queue()
        flooder = multiprocessing.get_context("spawn").Process(
            target=flood,
            args=((address, a, count_id, line_id, args.flood, args.seconds + 2.0), results),
        )
        flooder.start()
        time.sleep(1.0)  # the flood is under way
        flooded = measure(address, b, product_id, args.seconds)
        done = results.get(timeout=120)
        flooder.join(30)
        load_after = os.getloadavg()[0]
    p50 = (statistics.median(idle), statistics.median(flooded))
    p99 = (_percentile(idle, 0.99), _percentile(flooded, 0.99))
    print(
        f"{name:11} calls {limits[0]:>3}/caller, stream {limits[1]:>4}/s | "
        f"B idle p50 {p50[0]:6.1f} p99 {p99[0]:6.1f} ms | flooded p50 {p50[1]:6.1f} "
        f"p99 {p99[1]:7.1f} ms | p99 x{p99[1] / p99[0]:5.1f} | A: {done['pages']} pages, "
        f"{done['entries']} entries, {done['refused']} calls refused, "
        f"{done['stream_ends']} streams ended, {done['errors']} other errors | "
        f"load {load_before:.2f} -> {load_after:.2f}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database", default=os.environ.get("INVENTORY_BENCH_DATABASE", DEFAULT_DATABASE)
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--flood", type=int, default=100, help="A's concurrent list callers")
    parser.add_argument("--only", choices=sorted(SETTINGS), help="one setting only")
    args = parser.parse_args()
    for name, limits in SETTINGS.items():
        if args.only and name != args.only:
            continue
        with fresh_schema(args.database) as (_, url):
            run(url, name, limits, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
