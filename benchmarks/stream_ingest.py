"""StreamCountItems against its limits, all measured in one run on this machine (`make bench`).

Figures (entries/s, and as a ratio to the limits measured in the same run):
  (1) database limit: the rows the 8-stream bulk run stored, loaded again with psycopg COPY into
      an identical table (same columns, indexes, checks and foreign keys);
  (2) transport limits: the same client against the same grpc.aio server stack with no database
      behind it (benchmarks/echo_server.py, a separate process): the same stream messages, and a
      bare unary echo at 16 callers;
  (3) StreamCountItems, one entry per message, 1 and 8 streams;
  (4) StreamCountItems, 100 entries per message, 1 and 8 streams;
  (5) AddCountItem, 16 concurrent callers, with p50 and p99 latency;
  (6) the server's RSS over a long stream (1,000,000 entries): start, peak, end, growth; and
      200 idle open streams: the server's threads and RSS before and after opening them.

The server under test is `inventory-service serve` in its own process, on a fresh PostgreSQL
schema that is dropped at the end. Scanners are ScannerSession (the Python client), one channel
each; each scanner counts its own part of the catalog (its aisle), entries in ADD mode.

    .venv/bin/python benchmarks/stream_ingest.py            # full size
    .venv/bin/python benchmarks/stream_ingest.py --quick    # a smoke run of a few seconds
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import grpc
import psycopg
from google.type import money_pb2

from inventory.v1 import catalog_pb2, catalog_pb2_grpc
from inventory.v1 import inventory_count_pb2 as counts_pb2
from inventory.v1 import inventory_count_pb2_grpc as counts_grpc
from inventory_client.connection import Endpoint
from inventory_client.simulate import SimulationResult, entry, run_scanners
from inventory_service.api.tokens import mint_token
from inventory_service.domain.identity import Role

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"
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


# -- processes ---------------------------------------------------------------------------------


class ServerProcess:
    """A server in its own process; its port comes from the JSON "serving" line on stderr."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str]) -> None:
        self.name = name
        self.tail: deque[str] = deque(maxlen=40)
        self._port: int | None = None
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            list(argv),
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._stopping = False
        self._reader = threading.Thread(target=self._read, name=f"{name}-stderr", daemon=True)
        self._reader.start()
        threading.Thread(target=self._watch, name=f"{name}-watch", daemon=True).start()

    def _watch(self) -> None:
        # A server that dies mid-run must end the benchmark with its last words, not hang it.
        code = self.process.wait()
        if not self._stopping:
            self._reader.join(5)
            print(
                f"\n{self.name} exited unexpectedly with code {code}; last log lines:",
                file=sys.stderr,
            )
            print("\n".join(self.tail), file=sys.stderr, flush=True)
            os._exit(3)

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if self._port is None:
                with contextlib.suppress(ValueError):
                    record = json.loads(line)
                    if record.get("message") == "serving" and "port" in record:
                        self._port = int(record["port"])
                        self._ready.set()
                self.tail.append(line.rstrip())
            elif '"level": "error"' in line or '"level": "critical"' in line:
                self.tail.append(line.rstrip())
        self._ready.set()

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_port(self, timeout: float = 120.0) -> int:
        self._ready.wait(timeout)
        if self._port is None:
            self.stop()
            raise RuntimeError(f"{self.name} did not start:\n" + "\n".join(self.tail))
        return self._port

    def status(self) -> dict[str, int]:
        """VmRSS, VmHWM (kB) and Threads from /proc/PID/status."""
        values: dict[str, int] = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                values[key] = int(rest.split()[0])
        return values

    def stop(self) -> None:
        self._stopping = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)


class RssSampler:
    """Samples a process's VmRSS every interval seconds while running."""

    def __init__(self, server: ServerProcess, interval: float = 0.1) -> None:
        self.server = server
        self.interval = interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError):
                self.samples.append(self.server.status()["VmRSS"])
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# -- workload ----------------------------------------------------------------------------------


def aisles(product_ids: Sequence[str], scanners: int) -> list[list[str]]:
    """Each scanner counts its own part of the catalog, as scanners on a shop floor do."""
    return [list(product_ids[i::scanners]) for i in range(scanners)]


def entries_for(
    count_id: str, product_ids: Sequence[str], n: int, rng: random.Random
) -> Iterator[counts_pb2.CountEntry]:
    selectors = [catalog_pb2.ProductSelector(id=p) for p in product_ids]
    prefix = uuid.uuid4().hex[:16]  # unique per plan; a counter makes each entry_id unique
    for i in range(n):
        item = entry(count_id, rng.choice(selectors), rng.randint(1, 5), counts_pb2.COUNT_MODE_ADD)
        item.entry_id = f"{prefix}-{i}"
        yield item


