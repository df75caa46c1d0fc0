"""A mixed workload for a fixed time against one worker, N workers and the three-replica
cluster, in one run (`make load`): calls/s and p50/p99 per method, and the scaling ratios.

The mix, per unary call a caller makes (weights): reads (GetProduct 30, GetInventoryCount 5),
lists (ListProducts 10, ListStockMovements 10, ListPendingApprovals 5), stock movements
(RecordStockMovements 15), adjustments with approvals (CreateStockAdjustment 10: half of them
THEFT, which waits for a manager, who approves it at once with ApproveStockAdjustment, counted
as a call of its own), and AddCountItem 15. Alongside, scanner streams (StreamCountItems, one
entry per message at a fixed pace each) count into the same count.

The load comes from several client processes (--clients, each an asyncio loop with --callers
concurrent callers, closed loop: a caller sends its next call when the last one answered, a
connection for every three callers, so the kernel spreads them over the workers), so one Python
process is not the limit; each reports the CPU time it used. The servers run as in
production (an access log line per call, which this script reads and drops), on a fresh
PostgreSQL schema that is dropped at the end.

    .venv/bin/python benchmarks/mixed_load.py            # 20 s per target
    .venv/bin/python benchmarks/mixed_load.py --quick    # 4 s per target

Targets (this 2-core machine, client and PostgreSQL sharing it): mixed >= 2,000 calls/s at
p99 <= 50 ms with N workers; N workers >= 1.5 x one worker.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing
import os
import queue
import random
import secrets
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402
from processes import fresh_schema  # noqa: E402
from scenarios import seed_catalog  # noqa: E402

from deploy.cluster import Cluster, haproxy_binary, migrate  # noqa: E402
from deploy.processes import ServerProcess, clean_env  # noqa: E402
from inventory.v1 import catalog_pb2, catalog_pb2_grpc, stock_adjustment_pb2  # noqa: E402
from inventory.v1 import inventory_count_pb2 as counts_pb2  # noqa: E402
from inventory.v1 import inventory_count_pb2_grpc as counts_grpc  # noqa: E402
from inventory.v1 import stock_adjustment_pb2_grpc as adjustments_grpc  # noqa: E402
from inventory_client.connection import Endpoint  # noqa: E402
from inventory_service.api.tokens import mint_token  # noqa: E402
from inventory_service.domain.identity import Role  # noqa: E402

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"
STREAM = "StreamCountItems (entries)"
CALLERS_PER_CONNECTION = 3
LAYERS = {f"inventory_service.{layer}" for layer in ("api", "services", "db", "domain")}
WEIGHTS = {
    "GetProduct": 30,
    "GetInventoryCount": 5,
    "ListProducts": 10,
    "ListStockMovements": 10,
    "ListPendingApprovals": 5,
    "RecordStockMovements": 15,
    "CreateStockAdjustment": 10,
    "AddCountItem": 15,
}


@dataclasses.dataclass(frozen=True)
class Plan:
    address: str
    seconds: float
    warmup: float
    callers: int
    products: list[str]
    count_id: str
    tokens: dict[str, str]  # role name -> token
    seed: int
    streams: int = 0
    stream_rate: float = 0.0  # entries per second per stream


@dataclasses.dataclass
class Outcome:
    """One client process's record: latencies (s) per method, error codes, CPU seconds."""

    latencies: dict[str, list[float]] = dataclasses.field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = dataclasses.field(default_factory=lambda: defaultdict(int))
    cpu: float = 0.0
    seconds: float = 0.0


# -- the client processes ----------------------------------------------------------------------


