"""A local cluster with real parts (`make cluster`): replicas of inventory-service behind HAProxy
(deploy/haproxy.cfg) on one PostgreSQL, on loopback ports chosen at run time.

    .venv/bin/python -m deploy.cluster [--replicas 3] [--workers 1] [--database-url URL]
    .venv/bin/python -m deploy.cluster --ha [--ha-dir var/ha-postgres] [--pg-ports M,N1,N2]

prints the address to call and how to get a token, and runs until Ctrl-C (or SIGTERM), then
stops everything it started. With --ha (`make cluster-ha`) the database is PostgreSQL with
automatic failover (deploy/ha_postgres.py: a pg_auto_failover monitor, primary and synchronous
standby under --ha-dir) instead of the shared one. The tests and the load benchmark drive the
same classes. HAProxy and pg_auto_failover come from Debian's packages.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import string
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from deploy.ha_postgres import MONITOR, NODES, HaPostgres
from deploy.processes import CLI, LoggedProcess, Record, ServerProcess, clean_env

HERE = Path(__file__).resolve().parent
DEFAULT_HA_DIR = HERE.parent / "var" / "ha-postgres"
TEMPLATE = HERE / "haproxy.cfg"
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_SCHEMA = "inventory_cluster"
HOST = "127.0.0.1"


class ClusterError(RuntimeError):
    pass


def haproxy_binary() -> str | None:
    return shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if Path(p).exists()), None
    )


def free_port(host: str = HOST) -> int:
    """A port free now (the process that gets it binds it moments later)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def schema_url(database_url: str, schema: str) -> str:
    """database_url with its search_path set to schema (created if missing)."""
    with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    return (
        make_url(database_url)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


@dataclass
class Replica:
    name: str
    port: int
    process: ServerProcess | None = None
    earlier: list[ServerProcess] = field(default_factory=list)  # before restarts

    def processes(self) -> list[ServerProcess]:
        """Every process this replica ran, the current one last."""
        return [*self.earlier, *([self.process] if self.process else [])]


@dataclass
class Cluster:
    """Replicas on one database behind HAProxy. Use as a context manager (stops everything)."""

    database_url: str
    jwt_secret: str
    replicas: int = 3
    workers: int = 1
    extra_env: Mapping[str, str] = field(default_factory=dict)
    metrics: bool = False
    keep: Callable[[Record], bool] = lambda record: True  # which replica log lines to hold
    members: list[Replica] = field(default_factory=list)
    haproxy: LoggedProcess | None = None
    port: int = 0  # the balancer's; 0: a free one
    workdir: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="inventory-cluster-"))
    )

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return clean_env(
            INVENTORY_DATABASE_URL=self.database_url,
            INVENTORY_JWT_SECRET=self.jwt_secret,
            **self.extra_env,
        )

    def start(self) -> Cluster:
        binary = haproxy_binary()
        if binary is None:
            raise ClusterError("haproxy is not installed (apt-get install haproxy)")
        self.members = [Replica(f"replica-{i + 1}", free_port()) for i in range(self.replicas)]
        self.port = self.port or free_port()
        try:
            for replica in self.members:
                self.start_replica(replica)
            config = self.workdir / "haproxy.cfg"
            config.write_text(self.haproxy_config())
            check = LoggedProcess("haproxy-check", [binary, "-c", "-f", str(config)])
            if check.wait() != 0:
                raise ClusterError(f"haproxy rejected {config}:\n{check.tail()}")
            self.haproxy = LoggedProcess("haproxy", [binary, "-db", "-f", str(config)])
            self.wait_for_states({r.name: "UP" for r in self.members})
        except BaseException:
            self.stop()
            raise
        return self

    def haproxy_config(self) -> str:
        servers = "\n".join(f"    server {r.name} {HOST}:{r.port}" for r in self.members)
        return string.Template(TEMPLATE.read_text()).substitute(
            fields="${fields}",
            listen=f"{HOST}:{self.port}",
            servers=servers,
            stats_socket=self.workdir / "haproxy.sock",
        )

    def start_replica(self, replica: Replica) -> ServerProcess:
        args = ["--listen", f"{HOST}:{replica.port}", "--workers", str(self.workers)]
        if self.metrics:
            args += ["--metrics-listen", f"{HOST}:0"]
        if replica.process is not None:
            replica.earlier.append(replica.process)
        replica.process = ServerProcess(replica.name, args, self.env, self.workdir, keep=self.keep)
        return replica.process

    def replica(self, name: str) -> Replica:
        return next(r for r in self.members if r.name == name)

    def restart_replica(self, name: str) -> ServerProcess:
        """Starts the replica again, on its port."""
        replica = self.replica(name)
        if replica.process is not None and replica.process.process.poll() is None:
            raise ClusterError(f"{name} is still running")
        return self.start_replica(replica)

    def kill_replica(self, name: str) -> None:
        """A crash: SIGKILL to the replica and its workers at once, no drain."""
        replica = self.replica(name)
        if replica.process is not None:
            replica.process.kill_all()

    def stop_replica(self, name: str) -> int:
        """SIGTERM: the replica drains (health NOT_SERVING, streams told to reconnect)."""
        process = self.replica(name).process
        return process.stop() if process is not None else 0

    def server_states(self) -> dict[str, str]:
        """HAProxy's view of each replica: UP, DOWN, ... (its stats socket, `show stat`)."""
        with socket.socket(socket.AF_UNIX) as stats:
            stats.settimeout(5)
            stats.connect(str(self.workdir / "haproxy.sock"))
            stats.sendall(b"show stat\n")
            data = b""
            while chunk := stats.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {
            row["svname"]: row["status"].split()[0]
            for row in rows
            if row.get("pxname") == "replicas" and row["svname"] not in ("BACKEND", "FRONTEND")
        }

    def wait_for_states(self, expected: Mapping[str, str], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            if self.haproxy is not None and self.haproxy.process.poll() is not None:
                raise ClusterError(f"haproxy exited:\n{self.haproxy.tail()}")
            with contextlib.suppress(OSError):
                states = self.server_states()
                if all(states.get(name) == state for name, state in expected.items()):
                    return
            time.sleep(0.2)
        raise ClusterError(f"replicas did not reach {dict(expected)} (last seen: {states})")

    def stop(self) -> None:
        if self.haproxy is not None:
            self.haproxy.stop()
        for replica in self.members:
            if replica.process is not None:
                replica.process.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def migrate(database_url: str) -> None:
    """Once, before the replicas start (each would otherwise wait on the others' migration)."""
    result = LoggedProcess("migrate", [*CLI, "migrate", "--database-url", database_url])
    if result.wait() != 0:
        raise ClusterError(f"migration failed:\n{result.tail()}")


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGTERM stops the cluster as Ctrl-C does; once stopping, further signals are ignored,
    so a second Ctrl-C (or `timeout`, which signals twice) cannot cut the clean-up short."""

    def handler(*_: object) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler), signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])


def _ports(text: str) -> tuple[int, int, int]:
    ports = tuple(int(port) for port in text.split(","))
    if len(ports) != 3:
        raise argparse.ArgumentTypeError("three ports: MONITOR,NODE1,NODE2")
    return ports[0], ports[1], ports[2]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="server processes per replica")
    parser.add_argument("--port", type=int, default=0, help="the balancer's port (default: free)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument(
        "--schema", default=DEFAULT_SCHEMA, help="PostgreSQL schema (kept between runs)"
    )
    parser.add_argument(
        "--ha", action="store_true", help="PostgreSQL with automatic failover, not --database-url"
    )
    parser.add_argument(
        "--ha-dir",
        type=Path,
        default=DEFAULT_HA_DIR,
        help=f"its directory, emptied at start (default {DEFAULT_HA_DIR})",
    )
    parser.add_argument(
        "--pg-ports",
        type=_ports,
        help="its ports MONITOR,NODE1,NODE2 (default: free ones)",
    )
    args = parser.parse_args()
    from inventory_service.cli import dev_secret

    with _stopped_by_signals(), contextlib.ExitStack() as stack:
        lines: list[str] = []
        if args.ha:
            ports = args.pg_ports or (free_port(), free_port(), free_port())
            ha = stack.enter_context(HaPostgres(args.ha_dir, ports))
            url = ha.url
            lines += _ha_lines(ha)
        else:
            url = schema_url(args.database_url, args.schema)
            lines.append(f" Database: PostgreSQL schema {args.schema}")
        migrate(url)
        cluster = Cluster(
            url,
            dev_secret(),
            replicas=args.replicas,
            workers=args.workers,
            metrics=True,
            port=args.port,
        )
        stack.enter_context(cluster)
        metrics = ", ".join(
            f"{r.name} http://{HOST}:{r.process.metrics_port()}/metrics"
            for r in cluster.members
            if r.process is not None
        )
        print(
            "\n".join(
                [
                    "",
                    f" Cluster: {args.replicas} replicas behind HAProxy",
                    *lines,
                    f" Call:    {cluster.address}   (export INVENTORY_ADDRESS={cluster.address})",
                    " Token:   export INVENTORY_TOKEN=$(.venv/bin/inventory-service token --dev "
                    "--sub you --role manager)",
                    f" Metrics: {metrics}",
                    f" Stop:    Ctrl-C, or kill -TERM {os.getpid()}",
                    "",
                ]
            ),
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


def _ha_lines(ha: HaPostgres) -> list[str]:
    nodes = ", ".join(f"{name} {HOST}:{ha.machines[name].port}" for name in NODES)
    return [
        f" Database: PostgreSQL with automatic failover in {ha.root}: {nodes}",
        f"           monitor {HOST}:{ha.machines[MONITOR].port}; the replicas use {ha.url}",
        f"           state: pg_autoctl show state --monitor '{ha.monitor_url}'",
        f"           logs:  {ha.root}/*/pg_autoctl.log",
    ]


if __name__ == "__main__":
    raise SystemExit(main())
