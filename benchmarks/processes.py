"""Process control for the benchmark: the servers under test in their own processes, their
memory and threads, and the PostgreSQL schema a run works in (created fresh, dropped after)."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))  # deploy/: the process control the cluster and the tests use too

from deploy.processes import LoggedProcess, ProcessFailed, Record, clean_env  # noqa: E402


class ServerProcess(LoggedProcess):
    """A server in its own process (deploy/processes.py runs it); its port comes from the JSON
    "serving" line on stderr. A server that dies mid-run ends the benchmark with its last log
    lines instead of hanging it. After it serves, only error lines are kept (a run is long)."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str]) -> None:
        serving = threading.Event()

        def keep(record: Record) -> bool:
            if record.get("message") == "serving":
                serving.set()
                return True
            return not serving.is_set() or record.get("level") in ("error", "critical")

        super().__init__(name, argv, env, ROOT, keep=keep)
        self._stopping = False
        threading.Thread(target=self._watch, name=f"{name}-watch", daemon=True).start()

    def _watch(self) -> None:
        code = self.process.wait()
        if not self._stopping:
            time.sleep(1)  # the last lines are still being read
            print(
                f"\n{self.name} exited unexpectedly with code {code}; last log lines:",
                file=sys.stderr,
            )
            print(self.tail(40), file=sys.stderr, flush=True)
            os._exit(3)

    def _serving(self, timeout: float = 120.0) -> Record:
        try:
            return self.wait_for(lambda r: r.get("message") == "serving", timeout=timeout)
        except ProcessFailed as error:
            self.stop()
            raise RuntimeError(f"{self.name} did not start:\n{self.tail(40)}") from error

    def wait_port(self, timeout: float = 120.0) -> int:
        return int(self._serving(timeout)["port"])

    @property
    def server_pid(self) -> int:
        """The process that serves: under `serve`, its worker, not the supervising parent."""
        return int(self._serving().get("pid", self.pid))

    def status(self) -> dict[str, int]:
        """VmRSS, VmHWM (kB) and Threads of the serving process, from /proc/PID/status."""
        values: dict[str, int] = {}
        for line in Path(f"/proc/{self.server_pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                values[key] = int(rest.split()[0])
        return values

    def stop(self, timeout: float = 30.0) -> int:
        self._stopping = True
        return super().stop(timeout)


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


def server_env(secret: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return clean_env(INVENTORY_JWT_SECRET=secret, PYTHONUNBUFFERED="1", **(extra or {}))


def echo_server(secret: str) -> ServerProcess:
    """The transport baseline (benchmarks/echo_server.py): the same stack, no database."""
    return ServerProcess(
        "echo-server",
        [sys.executable, str(ROOT / "benchmarks" / "echo_server.py"), "--listen", "127.0.0.1:0"],
        server_env(secret),
    )


def inventory_server(secret: str, database_url: str) -> ServerProcess:
    """`inventory-service serve` on database_url, on a free port."""
    argv = [
        str(BIN / "inventory-service"),
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--workers",  # the figures are of one server process
        "1",
        "--database-url",
        database_url,
    ]
    return ServerProcess("inventory-service", argv, server_env(secret))


@contextlib.contextmanager
def fresh_schema(database: str) -> Iterator[tuple[str, str]]:
    """A new PostgreSQL schema for one run, dropped at the end: yields (schema, its URL)."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema, f"{database}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
