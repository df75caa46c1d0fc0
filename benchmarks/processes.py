"""Process control for the benchmark: the servers under test in their own processes, their
memory and threads, and the PostgreSQL schema a run works in (created fresh, dropped after)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


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


def server_env(secret: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
    env.update({"INVENTORY_JWT_SECRET": secret, "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


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