class Workload:
    def __init__(self, plan: Plan, channel: grpc.aio.Channel, rng: random.Random) -> None:
        self.plan = plan
        self.rng = rng
        self.catalog = catalog_pb2_grpc.CatalogServiceStub(channel)
        self.counts = counts_grpc.InventoryCountServiceStub(channel)
        self.adjustments = adjustments_grpc.StockAdjustmentServiceStub(channel)
        self.staff = [("authorization", f"Bearer {plan.tokens['staff']}")]
        self.manager = [("authorization", f"Bearer {plan.tokens['manager']}")]
        names = list(WEIGHTS)
        self.choices = names
        self.weights = [WEIGHTS[n] for n in names]

    def product(self) -> str:
        return self.rng.choice(self.plan.products)

    async def one(self, record: Callable[[str, float, str | None], None]) -> None:
        name = self.rng.choices(self.choices, self.weights)[0]
        await getattr(self, name)(record)

    async def _timed(
        self, record: Callable[[str, float, str | None], None], name: str, call: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            response = await call
        except grpc.aio.AioRpcError as error:
            record(name, time.perf_counter() - started, error.code().name)
            return None
        record(name, time.perf_counter() - started, None)
        return response

    async def GetProduct(self, record: Any) -> None:
        selector = catalog_pb2.ProductSelector(id=self.product())
        request = catalog_pb2.GetProductRequest(product=selector)
        await self._timed(
            record, "GetProduct", self.catalog.GetProduct(request, metadata=self.staff)
        )

    async def GetInventoryCount(self, record: Any) -> None:
        request = counts_pb2.GetInventoryCountRequest(inventory_count_id=self.plan.count_id)
        call = self.counts.GetInventoryCount(request, metadata=self.manager)
        await self._timed(record, "GetInventoryCount", call)

    async def ListProducts(self, record: Any) -> None:
        request = catalog_pb2.ListProductsRequest(page_size=20)
        await self._timed(
            record, "ListProducts", self.catalog.ListProducts(request, metadata=self.staff)
        )

    async def ListStockMovements(self, record: Any) -> None:
        request = catalog_pb2.ListStockMovementsRequest(product_id=self.product(), page_size=20)
        call = self.catalog.ListStockMovements(request, metadata=self.staff)
        await self._timed(record, "ListStockMovements", call)

    async def ListPendingApprovals(self, record: Any) -> None:
        request = stock_adjustment_pb2.ListPendingApprovalsRequest(page_size=20)
        call = self.adjustments.ListPendingApprovals(request, metadata=self.manager)
        await self._timed(record, "ListPendingApprovals", call)

    async def RecordStockMovements(self, record: Any) -> None:
        movement = catalog_pb2.StockMovement(
            product_id=self.product(),
            quantity_delta=self.rng.choice((-2, -1, 1, 3)),
            source_reference="BENCH",
        )
        request = catalog_pb2.RecordStockMovementsRequest(movements=[movement])
        call = self.catalog.RecordStockMovements(request, metadata=self.staff)
        await self._timed(record, "RecordStockMovements", call)

    async def CreateStockAdjustment(self, record: Any) -> None:
        theft = self.rng.random() < 0.5
        types = stock_adjustment_pb2.StockAdjustmentType
        request = stock_adjustment_pb2.CreateStockAdjustmentRequest(
            product_id=self.product(),
            type=types.STOCK_ADJUSTMENT_TYPE_THEFT if theft else types.STOCK_ADJUSTMENT_TYPE_DAMAGE,
            quantity_change=-1,
            reason="benchmark",
        )
        call = self.adjustments.CreateStockAdjustment(request, metadata=self.staff)
        created = await self._timed(record, "CreateStockAdjustment", call)
        if created is not None and created.stock_adjustment.requires_approval:
            approve = stock_adjustment_pb2.ApproveStockAdjustmentRequest(
                stock_adjustment_id=created.stock_adjustment.id
            )
            call = self.adjustments.ApproveStockAdjustment(approve, metadata=self.manager)
            await self._timed(record, "ApproveStockAdjustment", call)

    async def AddCountItem(self, record: Any) -> None:
        request = counts_pb2.AddCountItemRequest(
            inventory_count_id=self.plan.count_id,
            product=catalog_pb2.ProductSelector(id=self.product()),
            counted_quantity=1,
            mode=counts_pb2.COUNT_MODE_ADD,
        )
        await self._timed(
            record, "AddCountItem", self.counts.AddCountItem(request, metadata=self.staff)
        )


async def _stream(
    plan: Plan,
    channel: grpc.aio.Channel,
    rng: random.Random,
    outcome: Outcome,
    window: tuple[float, float],
) -> None:
    """One scanner: an entry per message at plan.stream_rate; ack latency per entry."""
    stub = counts_grpc.InventoryCountServiceStub(channel)
    staff = [("authorization", f"Bearer {plan.tokens['staff']}")]
    call: Any = stub.StreamCountItems(metadata=staff)
    sent: dict[str, float] = {}
    start, end = window

    async def read() -> None:
        async for response in call:
            now = time.perf_counter()
            for ack in response.acks:
                started = sent.pop(ack.entry_id, None)
                if started is not None and start <= started < end:
                    if ack.WhichOneof("result") == "item":
                        outcome.latencies[STREAM].append(now - started)
                    else:
                        outcome.errors[STREAM] += 1

    reader = asyncio.create_task(read())
    await call.write(counts_pb2.StreamCountItemsRequest(device_id=f"bench-{uuid.uuid4().hex[:8]}"))
    interval = 1.0 / plan.stream_rate
    next_at = time.perf_counter()
    while time.perf_counter() < end:
        entry = counts_pb2.CountEntry(
            entry_id=uuid.uuid4().hex,
            inventory_count_id=plan.count_id,
            product=catalog_pb2.ProductSelector(id=rng.choice(plan.products)),
            quantity=1,
            mode=counts_pb2.COUNT_MODE_ADD,
        )
        sent[entry.entry_id] = time.perf_counter()
        await call.write(counts_pb2.StreamCountItemsRequest(entries=[entry]))
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    await call.done_writing()
    await asyncio.wait_for(reader, 30)


async def _client(plan: Plan) -> Outcome:
    outcome = Outcome()
    rng = random.Random(plan.seed)
    started = time.perf_counter()
    window = (started + plan.warmup, started + plan.warmup + plan.seconds)

    def record(name: str, latency: float, error: str | None) -> None:
        now = time.perf_counter()
        if not window[0] <= now < window[1]:
            return
        if error is None:
            outcome.latencies[name].append(latency)
        else:
            outcome.errors[f"{name} {error}"] += 1

    # A connection per CALLERS_PER_CONNECTION callers, as many clients would have: the kernel
    # spreads connections, not calls, over the workers (grpc would share one connection
    # between channels to one address without a local subchannel pool).
    count = max(1, plan.callers // CALLERS_PER_CONNECTION)
    channels = [
        grpc.aio.insecure_channel(plan.address, options=[("grpc.use_local_subchannel_pool", 1)])
        for _ in range(count)
    ]
    try:
        await asyncio.gather(*(channel.channel_ready() for channel in channels))
        workloads = [Workload(plan, channel, rng) for channel in channels]

        async def caller(workload: Workload) -> None:
            while time.perf_counter() < window[1]:
                await workload.one(record)

        tasks = [caller(workloads[i % count]) for i in range(plan.callers)]
        tasks += [
            _stream(plan, channels[i % count], rng, outcome, window) for i in range(plan.streams)
        ]
        await asyncio.gather(*tasks)
    finally:
        await asyncio.gather(*(channel.close() for channel in channels))
    outcome.seconds = plan.seconds
    return outcome


def client_process(plan: Plan, results: Any) -> None:
    before = os.times()
    outcome = asyncio.run(_client(plan))
    after = os.times()
    outcome.cpu = (after.user - before.user) + (after.system - before.system)
    results.put(
        {
            "latencies": dict(outcome.latencies),
            "errors": dict(outcome.errors),
            "cpu": outcome.cpu,
        }
    )


# -- a run against one target -----------------------------------------------------------------


@dataclasses.dataclass
class TargetResult:
    name: str
    seconds: float
    latencies: dict[str, list[float]]
    errors: dict[str, int]
    client_cpu: float
    server_cpu: float

    def calls(self, name: str | None = None) -> int:
        if name is not None:
            return len(self.latencies.get(name, []))
        return sum(len(v) for k, v in self.latencies.items() if k != STREAM)

    def rate(self, name: str | None = None) -> float:
        return self.calls(name) / self.seconds

    def p(self, q: float, name: str | None = None) -> float:
        values = sorted(
            self.latencies.get(name, [])
            if name is not None
            else [x for k, v in self.latencies.items() if k != STREAM for x in v]
        )
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(q / 100 * len(values)))] * 1000


