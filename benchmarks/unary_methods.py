"""One unary method at a time against one worker: calls/s and the server's CPU per call, to
see what a change to a hot path gives (the mixed load, benchmarks/mixed_load.py, mixes them).

    .venv/bin/python benchmarks/unary_methods.py                     # each method of the mix
    .venv/bin/python benchmarks/unary_methods.py GetProduct --seconds 10 --callers 16

The callers (closed loop, one client process) make the calls of mixed_load.py's Workload on a
fresh PostgreSQL schema of 200 products, through one worker with its access log."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mixed_load
from mixed_load import WEIGHTS, Plan, Workload, _cpu, _descendants, count_calls, seed

from deploy.cluster import migrate
from deploy.processes import ServerProcess, clean_env
from inventory_service.api.tokens import mint_token
from inventory_service.domain.identity import Role


async def _calls(plan: Plan, method: str, seconds: float) -> int:
    """Calls of `method` answered in `seconds`, by plan.callers callers."""
    channels = [mixed_load.grpc.aio.insecure_channel(plan.address) for _ in range(4)]
    done = 0
    errors: dict[str, int] = {}

    def record(name: str, _seconds: float, error: str | None) -> None:
        nonlocal done
        if name == method:
            done += 1
        if error is not None:
            errors[error] = errors.get(error, 0) + 1

    async def caller(index: int, until: float) -> None:
        workload = Workload(plan, channels[index % len(channels)], random.Random(index))
        while time.monotonic() < until:
            await getattr(workload, method)(record)

    until = time.monotonic() + seconds
    await asyncio.gather(*(caller(i, until) for i in range(plan.callers)))
    for channel in channels:
        await channel.close()
    if errors:
        print(f"   {method}: errors {errors}")
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("methods", nargs="*", default=list(WEIGHTS))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--callers", type=int, default=16)
    parser.add_argument("--database", default=mixed_load.DEFAULT_DATABASE)
    args = parser.parse_args()
    secret = secrets.token_urlsafe(32)
    tokens = {r.name.lower(): mint_token(secret, sub=f"u-{r.name.lower()}", role=r) for r in Role}
    print(f"load average at start {os.getloadavg()[0]:.2f}")
    with mixed_load.fresh_schema(args.database) as (_, url):
        migrate(url)
        start_count, _finish = count_calls(tokens["manager"])
        env = clean_env(INVENTORY_DATABASE_URL=url, INVENTORY_JWT_SECRET=secret)
        argv = ["--listen", "127.0.0.1:0", "--workers", "1"]
        with ServerProcess("1 worker", argv, env, keep=mixed_load.not_an_access_line) as server:
            server.wait_for(lambda r: len(server.messages("serving")) >= 1)
            address = f"127.0.0.1:{server.port}"
            products = seed(address, tokens["admin"], 200)
            plan: Any = Plan(address, args.seconds, 0, args.callers, products, "", tokens, 0)
            plan = Plan(**{**plan.__dict__, "count_id": start_count(address)})
            for method in args.methods:
                asyncio.run(_calls(plan, method, 1.0))  # warm-up
                before = _cpu(_descendants(server.pid))
                calls = asyncio.run(_calls(plan, method, args.seconds))
                cpu = _cpu(_descendants(server.pid)) - before
                print(
                    f"{method:24} {calls / args.seconds:7.0f} calls/s  "
                    f"{cpu / max(calls, 1) * 1000:5.2f} ms server CPU per call  "
                    f"(load {os.getloadavg()[0]:.2f})"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
