"""PostgreSQL with automatic failover on this machine: a pg_auto_failover formation (Debian's
pg-auto-failover-cli and postgresql-NN-auto-failover) of a monitor, a primary and a synchronous
standby. Each of the three plays a machine: a directory of its own under one root (data, the
socket, pg_autoctl's configuration, state and log) and a loopback port. `make cluster-ha` and
the failover test drive it (docs/operations.md, High availability).

    with HaPostgres(Path("var/ha-postgres"), ports=(6400, 6401, 6402)) as ha:
        engine = create_engine(ha.url)  # both nodes, target_session_attrs=read-write
        lost = ha.primary()
        ha.lose(lost)  # the machine dies: SIGKILL, its directory gone
        ha.wait_for_primary(other_than=lost)
        ha.rebuild(lost)  # pg_autoctl drop node, then create postgres: a new standby

PostgreSQL refuses to run as root, so as root every pg_autoctl command runs as the `postgres`
user, which then owns the root directory. Every process started here gets SIGTERM when the
thread that started it ends (setpriv --pdeathsig), so a test runner killed outright leaves no
database behind; stop() ends them all otherwise.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psycopg

HOST = "127.0.0.1"
MONITOR = "monitor"
NODES = ("node1", "node2")
DATABASE = "inventory"
FORMATION = "default"
PRIMARY_STATES = frozenset({"single", "wait_primary", "primary"})
SERVICE_USER = "postgres"  # who runs PostgreSQL when we are root
# Set on the first primary; standbys copy them (postgresql.auto.conf travels in the base
# backup). A new standby's pg_basebackup asks for a spread checkpoint, which at the default
# target paces its writes to end near 0.9 x checkpoint_timeout: minutes before the copy starts.
# Spread over nothing, it ends at once.
NODE_SETTINGS = {"checkpoint_completion_target": "0"}


class HaError(RuntimeError):
    pass


@dataclass(frozen=True)
class FailoverTiming:
    """How soon a dead primary is replaced. pg_auto_failover's defaults (20 s before a node
    that stopped reporting is unhealthy, 30 s for a cut-off primary to demote itself) suit
    machines on a network; these suit one machine, failing over in about 10 s. An isolated
    primary demotes itself after network_partition_timeout_s; the standby takes writes only
    after primary_demote_timeout_ms, which must be longer, so two primaries never take writes
    at once."""

    health_check_period_ms: int = 1000
    health_check_timeout_ms: int = 2000
    health_check_retry_delay_ms: int = 500
    health_check_max_retries: int = 1
    node_considered_unhealthy_timeout_ms: int = 3000
    primary_demote_timeout_ms: int = 5000
    network_partition_timeout_s: int = 3

    def __post_init__(self) -> None:
        if self.primary_demote_timeout_ms <= self.network_partition_timeout_s * 1000:
            raise ValueError("primary_demote_timeout_ms must exceed network_partition_timeout_s")

    def monitor_settings(self) -> dict[str, int]:
        return {
            f"pgautofailover.{name}": value
            for name, value in (
                ("health_check_period", self.health_check_period_ms),
                ("health_check_timeout", self.health_check_timeout_ms),
                ("health_check_retry_delay", self.health_check_retry_delay_ms),
                ("health_check_max_retries", self.health_check_max_retries),
                ("node_considered_unhealthy_timeout", self.node_considered_unhealthy_timeout_ms),
                ("primary_demote_timeout", self.primary_demote_timeout_ms),
            )
        }


def pg_bindir() -> Path | None:
    """The bin directory of the PostgreSQL major version that pg_auto_failover's extension
    was installed for (the monitor needs it), None when it is not installed."""
    for control in sorted(
        Path("/usr/share/postgresql").glob("*/extension/pgautofailover.control"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
        reverse=True,
    ):
        bindir = Path("/usr/lib/postgresql") / control.parts[-3] / "bin"
        if (bindir / "pg_ctl").exists():
            return bindir
    return None


def missing_software() -> str | None:
    """What is missing to run a formation here (None: nothing)."""
    if shutil.which("pg_autoctl") is None:
        return "pg_autoctl is not installed (apt-get install pg-auto-failover-cli)"
    if pg_bindir() is None:
        return (
            "pg_auto_failover's extension is not installed "
            "(apt-get install postgresql-NN-auto-failover)"
        )
    return None


def _run_as() -> list[str]:
    """The command prefix that runs a program as the service user (when we are root) and sends
    it SIGTERM when the thread that started it ends."""
    if shutil.which("setpriv") is None:
        if os.geteuid() == 0:
            raise HaError("setpriv (util-linux) is needed to run PostgreSQL as postgres")
        return []
    prefix = ["setpriv", "--pdeathsig", "TERM"]
    if os.geteuid() == 0:
        prefix += [f"--reuid={SERVICE_USER}", f"--regid={SERVICE_USER}", "--init-groups"]
    return [*prefix, "--"]


def reachable_by_service_user(path: Path) -> bool:
    """Whether the user PostgreSQL runs as may reach the directory path (as root: postgres,
    which cannot pass through /root, say, to a checkout there)."""
    result = subprocess.run([*_run_as(), "test", "-x", str(path)], check=False)
    return result.returncode == 0


@dataclass
class Machine:
    """One member's directory: what a lost machine takes with it."""

    name: str
    port: int
    home: Path

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.home / "run"

    @property
    def log(self) -> Path:
        return self.home / "pg_autoctl.log"

    def env(self, bindir: Path) -> dict[str, str]:
        # pg_autoctl keeps its configuration and state under the XDG directories, and starts
        # PostgreSQL with PG_REGRESS_SOCK_DIR as its socket directory (-k): all in home.
        run = str(self.socket_dir)
        return {
            "PATH": f"{bindir}:/usr/bin:/bin",
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_DATA_HOME": str(self.home / "share"),
            "XDG_RUNTIME_DIR": run,
            "PGHOST": run,
            "PG_REGRESS_SOCK_DIR": run,
        }