def run_target(
    name: str,
    address: str,
    server_pids: Callable[[], list[int]],
    args: argparse.Namespace,
    setup: dict[str, Any],
) -> TargetResult:
    count_id = setup["start_count"](address)
    plans = [
        Plan(
            address=address,
            seconds=args.seconds,
            warmup=args.warmup,
            callers=args.callers,
            products=setup["products"],
            count_id=count_id,
            tokens=setup["tokens"],
            seed=i,
            streams=args.streams if i == 0 else 0,
            stream_rate=args.stream_rate,
        )
        for i in range(args.clients)
    ]
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    cpu_before = _cpu(server_pids())
    processes = [context.Process(target=client_process, args=(plan, results)) for plan in plans]
    for process in processes:
        process.start()
    profiler = _profile(name, server_pids(), args) if args.profile else None
    outcomes = _collect(processes, results, time.monotonic() + args.warmup + args.seconds + 120)
    if profiler is not None:
        profiler.wait(60)
        print(summarize_profile(Path(profiler.args[-1])))
    for process in processes:
        process.join(30)
    server_cpu = _cpu(server_pids()) - cpu_before
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    for outcome in outcomes:
        for method, values in outcome["latencies"].items():
            latencies[method].extend(values)
        for key, value in outcome["errors"].items():
            errors[key] += value
    setup["finish_count"](address, count_id)
    return TargetResult(
        name,
        args.seconds,
        dict(latencies),
        dict(errors),
        sum(o["cpu"] for o in outcomes),
        server_cpu,
    )


