"""A test server in a process of its own, for tests that must outlive a crash of it (a segfault
shows as exit -11 instead of killing pytest) and look at its insides afterwards.

`python -m tests.server_process` serves with the INVENTORY_* settings, prints one JSON line
{"port": N} on stdout, then answers each "vitals" line on stdin with one JSON line of the
resources a leak would show in (threads, pooled connections checked out, open streams, ...).
End of stdin stops it."""

from __future__ import annotations

import asyncio
import faulthandler
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from inventory_service.api.server import InventoryServer
from inventory_service.bootstrap import create_server
from inventory_service.logs import configure_logging
from inventory_service.services.ingestion.streams import EntryStreams
from inventory_service.settings import Settings


def _os_threads() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return threading.active_count()


def vitals(app: InventoryServer) -> dict[str, Any]:
    # The streams and the engine are reachable through their hooks (bound methods).
    streams = next(
        hook.__self__  # type: ignore[attr-defined]
        for hook in app.drain_hooks
        if isinstance(getattr(hook, "__self__", None), EntryStreams)
    )
    engine = app.close_database.__self__  # type: ignore[attr-defined]
    executor = app.runner.executor
    return {
        "os_threads": _os_threads(),
        "python_threads": threading.active_count(),
        "db_threads": len(executor._threads),
        "db_queue": executor._work_queue.qsize(),
        "pool_checked_out": engine.pool.checkedout(),
        "open_streams": len(streams._open),
        "committer_waiting": len(streams.committer._waiting),
        "tasks": len(asyncio.all_tasks()),
    }


async def _serve() -> None:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    app, port = create_server(settings)
    await app.start()
    loop = asyncio.get_running_loop()
    stdin_closed = asyncio.Event()

    async def answer() -> dict[str, Any]:
        return vitals(app)

    def read_commands() -> None:
        for line in sys.stdin:
            if line.strip() == "vitals":
                reply = asyncio.run_coroutine_threadsafe(answer(), loop).result()
                print(json.dumps(reply), flush=True)
        loop.call_soon_threadsafe(stdin_closed.set)

    print(json.dumps({"port": port}), flush=True)
    threading.Thread(target=read_commands, daemon=True).start()
    await stdin_closed.wait()
    await app.stop(1.0)


class ServerProcess:
    """The test's handle on `python -m tests.server_process`."""

    def __init__(self, env: dict[str, str], log_file: IO[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-X", "faulthandler", "-m", "tests.server_process"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
        )
        self.port = int(self._reply()["port"])

    def _reply(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"the server process ended with {self.process.wait()}")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def vitals(self) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write("vitals\n")
        self.process.stdin.flush()
        return self._reply()

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


if __name__ == "__main__":
    faulthandler.enable()
    asyncio.run(_serve())