def plans(
    count_id: str, product_ids: Sequence[str], streams: int, total: int, seed: int
) -> list[list[counts_pb2.CountEntry]]:
    rng = random.Random(seed)
    per_stream = max(1, total // streams)
    return [
        list(entries_for(count_id, aisle, per_stream, rng))
        for aisle in aisles(product_ids, streams)
    ]


@dataclasses.dataclass
class Figure:
    key: str
    label: str
    rate: float
    unit: str = "entries/s"
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


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


# -- setup -------------------------------------------------------------------------------------


async def seed_catalog(endpoint: Endpoint, n: int, rng: random.Random) -> list[str]:
    """n products with opening stock, created through the API by an admin."""
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
                            opening_quantity=rng.randint(0, 500),
                        ),
                        metadata=endpoint.metadata(),
                    )
                    for i in range(start, min(n, start + 50))
                )
            )
            ids.extend(r.product.id for r in replies)
        return ids


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


# -- report ------------------------------------------------------------------------------------


def ratio(value: float, limit: float | None) -> str:
    return f"{value / limit:6.1%}" if limit else "   n/a"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def mb(kilobytes: float) -> str:
    return f"{kilobytes / 1024:.1f} MB"


class Report:
    def __init__(self) -> None:
        self.figures: dict[str, Figure] = {}
        self.notes: list[str] = []

    def add(self, figure: Figure) -> Figure:
        self.figures[figure.key] = figure
        extra = " ".join(f"{k}={v}" for k, v in figure.extra.items())
        print(f"  {figure.key:<11} {figure.rate:>12,.0f} {figure.unit:<10} {figure.label} {extra}")
        sys.stdout.flush()
        return figure

    def rate(self, key: str) -> float | None:
        figure = self.figures.get(key)
        return figure.rate if figure else None


# -- main --------------------------------------------------------------------------------------