class Keeper:
    """A long-running pg_autoctl (and the PostgreSQL it starts, in its process group), its
    output appended to the machine's log."""

    def __init__(self, machine: Machine, argv: Sequence[str], env: Mapping[str, str]) -> None:
        self.machine = machine
        self._log: IO[bytes] = machine.log.open("ab")
        self.process = subprocess.Popen(
            [*_run_as(), *argv],
            env=dict(env),
            cwd=machine.home,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: PostgreSQL and its backends join it
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """The machine dies: SIGKILL to pg_autoctl, PostgreSQL and every backend at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._log.close()

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM (pg_autoctl stops PostgreSQL, fast mode), SIGKILL after timeout."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        self.kill()


@dataclass
class HaPostgres:
    """A monitor and two PostgreSQL nodes under root, on ports (monitor, node1, node2). Use as
    a context manager (stop() ends every process); root is emptied at start."""

    root: Path
    ports: tuple[int, int, int]
    timing: FailoverTiming = field(default_factory=FailoverTiming)
    machines: dict[str, Machine] = field(default_factory=dict)
    keepers: dict[str, Keeper] = field(default_factory=dict)
    lost: list[Path] = field(default_factory=list)  # directories of machines that died

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self.machines = {
            name: Machine(name, port, self.root / name)
            for name, port in zip((MONITOR, *NODES), self.ports, strict=True)
        }

    # -- addresses --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The service's URL: both nodes; libpq connects to whichever takes writes."""
        hosts = "&".join(f"host={HOST}:{self.machines[n].port}" for n in NODES)
        return f"postgresql://postgres@/{DATABASE}?{hosts}&target_session_attrs=read-write"

    def node_url(self, name: str) -> str:
        return f"postgresql://postgres@{HOST}:{self.machines[name].port}/{DATABASE}"

    @property
    def monitor_url(self) -> str:
        """What `pg_autoctl show state --monitor URL` takes (any user, any directory)."""
        port = self.machines[MONITOR].port
        return f"postgres://autoctl_node@{HOST}:{port}/pg_auto_failover?sslmode=disable"

    # -- start and stop ---------------------------------------------------------------------

    def start(self) -> HaPostgres:
        problem = missing_software()
        if problem:
            raise HaError(problem)
        self._clear_root()
        try:
            self._start_monitor()
            first, second = NODES
            self._start_node(first)
            self.wait_for(lambda states: _settled(states, first), what=f"{first} started")
            with psycopg.connect(self.node_url(first), autocommit=True) as connection:
                for name, value in NODE_SETTINGS.items():
                    connection.execute(f"ALTER SYSTEM SET {name} = {value}")
                connection.execute("SELECT pg_reload_conf()")
            self._start_node(second)
            self.wait_for_sync_pair()
        except BaseException:
            self.stop()
            raise
        return self

    def _clear_root(self) -> None:
        for pidfile in self.root.glob("*/pgdata/postmaster.pid"):
            with contextlib.suppress(ValueError, OSError):
                pid = int(pidfile.read_text().split()[0])
                os.kill(pid, 0)
                raise HaError(f"PostgreSQL {pid} still runs in {pidfile.parent}: stop it first")
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        self._chown(self.root)

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            user = pwd.getpwnam(SERVICE_USER)
            os.chown(path, user.pw_uid, user.pw_gid)

    def _machine_home(self, machine: Machine) -> None:
        for path in (machine.home, machine.socket_dir):
            path.mkdir(mode=0o700, exist_ok=True)
            self._chown(path)

    def _start_monitor(self) -> None:
        machine = self.machines[MONITOR]
        self._machine_home(machine)
        self._keep(
            machine,
            [
                "pg_autoctl", "create", "monitor", "--pgdata", str(machine.pgdata),
                "--pgport", str(machine.port), "--hostname", HOST, "--listen", HOST,
                "--auth", "trust", "--no-ssl", "--run",
            ],
        )  # fmt: skip
        self._wait_until(self._monitor_answers, what="the monitor answers", machine=MONITOR)
        superuser = f"postgresql://postgres@{HOST}:{machine.port}/pg_auto_failover"
        with psycopg.connect(superuser, autocommit=True, connect_timeout=5) as connection:
            for name, value in self.timing.monitor_settings().items():
                connection.execute(f"ALTER SYSTEM SET {name} = {int(value)}")
            connection.execute("SELECT pg_reload_conf()")

    def _start_node(self, name: str) -> None:
        machine = self.machines[name]
        self._machine_home(machine)
        self._keep(
            machine,
            [
                "pg_autoctl", "create", "postgres", "--pgdata", str(machine.pgdata),
                "--pgport", str(machine.port), "--hostname", HOST, "--listen", HOST,
                "--name", name, "--dbname", DATABASE, "--auth", "trust", "--no-ssl",
                "--monitor", self.monitor_url, "--run",
            ],
        )  # fmt: skip

    def _keep(self, machine: Machine, argv: list[str]) -> None:
        bindir = pg_bindir()
        assert bindir is not None
        self.keepers[machine.name] = Keeper(machine, argv, machine.env(bindir))

    def _autoctl(self, machine: Machine, *args: str) -> str:
        """A one-off pg_autoctl command in a machine's environment; its output."""
        bindir = pg_bindir()
        assert bindir is not None
        result = subprocess.run(
            [*_run_as(), "pg_autoctl", *args],
            env=machine.env(bindir),
            cwd=machine.home,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise HaError(f"pg_autoctl {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def _tune_keeper(self, name: str) -> None:
        machine = self.machines[name]
        seconds = str(self.timing.network_partition_timeout_s)
        # `config set` edits the file and signals the running keeper to reload it.
        self._autoctl(
            machine, "config", "set", "--pgdata", str(machine.pgdata),
            "timeout.network_partition_timeout", seconds,
        )  # fmt: skip

    def stop(self) -> None:
        """Stops every node, then the monitor (each SIGKILLed if it takes too long)."""
        for name in [*NODES, MONITOR]:
            keeper = self.keepers.pop(name, None)
            if keeper is not None:
                keeper.stop()

    def __enter__(self) -> HaPostgres:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- what the monitor says ----------------------------------------------------------------

    def _monitor_answers(self) -> bool:
        with (
            contextlib.suppress(psycopg.Error),
            psycopg.connect(self.monitor_url, connect_timeout=2) as connection,
        ):
            connection.execute("SELECT 1")
            return True
        return False

    def states(self) -> dict[str, tuple[str, str]]:
        """Each node's (reported state, assigned state), as the monitor has them."""
        with psycopg.connect(self.monitor_url, connect_timeout=5) as connection:
            rows = connection.execute(
                "SELECT nodename, reportedstate::text, goalstate::text FROM pgautofailover.node"
            ).fetchall()
        return {str(name): (str(reported), str(goal)) for name, reported, goal in rows}

    def primary(self) -> str:
        """The node that takes writes now (fails when none does)."""
        found = [
            name
            for name, (reported, goal) in self.states().items()
            if reported in PRIMARY_STATES and goal == reported
        ]
        if len(found) != 1:
            raise HaError(f"no single primary: {self.states()}")
        return found[0]

    def wait_for(
        self,
        condition: Callable[[dict[str, tuple[str, str]]], bool],
        *,
        what: str,
        timeout: float = 180.0,
    ) -> dict[str, tuple[str, str]]:
        """Waits until condition holds on the monitor's states; returns them."""
        last: dict[str, tuple[str, str]] = {}

        def holds() -> bool:
            nonlocal last
            with contextlib.suppress(psycopg.Error):
                last = self.states()
                return condition(last)
            return False

        self._wait_until(holds, what=lambda: f"{what} (last seen: {last})", timeout=timeout)
        return last

    def wait_for_sync_pair(self) -> str:
        """Waits for a primary with a synchronous standby (both settled); returns the primary.
        The keepers' timing is set then, once both have written their configuration."""
        states = self.wait_for(
            lambda s: sorted(s.values()) == [("primary",) * 2, ("secondary",) * 2],
            what="a primary and a synchronous standby",
        )
        for name in states:
            self._tune_keeper(name)
        return next(n for n, (reported, _) in states.items() if reported == "primary")

    def wait_for_primary(self, *, other_than: str) -> str:
        """Waits until another node than other_than takes writes; returns it."""
        states = self.wait_for(
            lambda s: any(n != other_than and _is_primary(v) for n, v in s.items()),
            what=f"a primary other than {other_than}",
        )
        return next(n for n, v in states.items() if n != other_than and _is_primary(v))

    def _wait_until(
        self,
        condition: Callable[[], bool],
        *,
        what: str | Callable[[], str],
        timeout: float = 180.0,
        machine: str = "",
    ) -> None:
        """Polls condition; fails when a keeper (of machine, or any) has exited, or on timeout."""
        deadline = time.monotonic() + timeout
        while not condition():
            for name, keeper in self.keepers.items():
                if not keeper.alive() and (not machine or name == machine):
                    raise HaError(f"pg_autoctl of {name} exited:\n{self.log_tail(name)}")
            if time.monotonic() > deadline:
                raise HaError(f"timed out waiting for {what if isinstance(what, str) else what()}")
            time.sleep(0.2)

    def log_tail(self, name: str, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.machines[name].log.read_text().splitlines()[-lines:])
        return "(no log)"

    # -- failures and repairs -----------------------------------------------------------------

    def lose(self, name: str) -> Path:
        """The machine dies: its pg_autoctl, PostgreSQL and backends get SIGKILL, and its whole
        directory (data, configuration, state) is moved away, so it cannot come back as it
        was. Returns where the directory went."""
        keeper = self.keepers.pop(name)
        keeper.kill()
        machine = self.machines[name]
        gone = self.root / f"lost-{name}-{len(self.lost) + 1}"
        machine.home.rename(gone)
        self.lost.append(gone)
        return gone

    def rebuild(self, name: str) -> None:
        """A new machine in the lost one's place, by pg_auto_failover's own commands: the lost
        node is dropped from the monitor (`pg_autoctl drop node --force`: it cannot leave by
        itself), then `pg_autoctl create postgres` clones the primary (pg_basebackup) and
        follows it as its synchronous standby. Returns once the pair is in sync."""
        if name in self.keepers:
            raise HaError(f"{name} still runs")
        monitor = self.machines[MONITOR]
        self._autoctl(
            monitor, "drop", "node", "--monitor", self.monitor_url,
            "--formation", FORMATION, "--name", name, "--force",
        )  # fmt: skip
        self.wait_for(lambda s: name not in s, what=f"{name} dropped from the monitor")
        self._start_node(name)
        self.wait_for_sync_pair()


def _is_primary(state: tuple[str, str]) -> bool:
    reported, goal = state
    return reported in PRIMARY_STATES and reported == goal


def _settled(states: Mapping[str, tuple[str, str]], name: str) -> bool:
    """The node registered and reached the state it was given (single, or secondary)."""
    reported, goal = states.get(name, ("", ""))
    return reported == goal and reported in ("single", "primary", "secondary")
