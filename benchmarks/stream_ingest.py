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

    make bench                          # full size
    make bench BENCH_ARGS=--quick       # a smoke run (small sizes)
    .venv/bin/python benchmarks/stream_ingest.py --help

This module reads the options and runs the parts in order: processes.py starts and stops the
servers and the database schema, scenarios.py drives what is measured, report.py prints it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from processes import ROOT, fresh_schema
from report import Report, loadavg, print_summary
from scenarios import QUICK, Sizes, measure_service, measure_transport

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"


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
    await measure_transport(sizes, report, secret)
    if args.transport_only:
        return report
    with fresh_schema(args.database) as (schema, url):
        await measure_service(sizes, report, secret, args.database, schema, url)
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
    print_summary(report, sizes.streams, sizes.per_message)
    print(f"done in {time.perf_counter() - started:.0f} s; load average now {loadavg()}")
    if args.json:
        report.write_json(Path(args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
