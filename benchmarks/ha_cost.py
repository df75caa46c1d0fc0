"""What the high-availability set-up costs (`make bench-ha`): `make bench` figures (3), (4) and
(5) on PostgreSQL with automatic failover, whose commits wait for the synchronous standby
(deploy/ha_postgres.py), against a single PostgreSQL, in one run on this machine.

Three targets, each `inventory-service serve --workers 1` on its own database:
  single    the PostgreSQL at 127.0.0.1:5432, in a fresh schema (dropped at the end);
  ha-local  the HA primary with synchronous_commit=local: the same server, commits not waiting
            for the standby (what the HA set-up costs apart from the wait);
  ha-sync   the HA primary as the service uses it: each commit waits for the standby's flush.
Each figure is measured on the three targets in turn before the next figure (paired, under the
same load), with the load average beside it.

    make bench-ha                          # full size, as `make bench`
    make bench-ha BENCH_ARGS=--quick       # a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import random
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg
from processes import ROOT, ServerProcess, fresh_schema, inventory_server
from report import Figure, Report, loadavg
from scenarios import (
    QUICK,
    Sizes,
    plans,
    run_shapes,
    seed_catalog,
    start_count,
    stream_figure,
    stream_run,
    unary_figure,
    unary_run,
)

from deploy.cluster import free_port
from deploy.ha_postgres import HaPostgres
from inventory_client.connection import Endpoint
from inventory_service.api.tokens import mint_token
from inventory_service.domain.identity import Role

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"
TARGETS = ("single", "ha-local", "ha-sync")


@dataclasses.dataclass
class Target:
    name: str
    server: ServerProcess
    staff: Endpoint
    products: list[str]
    count_id: str


def parse_args() -> tuple[argparse.Namespace, Sizes]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument(
        "--database", default=os.environ.get("INVENTORY_BENCH_DATABASE", DEFAULT_DATABASE)
    )
    parser.add_argument("--ha-dir", type=Path, default=ROOT / "var" / "ha-bench")
    args = parser.parse_args()
    return args, QUICK if args.quick else Sizes()


@contextlib.contextmanager
def databases(args: argparse.Namespace) -> Iterator[dict[str, str]]:
    """The URL of each target's database (a schema of its own), for the length of the run."""
    with (
        fresh_schema(args.database) as (_, single),
        HaPostgres(args.ha_dir, (free_port(), free_port(), free_port())) as ha,
    ):
        try:
            with psycopg.connect(ha.node_url(ha.primary()), autocommit=True) as connection:
                for schema in ("bench_local", "bench_sync"):
                    connection.execute(f"CREATE SCHEMA {schema}")
            yield {
                "single": single,
                "ha-local": f"{ha.url}&options=-csearch_path%3Dbench_local"
                "%20-csynchronous_commit%3Dlocal",
                "ha-sync": f"{ha.url}&options=-csearch_path%3Dbench_sync",
            }
        finally:
            ha.stop()
            shutil.rmtree(args.ha_dir, ignore_errors=True)


async def prepare(name: str, url: str, secret: str, sizes: Sizes) -> Target:
    """A server on url with a catalog and a count in progress (stopped if that fails)."""
    server = inventory_server(secret, url)
    try:
        address = f"127.0.0.1:{server.wait_port()}"
        admin = Endpoint(address, mint_token(secret, sub="bench-admin", role=Role.ADMIN))
        manager = Endpoint(address, mint_token(secret, sub="bench-manager", role=Role.MANAGER))
        staff = Endpoint(address, mint_token(secret, sub="bench-scanner", role=Role.STAFF))
        products = await seed_catalog(admin, sizes.products, random.Random(7))
        return Target(name, server, staff, products, await start_count(manager))
    except BaseException:
        server.stop()
        raise


def add(report: Report, figure: Figure) -> None:
    figure.extra["load"] = loadavg().split()[0]
    report.add(figure)


async def measure(targets: Sequence[Target], sizes: Sizes, report: Report) -> None:
    for streams, per_message, total, key in run_shapes(sizes):
        section = "3" if per_message == 1 else "4"
        for target in targets:
            entry_plans = plans(
                target.count_id, target.products, streams, total, seed=100 + streams
            )
            result = await stream_run(target.staff, entry_plans, per_message)
            label = f"StreamCountItems, {per_message}/message, {streams} stream(s)"
            add(report, stream_figure(f"{section}.{key}.{target.name}", label, result))
    for target in targets:
        result = await unary_run(
            target.staff, target.count_id, target.products, sizes.callers, sizes.unary_calls
        )
        label = f"AddCountItem unary, {sizes.callers} callers"
        add(report, unary_figure(f"5.unary.{target.name}", label, result))


def print_summary(report: Report, sizes: Sizes) -> None:
    print()
    print("Summary: rate on each target; ha-sync as a share of single and of ha-local")
    keys = [f"{'3' if m == 1 else '4'}.{key}" for _, m, _, key in run_shapes(sizes)]
    for key in [*keys, "5.unary"]:
        rates = {t: report.figures[f"{key}.{t}"].rate for t in TARGETS}
        sync = rates["ha-sync"]
        print(
            f"  ({key})".ljust(16)
            + "".join(f"{t} {rates[t]:>9,.0f}/s   " for t in TARGETS)
            + f"ha-sync {sync / rates['single']:6.1%} of single, "
            + f"{sync / rates['ha-local']:6.1%} of ha-local"
        )
    for target in TARGETS:
        extra = report.figures[f"5.unary.{target}"].extra
        print(f"  (5) {target}: p50 {extra['p50_ms']} ms, p99 {extra['p99_ms']} ms")


async def main_async(args: argparse.Namespace, sizes: Sizes) -> Report:
    report = Report()
    secret = secrets.token_urlsafe(32)
    with databases(args) as urls:
        targets: list[Target] = []
        try:
            for name in TARGETS:
                targets.append(await prepare(name, urls[name], secret, sizes))
            print("(3)/(4) StreamCountItems, (5) AddCountItem: single / ha-local / ha-sync")
            await measure(targets, sizes, report)
        finally:
            for target in targets:
                target.server.stop()
    return report


def main() -> int:
    args, sizes = parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    print(f"ha_cost benchmark: commit {commit}, {os.cpu_count()} CPUs, load average {loadavg()}")
    print(f"sizes: {dataclasses.asdict(sizes)}")
    started = time.perf_counter()
    report = asyncio.run(main_async(args, sizes))
    print_summary(report, sizes)
    print(f"done in {time.perf_counter() - started:.0f} s; load average now {loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
