"""`serve --workers N`: N server processes on one port, supervised by the process that forked
them (as grpc's examples/python/multiprocessing does).

gRPC's core does not survive a fork of a process that has started it, so the parent makes no
gRPC or database object: it reserves the port with an SO_REUSEPORT socket, forks one child for
the start-up work (migrations, demo data) and waits for it, then forks the workers (and the
metrics endpoint, when one is configured). Each worker builds its own server and binds the same
port with grpc.so_reuseport; the kernel spreads new connections over them.

The parent then only supervises, with every signal it handles blocked and taken synchronously
(sigtimedwait), so no handler runs between a fork and its bookkeeping:
- SIGTERM or SIGINT is passed on to every child as SIGTERM; each worker drains as a single
  server does (health NOT_SERVING, scanner streams told to reconnect, calls finish within the
  grace period); the parent exits once all have, 0 when every worker exited 0. A child still
  running when its time is up (the grace period and the server's own cut-off margins) is
  killed, so a stop always ends.
- A child that dies is logged and started again, after a pause that grows while it keeps
  dying soon after its start. A worker that exits 2 (a configuration error) stops the whole
  server instead: its siblings would fail the same way.
- The parent's death is its children's: they get SIGKILL when it dies (PR_SET_PDEATHSIG), as in
  a crash of the whole server, so none is left serving alone (nor sharing the port with a server
  started again on it).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from inventory_service import metrics
from inventory_service.settings import join_listen, split_listen

log = logging.getLogger("inventory_service.workers")

CONFIGURATION_ERROR = 2
# A child that dies sooner than this after its start waits before the next try, longer each time.
STARTUP_SECONDS = 10.0
MAX_RESTART_DELAY = 30.0
_HANDLED = {signal.SIGTERM, signal.SIGINT, signal.SIGCHLD}
_PR_SET_PDEATHSIG = 1


def default_workers() -> int:
    """One per core this process may run on."""
    return max(1, len(os.sched_getaffinity(0)))


def reserve_port(listen: str) -> tuple[socket.socket, str]:
    """Binds (without listening) an SO_REUSEPORT socket to listen, which may name port 0, and
    returns it with the address it holds: the port stays ours while workers come and go."""
    host, port = split_listen(listen)
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    reservation = socket.socket(family, kind, proto)
    reservation.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    reservation.bind(address)
    return reservation, join_listen(host, reservation.getsockname()[1])


def run_in_child(work: Callable[[], int]) -> int:
    """Runs work in a forked child and returns its exit code (start-up work that makes database
    objects the parent must not have when it forks the workers)."""
    pid = _fork(work)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _fork(work: Callable[[], int]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HANDLED)
        for signum in _HANDLED:
            signal.signal(signum, signal.SIG_DFL)
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        code = work()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        log.exception("child process failed")
    finally:
        logging.shutdown()
        os._exit(code)


@dataclass
class Child:
    name: str
    work: Callable[[], int]
    pid: int = 0
    started: float = 0.0
    quick_deaths: int = 0  # deaths in a row, each soon after its start
    restart_at: float | None = None


def _describe(status: int) -> dict[str, object]:
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        return {"signal": signal.Signals(-code).name}
    return {"exit_code": code}


class Supervisor:
    """Starts the children, restarts the ones that die, and stops them all on SIGTERM/SIGINT."""

    def __init__(
        self,
        children: list[Child],
        on_death: Callable[[int], None] = lambda pid: None,
        *,
        stop_seconds: float = 30.0,
    ) -> None:
        self.children = children
        self.on_death = on_death  # after a child died (its pid), before any restart
        # After SIGTERM, a child still running this long later is killed (SIGKILL): shutdown
        # ends within a known time even if a child ignores or loses the signal.
        self.stop_seconds = stop_seconds
        self.kill_at: float | None = None
        self.stopping = False
        self.exit_code = 0

    def run(self) -> int:
        signal.pthread_sigmask(signal.SIG_BLOCK, _HANDLED)
        try:
            for child in self.children:
                self._start(child)
            while self._alive() or not self.stopping:
                timeout = self._next_restart_in()
                info = (
                    signal.sigwaitinfo(_HANDLED)
                    if timeout is None
                    else signal.sigtimedwait(_HANDLED, timeout)
                )
                if info is not None and info.si_signo in (signal.SIGTERM, signal.SIGINT):
                    self.stop(signal.Signals(info.si_signo).name)
                self._reap()
                self._kill_overdue()
                self._restart_due()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _HANDLED)
        return self.exit_code

    def stop(self, reason: str) -> None:
        if not self.stopping:
            log.info("stopping workers", extra={"fields": {"reason": reason}})
            self.kill_at = time.monotonic() + self.stop_seconds
        self.stopping = True
        for child in self.children:
            child.restart_at = None
            if child.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGTERM)

    def _alive(self) -> bool:
        return any(child.pid for child in self.children)

    def _start(self, child: Child) -> None:
        child.restart_at = None
        child.started = time.monotonic()
        child.pid = _fork(child.work)
        log.info(
            "worker started", extra={"fields": {"worker": child.name, "worker_pid": child.pid}}
        )

    def _reap(self) -> None:
        while self._alive():
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = next((c for c in self.children if c.pid == pid), None)
            if child is not None:
                child.pid = 0
                self.on_death(pid)
                self._died(child, pid, status)

    def _died(self, child: Child, pid: int, status: int) -> None:
        code = os.waitstatus_to_exitcode(status)
        fields: dict[str, object] = {"worker": child.name, "worker_pid": pid, **_describe(status)}
        if self.stopping:
            if code != 0 and self.exit_code == 0:
                self.exit_code = 1
            log.info("worker stopped", extra={"fields": fields})
            return
        if code == CONFIGURATION_ERROR:
            log.error("worker could not start; stopping", extra={"fields": fields})
            self.exit_code = CONFIGURATION_ERROR
            self.stop("configuration error")
            return
        quick = time.monotonic() - child.started < STARTUP_SECONDS
        child.quick_deaths = child.quick_deaths + 1 if quick else 0
        delay = min(MAX_RESTART_DELAY, 0.5 * 2 ** (child.quick_deaths - 1)) if quick else 0.0
        child.restart_at = time.monotonic() + delay
        log.error(
            "worker died; starting it again", extra={"fields": {**fields, "restart_in": delay}}
        )
        metrics.worker_restarts.inc()

    def _next_restart_in(self) -> float | None:
        """Seconds until the next restart or, while stopping, until children are killed."""
        due = [c.restart_at for c in self.children if c.restart_at is not None]
        if self.kill_at is not None:
            due.append(self.kill_at)
        return max(0.0, min(due) - time.monotonic()) if due else None

    def _kill_overdue(self) -> None:
        if self.kill_at is None or time.monotonic() < self.kill_at:
            return
        for child in self.children:
            if child.pid:
                log.error(
                    "worker did not stop in time; killing it",
                    extra={"fields": {"worker": child.name, "worker_pid": child.pid}},
                )
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGKILL)
        self.kill_at = None  # reaped as they die; the exit code says they did not drain

    def _restart_due(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is not None and child.restart_at <= now and not self.stopping:
                self._start(child)
