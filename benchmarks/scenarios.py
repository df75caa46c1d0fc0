"""The scenarios the benchmark measures: the transport baseline, StreamCountItems and
AddCountItem against a real server, the database's COPY limit, a long stream and idle streams.

Each scanner (and each unary caller) counts its own aisle of the catalog in a location of its
own (AISLE-01, AISLE-02, ...; every entry names its location), in one count covering them all:
a count of a site with many locations, as issue 18 made them."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
import uuid
from collections.abc import Iterator, Sequence

import grpc
import psycopg
from google.type import money_pb2
from processes import RssSampler, ServerProcess, echo_server, inventory_server
from report import Figure, Report, mb

from inventory.v1 import catalog_pb2, catalog_pb2_grpc, site_pb2
from inventory.v1 import inventory_count_pb2 as counts_pb2
from inventory.v1 import inventory_count_pb2_grpc as counts_grpc
from inventory_client.connection import Endpoint
from inventory_client.simulate import SimulationResult, entry, run_scanners
from inventory_service.api.tokens import mint_token
from inventory_service.domain.identity import Role

ENTRIES_TABLE = "count_entries"


@dataclasses.dataclass(frozen=True)
class Sizes:
    products: int = 1000
    single_entries: int = 40_000  # one entry per message, per run (1-stream runs: a quarter)
    bulk_entries: int = 400_000  # 100 entries per message, per run (1-stream runs: a quarter)
    unary_calls: int = 20_000
    soak_entries: int = 1_000_000
    idle_streams: int = 200
    streams: int = 8
    callers: int = 16
    per_message: int = 100


QUICK = Sizes(
    products=100,
    single_entries=2_000,
    bulk_entries=20_000,
    unary_calls=1_000,
    soak_entries=50_000,
    idle_streams=20,
)


def aisles(product_ids: Sequence[str], scanners: int) -> list[list[str]]:
    """Each scanner counts its own part of the catalog, as scanners on a shop floor do."""
    return [list(product_ids[i::scanners]) for i in range(scanners)]


def aisle_location(i: int) -> str:
    """The code of the location the i-th scanner or caller counts in."""
    return f"AISLE-{i + 1:02d}"


def entries_for(
    count_id: str, product_ids: Sequence[str], n: int, rng: random.Random, location: str
) -> Iterator[counts_pb2.CountEntry]:
    selectors = [catalog_pb2.ProductSelector(id=p) for p in product_ids]
    prefix = uuid.uuid4().hex[:16]  # unique per plan; a counter makes each entry_id unique
    for i in range(n):
        item = entry(
            count_id,
            rng.choice(selectors),
            rng.randint(1, 5),
            counts_pb2.COUNT_MODE_ADD,
            stock_location=location,
        )
        item.entry_id = f"{prefix}-{i}"
        yield item


def plans(
    count_id: str, product_ids: Sequence[str], streams: int, total: int, seed: int
) -> list[list[counts_pb2.CountEntry]]:
    rng = random.Random(seed)
    per_stream = max(1, total // streams)
    return [
        list(entries_for(count_id, aisle, per_stream, rng, aisle_location(i)))
        for i, aisle in enumerate(aisles(product_ids, streams))
    ]


@dataclasses.dataclass
class UnaryResult:
    calls: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def unary_figure(key: str, label: str, result: UnaryResult) -> Figure:
    extra = {"p50_ms": round(result.percentile(50), 2), "p99_ms": round(result.percentile(99), 2)}
    return Figure(key, label, result.rate, "calls/s", extra)


def stream_figure(key: str, label: str, result: SimulationResult) -> Figure:
    return Figure(key, label, result.rate, extra={"entries": result.answered})


async def unary_run(
    endpoint: Endpoint, count_id: str, product_ids: Sequence[str], callers: int, calls: int
) -> UnaryResult:
    channels = [endpoint.channel() for _ in range(callers)]
    latencies: list[float] = []
    metadata = endpoint.metadata()
    try:
        await asyncio.gather(*(c.channel_ready() for c in channels))

        async def caller(channel: grpc.aio.Channel, aisle: Sequence[str], seed: int) -> None:
            stub = counts_grpc.InventoryCountServiceStub(channel)
            rng = random.Random(seed)
            for _ in range(calls // callers):
                request = counts_pb2.AddCountItemRequest(
                    inventory_count_id=count_id,
                    product=catalog_pb2.ProductSelector(id=rng.choice(aisle)),
                    counted_quantity=rng.randint(1, 5),
                    mode=counts_pb2.COUNT_MODE_ADD,
                    stock_location=site_pb2.LocationSelector(code=aisle_location(seed)),
                )
                started = time.perf_counter()
                await stub.AddCountItem(request, metadata=metadata, timeout=30)
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(
            *(
                caller(channel, aisle, i)
                for i, (channel, aisle) in enumerate(
                    zip(channels, aisles(product_ids, callers), strict=True)
                )
            )
        )
        return UnaryResult(len(latencies), time.perf_counter() - started, latencies)
    finally:
        await asyncio.gather(*(c.close(None) for c in channels))


async def stream_run(
    endpoint: Endpoint, entry_plans: Sequence[list[counts_pb2.CountEntry]], per_message: int
) -> SimulationResult:
    result = await run_scanners(
        endpoint, entry_plans, entries_per_message=per_message, device_prefix="bench"
    )
    if result.total("rejected") or result.total("reconnects"):
        raise RuntimeError(f"unexpected rejections or reconnects: {result.summary()}")
    return result


async def seed_catalog(
    endpoint: Endpoint, n: int, rng: random.Random, *, opening: int | None = None
) -> list[str]:
    """n products with opening stock (random up to 500, or `opening` each), created through the
    API by an admin."""
    async with endpoint.channel() as channel:
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        run = uuid.uuid4().hex[:6]
        ids: list[str] = []
        for start in range(0, n, 50):
            replies = await asyncio.gather(
                *(
                    stub.CreateProduct(
                        catalog_pb2.CreateProductRequest(
                            product=catalog_pb2.Product(
                                sku=f"BENCH-{run}-{i:06d}",
                                name=f"Bench product {i}",
                                unit_cost=money_pb2.Money(
                                    currency_code="USD", units=rng.randint(1, 40), nanos=250_000_000
                                ),
                            ),
                            opening_quantity=rng.randint(0, 500) if opening is None else opening,
                        ),
                        metadata=endpoint.metadata(),
                    )
                    for i in range(start, min(n, start + 50))
                )
            )
            ids.extend(r.product.id for r in replies)
        return ids


def add_aisle_locations(database: str, schema: str, n: int) -> None:
    """Locations AISLE-01 .. AISLE-n in the default site, written straight into the bench's
    schema (what SiteService.CreateLocation writes)."""
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        conn.execute(
            "INSERT INTO locations (id, site_id, code, name, zone, active, is_default, "
            "created_at, updated_at) "
            "SELECT gen_random_uuid()::text, s.id, 'AISLE-' || lpad(i::text, 2, '0'), "
            "'Aisle ' || i, 'Aisles', true, false, now(), now() "
            "FROM sites s, generate_series(1, %s) AS i WHERE s.is_default",
            (n,),
        )


async def start_count(endpoint: Endpoint) -> str:
    async with endpoint.channel() as channel:
        stub = counts_grpc.InventoryCountServiceStub(channel)
        reply = await stub.StartInventoryCount(
            counts_pb2.StartInventoryCountRequest(
                name="benchmark", type=counts_pb2.INVENTORY_COUNT_TYPE_CYCLE
            ),
            metadata=endpoint.metadata(),
        )
        return reply.inventory_count.id


def copy_limit(database: str, schema: str, rows: int) -> tuple[Figure, Figure]:
    """COPY of rows already stored by the stream into identical tables, with and without the
    foreign keys; returns both figures (rows/s)."""
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        stored = conn.execute(f"SELECT * FROM {ENTRIES_TABLE} LIMIT %s", (rows,)).fetchall()
        columns = [
            d.name for d in conn.execute(f"SELECT * FROM {ENTRIES_TABLE} LIMIT 0").description or ()
        ]
        foreign_keys = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            (f'"{schema}".{ENTRIES_TABLE}',),
        ).fetchall()
        figures = []
        for name, with_keys in (("copy_fk", True), ("copy_plain", False)):
            table = f"bench_{name}"
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute(f"CREATE TABLE {table} (LIKE {ENTRIES_TABLE} INCLUDING ALL)")
            if with_keys:
                for (definition,) in foreign_keys:
                    conn.execute(f"ALTER TABLE {table} ADD {definition}")
            conn.execute("CHECKPOINT")
            started = time.perf_counter()
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with conn.transaction(), conn.cursor() as cursor, cursor.copy(statement) as copy:
                for row in stored:
                    copy.write_row(row)
            seconds = time.perf_counter() - started
            conn.execute(f"DROP TABLE {table}")
            label = (
                "COPY into an identical table (foreign keys included)"
                if with_keys
                else "COPY into the same table without its foreign keys"
            )
            figures.append(
                Figure(f"1.{name}", label, len(stored) / seconds, "rows/s", {"rows": len(stored)})
            )
        return figures[0], figures[1]


async def measure_transport(sizes: Sizes, report: Report, secret: str) -> None:
    """(2): the stream shapes and a unary echo against the echo server."""
    echo = echo_server(secret)
    try:
        address = f"127.0.0.1:{echo.wait_port()}"
        staff = Endpoint(address, mint_token(secret, sub="bench-scanner", role=Role.STAFF))
        products = [str(uuid.uuid4()) for _ in range(sizes.products)]
        count_id = str(uuid.uuid4())
        print("(2) transport limits: the same client and server stack, no database")
        for streams, per_message, total, key in run_shapes(sizes):
            entry_plans = plans(count_id, products, streams, total, seed=streams)
            result = await stream_run(staff, entry_plans, per_message)
            report.add(
                stream_figure(
                    f"2.{key}", f"bare stream, {per_message}/message, {streams} stream(s)", result
                )
            )
        unary = await unary_run(staff, count_id, products, sizes.callers, sizes.unary_calls)
        report.add(unary_figure("2.unary", f"bare unary echo, {sizes.callers} callers", unary))
    finally:
        echo.stop()


def run_shapes(sizes: Sizes) -> list[tuple[int, int, int, str]]:
    """(streams, entries per message, total entries, key) of each stream run."""
    return [
        (1, 1, sizes.single_entries // 4, "single.1"),
        (sizes.streams, 1, sizes.single_entries, f"single.{sizes.streams}"),
        (1, sizes.per_message, sizes.bulk_entries // 4, "bulk.1"),
        (sizes.streams, sizes.per_message, sizes.bulk_entries, f"bulk.{sizes.streams}"),
    ]


async def measure_service(
    sizes: Sizes, report: Report, secret: str, database: str, schema: str, database_url: str
) -> None:
    """(3)-(6) against `inventory-service serve` on database_url (schema of database), and (1)
    on the rows those runs stored."""
    server = inventory_server(secret, database_url)
    try:
        address = f"127.0.0.1:{server.wait_port()}"
        admin = Endpoint(address, mint_token(secret, sub="bench-admin", role=Role.ADMIN))
        manager = Endpoint(address, mint_token(secret, sub="bench-manager", role=Role.MANAGER))
        staff = Endpoint(address, mint_token(secret, sub="bench-scanner", role=Role.STAFF))
        rng = random.Random(7)
        products = await seed_catalog(admin, sizes.products, rng)
        add_aisle_locations(database, schema, max(sizes.streams, sizes.callers))
        count_id = await start_count(manager)

        print("(3)/(4) StreamCountItems (PostgreSQL, ack after commit)")
        for streams, per_message, total, key in run_shapes(sizes):
            entry_plans = plans(count_id, products, streams, total, seed=100 + streams)
            result = await stream_run(staff, entry_plans, per_message)
            section = "3" if per_message == 1 else "4"
            report.add(
                stream_figure(
                    f"{section}.{key}",
                    f"StreamCountItems, {per_message}/message, {streams} stream(s)",
                    result,
                )
            )

        print("(1) database limit")
        with_keys, plain = copy_limit(database, schema, sizes.bulk_entries)
        report.add(with_keys)
        report.add(plain)

        print(f"(5) AddCountItem, {sizes.callers} callers")
        unary = await unary_run(staff, count_id, products, sizes.callers, sizes.unary_calls)
        report.add(unary_figure("5.unary", f"AddCountItem unary, {sizes.callers} callers", unary))

        print(f"(6) server memory over a {sizes.soak_entries:,}-entry stream")
        before = server.status()
        rng = random.Random(99)
        with RssSampler(server) as sampler:
            soak = await run_scanners(
                staff,
                [entries_for(count_id, products, sizes.soak_entries, rng, aisle_location(0))],
                entries_per_message=sizes.per_message,
                device_prefix="soak",
            )
        after = server.status()
        peak = max([before["VmRSS"], *sampler.samples, after["VmRSS"]])
        report.add(
            Figure(
                "6.soak",
                f"one stream of {soak.answered:,} entries, {sizes.per_message}/message",
                soak.rate,
                extra={
                    "rss_start": mb(before["VmRSS"]),
                    "rss_peak": mb(peak),
                    "rss_end": mb(after["VmRSS"]),
                    "growth": mb(after["VmRSS"] - before["VmRSS"]),
                    "peak_over_start": mb(peak - before["VmRSS"]),
                },
            )
        )
        report.figures["6.soak"].extra["growth_kb"] = after["VmRSS"] - before["VmRSS"]

        print(f"(6) {sizes.idle_streams} idle open streams")
        await idle_streams(staff, server, count_id, products, sizes.idle_streams, report)
    finally:
        server.stop()


async def idle_streams(
    endpoint: Endpoint,
    server: ServerProcess,
    count_id: str,
    products: Sequence[str],
    n: int,
    report: Report,
) -> None:
    """Opens n scanner streams, each storing one entry (so its handler surely runs), then idle."""
    from inventory_client.scanner import ScannerSession

    before = server.status()
    channels = [endpoint.channel() for _ in range(n)]
    sessions = [
        ScannerSession(c, device_id=f"idle-{i}", metadata=endpoint.metadata())
        for i, c in enumerate(channels)
    ]
    rng = random.Random(5)
    try:
        for session in sessions:
            session.start()
        entries = entries_for(count_id, products, n, rng, aisle_location(0))
        for session, item in zip(sessions, entries, strict=False):
            await session.put(item)
        await asyncio.gather(*(s.drain() for s in sessions))
        await asyncio.sleep(1.0)
        during = server.status()
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        await asyncio.gather(*(c.close(None) for c in channels))
    report.add(
        Figure(
            "6.idle",
            f"{n} idle open streams",
            float(n),
            "streams",
            {
                "threads_before": before["Threads"],
                "threads_open": during["Threads"],
                "rss_before": mb(before["VmRSS"]),
                "rss_open": mb(during["VmRSS"]),
                "rss_per_stream_kb": round((during["VmRSS"] - before["VmRSS"]) / n, 1),
            },
        )
    )