def _collect(processes: list[Any], results: Any, deadline: float) -> list[dict[str, Any]]:
    """Each client's outcome; a client that died without one ends the run with its code."""
    outcomes: list[dict[str, Any]] = []
    while len(outcomes) < len(processes):
        try:
            outcomes.append(results.get(timeout=1))
        except queue.Empty:
            dead = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"client processes failed: exit codes {dead}") from None
    return outcomes


def _profile(name: str, pids: Sequence[int], args: argparse.Namespace) -> subprocess.Popen[bytes]:
    """py-spy (pip install py-spy) on the busiest server process, from the end of the
    warm-up to the end of the measured window."""
    time.sleep(args.warmup)  # the clients start (a second or so) and warm up
    before = {pid: _cpu([pid]) for pid in pids}
    time.sleep(1.0)
    worker = _busiest(pids, before)
    output = Path(args.profile) / f"{name.replace(' ', '-').replace('+', '')}.txt"
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(worker)]
    command += ["--duration", str(max(1, int(args.seconds) - 1)), "--rate", "200"]
    command += ["--gil", "--nonblocking", "--format", "raw", "--output", str(output)]
    log = output.with_suffix(".log").open("w")
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def _busiest(pids: Sequence[int], before: dict[int, float]) -> int:
    """The Python server process (a worker, not its supervisor, nor HAProxy) that used the most
    CPU since `before`."""
    python = [pid for pid in pids if _command(pid).startswith(sys.executable)]
    return max(python or pids, key=lambda pid: _cpu([pid]) - before.get(pid, 0.0))


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def summarize_profile(path: Path, top: int = 12) -> str:
    """py-spy's collapsed stacks (sampled while a thread held the GIL: where the Python CPU time
    went): the share of samples by package of the running frame (self), and by layer of ours
    anywhere on the stack (inclusive)."""
    if not path.exists():
        return f"   (no profile: {path} missing; is py-spy installed?)"
    own: dict[str, int] = defaultdict(int)
    layers: dict[str, int] = defaultdict(int)
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        own[_package(frames[-1])] += samples
        for layer in {_package(f) for f in frames} & LAYERS:
            layers[layer] += samples
    if not total:
        return f"   (no samples in {path})"
    lines = [f"   GIL profile of one server process: {total} samples ({path})"]
    lines.append("   running (self), by package:")
    for package, samples in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"     {samples / total:6.1%}  {package}")
    lines.append("   under our layers (inclusive):")
    for layer, samples in sorted(layers.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"     {samples / total:6.1%}  {layer}")
    return "\n".join(lines)


