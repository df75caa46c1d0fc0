"""Processes that the local cluster, the tests and the benchmarks start and must stop: a command
whose output is followed line by line (JSON log lines parsed), and `inventory-service serve`.

    with ServerProcess("replica-1", ["--listen", "127.0.0.1:0"], env) as server:
        call(server.port)
        server.wait_for(lambda r: r.get("message") == "worker started", after=mark)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

Record = dict[str, Any]
CLI = [sys.executable, "-m", "inventory_service.cli"]
SERVE = [*CLI, "serve"]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without INVENTORY_* settings, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
    env.update(extra)
    return env


class ProcessFailed(RuntimeError):
    pass


class LoggedProcess:
    """A child process; stderr lines are kept as records (JSON lines parsed, others as
    {"line": ...}), stdout as text. Stopped (and at worst killed) on exit of a with block."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None,
        *,
        keep: Callable[[Record], bool] = lambda record: True,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.keep = keep  # which records to hold (a long run's access lines need not be)
        self.records: list[Record] = []
        self.stdout: list[str] = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen(
            self.argv,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # Its own process group: kill_all() reaches the workers a server forked too.
            start_new_session=True,
        )
        self._readers = [
            threading.Thread(target=self._read_stderr, name=f"{name}-stderr", daemon=True),
            threading.Thread(target=self._read_stdout, name=f"{name}-stdout", daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                record = {"line": line.rstrip("\n")}
            if not self.keep(record):
                continue
            with self._changed:
                self.records.append(record)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.stdout.append(line)

    @property
    def pid(self) -> int:
        return self.process.pid

    def mark(self) -> int:
        """A position in the log, for wait_for(after=...)."""
        with self._changed:
            return len(self.records)

    def tail(self, lines: int = 30) -> str:
        with self._changed:
            return "\n".join(json.dumps(r) for r in self.records[-lines:])

    def wait_for(
        self, matches: Callable[[Record], bool], *, after: int = 0, timeout: float = 60.0
    ) -> Record:
        """The first record from position `after` on that matches; fails when the process ends
        or the time runs out first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            seen = after
            while True:
                for record in self.records[seen:]:
                    if matches(record):
                        return record
                seen = len(self.records)
                if self.process.poll() is not None and not any(r.is_alive() for r in self._readers):
                    raise ProcessFailed(
                        f"{self.name} exited ({self.process.returncode}):\n{self.tail()}"
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ProcessFailed(
                        f"{self.name}: nothing matched in {timeout} s:\n{self.tail()}"
                    )
                self._changed.wait(min(left, 0.5))

    def wait_for_all(
        self, matches: Callable[[Record], bool], count: int, *, timeout: float = 60.0
    ) -> list[Record]:
        """Waits until count records match; returns them."""
        self.wait_for(lambda _: len(self._matching(matches)) >= count, timeout=timeout)
        return self._matching(matches)

    def _matching(self, matches: Callable[[Record], bool]) -> list[Record]:
        return [r for r in self.records if matches(r)]

    def messages(self, message: str, *, after: int = 0) -> list[Record]:
        with self._changed:
            return [r for r in self.records[after:] if r.get("message") == message]

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signum)

    def wait(self, timeout: float = 120.0) -> int:
        """Waits for the process to end by itself (killed if it takes longer); the exit code."""
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill_all()
        for reader in self._readers:
            reader.join(10)
        return self.process.returncode

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then SIGKILL after timeout; the exit code."""
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def kill_all(self) -> None:
        """SIGKILL to the process and every process it started (a crash of the whole server)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for reader in self._readers:
            reader.join(10)

    def __enter__(self) -> LoggedProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


class ServerProcess(LoggedProcess):
    """`inventory-service serve ARGS`; port is the one its first worker says it serves on."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None,
        *,
        timeout: float = 120.0,
        keep: Callable[[Record], bool] = lambda record: True,
    ) -> None:
        super().__init__(name, [*SERVE, *args], env, cwd, keep=keep)
        try:
            serving = self.wait_for(lambda r: r.get("message") == "serving", timeout=timeout)
        except ProcessFailed:
            self.stop()
            raise
        self.port = int(serving["port"])

    def __enter__(self) -> ServerProcess:
        return self

    def worker_pids(self, *, after: int = 0) -> list[int]:
        """Workers started (and not yet seen dying) since `after`."""
        alive: list[int] = []
        with self._changed:
            records = self.records[after:]
        for record in records:
            if record.get("message") == "worker started" and record.get("worker") != "metrics":
                alive.append(int(record["worker_pid"]))
            elif record.get("message") in ("worker died; starting it again", "worker stopped"):
                with contextlib.suppress(ValueError):
                    alive.remove(int(record["worker_pid"]))
        return alive

    def metrics_port(self) -> int:
        record = self.wait_for(lambda r: r.get("message") == "metrics serving")
        return int(record["port"])