def server_env(secret: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
    env.update({"INVENTORY_JWT_SECRET": secret, "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


async def measure_transport(
    args: argparse.Namespace, sizes: Sizes, report: Report, secret: str
) -> None:
    echo = ServerProcess(
        "echo-server",
        [sys.executable, str(ROOT / "benchmarks" / "echo_server.py"), "--listen", "127.0.0.1:0"],
        server_env(secret),
    )
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
                Figure(
                    f"2.{key}",
                    f"bare stream, {per_message}/message, {streams} stream(s)",
                    result.rate,
                    extra={"entries": result.answered},
                )
            )
        unary = await unary_run(staff, count_id, products, sizes.callers, sizes.unary_calls)
        report.add(
            Figure(
                "2.unary",
                f"bare unary echo, {sizes.callers} callers",
                unary.rate,
                "calls/s",
                {
                    "p50_ms": round(unary.percentile(50), 2),
                    "p99_ms": round(unary.percentile(99), 2),
                },
            )
        )
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
    args: argparse.Namespace, sizes: Sizes, report: Report, secret: str, database_url: str
) -> None:
    argv = [
        str(BIN / "inventory-service"),
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        database_url,
    ]
    server = ServerProcess("inventory-service", argv, server_env(secret))
    try:
        address = f"127.0.0.1:{server.wait_port()}"
        admin = Endpoint(address, mint_token(secret, sub="bench-admin", role=Role.ADMIN))
        manager = Endpoint(address, mint_token(secret, sub="bench-manager", role=Role.MANAGER))
        staff = Endpoint(address, mint_token(secret, sub="bench-scanner", role=Role.STAFF))
        rng = random.Random(7)
        products = await seed_catalog(admin, sizes.products, rng)
        try:
            count_id = await start_count(manager)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.UNIMPLEMENTED:
                report.notes.append(
                    "(3)-(6) not measured: the server does not implement counts yet"
                )
                print("  the server does not implement counts yet: (3)-(6) skipped")
                return
            raise

        print("(3)/(4) StreamCountItems (PostgreSQL, ack after commit)")
        for streams, per_message, total, key in run_shapes(sizes):
            entry_plans = plans(count_id, products, streams, total, seed=100 + streams)
            result = await stream_run(staff, entry_plans, per_message)
            section = "3" if per_message == 1 else "4"
            report.add(
                Figure(
                    f"{section}.{key}",
                    f"StreamCountItems, {per_message}/message, {streams} stream(s)",
                    result.rate,
                    extra={"entries": result.answered},
                )
            )

        print("(1) database limit")
        with_keys, plain = copy_limit(args.database, args.schema, sizes.bulk_entries)
        report.add(with_keys)
        report.add(plain)

        print(f"(5) AddCountItem, {sizes.callers} callers")
        unary = await unary_run(staff, count_id, products, sizes.callers, sizes.unary_calls)
        report.add(
            Figure(
                "5.unary",
                f"AddCountItem unary, {sizes.callers} callers",
                unary.rate,
                "calls/s",
                {
                    "p50_ms": round(unary.percentile(50), 2),
                    "p99_ms": round(unary.percentile(99), 2),
                },
            )
        )

        print(f"(6) server memory over a {sizes.soak_entries:,}-entry stream")
        before = server.status()
        rng = random.Random(99)
        with RssSampler(server) as sampler:
            soak = await run_scanners(
                staff,
                [entries_for(count_id, products, sizes.soak_entries, rng)],
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
        for session, item in zip(sessions, entries_for(count_id, products, n, rng), strict=False):
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


def print_summary(report: Report, sizes: Sizes) -> None:
    r = report.rate
    s = sizes.streams
    print()
    print("Summary (ratios to the limits measured above, in this run)")
    db = r("1.copy_fk")
    rows: list[tuple[str, float | None, float | None, str]] = [
        ("(3) 1/message, 1 stream", r("3.single.1"), r("2.single.1"), "transport 1/msg, 1 stream"),
        (
            f"(3) 1/message, {s} streams",
            r(f"3.single.{s}"),
            r(f"2.single.{s}"),
            f"transport 1/msg, {s} streams  [target >= 60%]",
        ),
    ]
    for streams in (1, s):
        transport = r(f"2.bulk.{streams}")
        lower = min(x for x in (db, transport) if x) if (db or transport) else None
        which = "database" if lower == db else "transport"
        target = "  [target >= 50%]" if streams == s else ""
        rows.append(
            (
                f"(4) {sizes.per_message}/message, {streams} stream(s)",
                r(f"4.bulk.{streams}"),
                lower,
                f"lower limit ({which}){target}",
            )
        )
    rows.append(
        (
            "(5) AddCountItem, 16 callers",
            r("5.unary"),
            r("2.unary"),
            "bare unary echo  [target >= 50%, p99 <= 25 ms]",
        )
    )
    for label, value, limit, against in rows:
        if value is None:
            continue
        print(f"  {label:<30} {value:>10,.0f}/s  {ratio(value, limit)} of {against}")
    unary = report.figures.get("5.unary")
    if unary:
        print(f"  (5) latency p50 {unary.extra['p50_ms']} ms, p99 {unary.extra['p99_ms']} ms")
    soak = report.figures.get("6.soak")
    if soak:
        print(
            f"  (6) RSS start {soak.extra['rss_start']}, peak {soak.extra['rss_peak']}, "
            f"end {soak.extra['rss_end']}, growth {soak.extra['growth']}  [target <= 50 MB]"
        )
    idle = report.figures.get("6.idle")
    if idle:
        e = idle.extra
        print(
            f"  (6) {int(idle.rate)} idle streams: threads {e['threads_before']} -> "
            f"{e['threads_open']}, RSS {e['rss_before']} -> {e['rss_open']} "
            f"({e['rss_per_stream_kb']} kB per stream)"
        )
    for note in report.notes:
        print(f"  note: {note}")


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, Sizes]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument(
        "--database", default=os.environ.get("INVENTORY_BENCH_DATABASE", DEFAULT_DATABASE)
    )
    parser.add_argument("--transport-only", action="store_true", help="only (2), no database")
    defaults = Sizes()
    for field in dataclasses.fields(Sizes):
        parser.add_argument(
            f"--{field.name.replace('_', '-')}",
            type=int,
            help=f"default {getattr(defaults, field.name)}",
        )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else Sizes()
    overrides = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(Sizes)
        if getattr(args, f.name) is not None
    }
    return args, dataclasses.replace(sizes, **overrides)


async def main_async(args: argparse.Namespace, sizes: Sizes) -> Report:
    report = Report()
    secret = secrets.token_urlsafe(32)
    await measure_transport(args, sizes, report, secret)
    if args.transport_only:
        return report
    args.schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.database, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{args.schema}"')
    try:
        url = f"{args.database}?options=-csearch_path%3D{args.schema}"
        await measure_service(args, sizes, report, secret, url)
    finally:
        with psycopg.connect(args.database, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{args.schema}" CASCADE')
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args, sizes = parse_args(argv)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    print(
        f"stream_ingest benchmark: commit {commit}, {os.cpu_count()} CPUs, load average {loadavg()}"
    )
    print(f"sizes: {dataclasses.asdict(sizes)}")
    started = time.perf_counter()
    report = asyncio.run(main_async(args, sizes))
    print_summary(report, sizes)
    print(f"done in {time.perf_counter() - started:.0f} s; load average now {loadavg()}")
    if args.json:
        Path(args.json).write_text(
            json.dumps({k: dataclasses.asdict(f) for k, f in report.figures.items()}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