def _package(frame: str) -> str:
    """'sqlalchemy', 'grpc', 'asyncio', 'inventory_service.api', ... of a py-spy frame
    'function (path:line)' (py-spy shortens paths to where the package starts)."""
    parts = Path(frame.rpartition("(")[2].split(":")[0]).parts
    if "inventory_service" in parts:
        return ".".join(parts[parts.index("inventory_service") :][:2]).removesuffix(".py")
    for anchor in ("site-packages", "python3.11"):  # a path py-spy left whole
        if anchor in parts:
            parts = parts[parts.index(anchor) + 1 :]
    return parts[0].removesuffix(".py") if parts else frame


def _cpu(pids: Sequence[int]) -> float:
    """CPU seconds (user + system) used so far by these processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[parent].append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


# -- setup -------------------------------------------------------------------------------------


def seed(address: str, admin: str, n: int) -> list[str]:
    """n products with stock enough for every movement and adjustment of a run."""
    endpoint = Endpoint(address, admin)
    return asyncio.run(seed_catalog(endpoint, n, random.Random(n), opening=1_000_000))


def count_calls(manager: str) -> tuple[Callable[[str], str], Callable[[str, str], None]]:
    metadata = [("authorization", f"Bearer {manager}")]

    def start(address: str) -> str:
        with grpc.insecure_channel(address) as channel:
            reply = counts_grpc.InventoryCountServiceStub(channel).StartInventoryCount(
                counts_pb2.StartInventoryCountRequest(
                    name="load benchmark", type=counts_pb2.INVENTORY_COUNT_TYPE_CYCLE
                ),
                metadata=metadata,
            )
            return str(reply.inventory_count.id)

    def finish(address: str, count_id: str) -> None:
        with grpc.insecure_channel(address) as channel:
            counts_grpc.InventoryCountServiceStub(channel).CancelInventoryCount(
                counts_pb2.CancelInventoryCountRequest(inventory_count_id=count_id),
                metadata=metadata,
            )

    return start, finish


# -- report ------------------------------------------------------------------------------------


def print_target(result: TargetResult) -> None:
    seconds = result.seconds
    print(
        f"\n== {result.name}: {result.rate():,.0f} calls/s "
        f"(p50 {result.p(50):.1f} ms, p99 {result.p(99):.1f} ms)"
    )
    per_call = result.server_cpu / max(1, result.calls()) * 1000
    print(
        f"   CPU: servers {result.server_cpu / seconds:.2f} cores ({per_call:.1f} ms per unary "
        f"call, the streams' share included), clients {result.client_cpu / seconds:.2f} cores"
    )
    print(f"   {'method':<28} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for method in sorted(result.latencies, key=lambda m: (m == STREAM, m)):
        rate, p50, p99 = result.rate(method), result.p(50, method), result.p(99, method)
        print(f"   {method:<28} {rate:>9,.0f} {p50:>8.1f} {p99:>8.1f}")
    if result.errors:
        print("   errors: " + ", ".join(f"{k}: {v}" for k, v in sorted(result.errors.items())))
    sys.stdout.flush()


def not_an_access_line(record: dict[str, Any]) -> bool:
    return record.get("message") != "rpc"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="4 s per target")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per target")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=3, help="client processes")
    parser.add_argument("--callers", type=int, default=12, help="concurrent callers per client")
    parser.add_argument("--streams", type=int, default=4, help="scanner streams")
    parser.add_argument("--stream-rate", type=float, default=20.0, help="entries/s per stream")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--targets", default="1,N,cluster", help="which of 1,N,cluster")
    parser.add_argument(
        "--profile", metavar="DIR", help="py-spy one server process of each target into DIR"
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup = 4.0, 1.0
    targets = args.targets.split(",")
    secret = secrets.token_urlsafe(32)
    tokens = {
        role.name.lower(): mint_token(secret, sub=f"load-{role.name.lower()}", role=role)
        for role in Role
    }
    print(
        f"mixed load: {args.clients} client processes x {args.callers} callers, {args.streams} "
        f"streams at {args.stream_rate:g} entries/s, {args.seconds:g} s per target; "
        f"load average at start {loadavg()}"
    )
    results: list[TargetResult] = []
    env_extra = {"INVENTORY_JWT_SECRET": secret}
    with fresh_schema(args.database) as (_, url):
        migrate(url)
        start_count, finish_count = count_calls(tokens["manager"])
        setup: dict[str, Any] = {
            "tokens": tokens,
            "start_count": start_count,
            "finish_count": finish_count,
        }
        env = clean_env(INVENTORY_DATABASE_URL=url, **env_extra)
        for target in targets:
            if target in ("1", "N"):
                workers = 1 if target == "1" else args.workers
                name = f"{workers} worker{'s' if workers > 1 else ''}"
                argv = ["--listen", "127.0.0.1:0", "--workers", str(workers)]
                with ServerProcess(name, argv, env, keep=not_an_access_line) as server:
                    server.wait_for(lambda r, w=workers, s=server: len(s.messages("serving")) >= w)
                    address = f"127.0.0.1:{server.port}"
                    setup.setdefault("products", seed(address, tokens["admin"], args.products))
                    results.append(
                        run_target(name, address, lambda s=server: _descendants(s.pid), args, setup)
                    )
            elif target == "cluster":
                if haproxy_binary() is None:
                    print(
                        "\n!!! cluster skipped: haproxy is not installed (apt-get install haproxy)"
                    )
                    continue
                with Cluster(
                    url, secret, replicas=3, workers=1, keep=not_an_access_line
                ) as cluster:
                    setup.setdefault(
                        "products", seed(cluster.address, tokens["admin"], args.products)
                    )

                    def pids() -> list[int]:
                        found = [
                            pid
                            for r in cluster.members
                            if r.process
                            for pid in _descendants(r.process.pid)
                        ]
                        return found + ([cluster.haproxy.pid] if cluster.haproxy else [])

                    results.append(
                        run_target("3 replicas + HAProxy", cluster.address, pids, args, setup)
                    )
            print_target(results[-1])
    print(f"\nload average at the end {loadavg()}")
    by_name = {r.name: r for r in results}
    one = next((r for r in results if r.name == "1 worker"), None)
    many = next((r for r in results if r.name.endswith("workers")), None)
    if one and many:
        print(f"scaling: {many.name} / 1 worker = {many.rate() / one.rate():.2f}x (target >= 1.5x)")
        met = many.rate() >= 2000 and many.p(99) <= 50
        verdict = "met" if met else "missed"
        print(
            f"{many.name}: {many.rate():,.0f} calls/s at p99 {many.p(99):.1f} ms "
            f"(target >= 2,000 at <= 50 ms: {verdict})"
        )
    cluster_result = by_name.get("3 replicas + HAProxy")
    if one and cluster_result:
        print(f"scaling: cluster / 1 worker = {cluster_result.rate() / one.rate():.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
