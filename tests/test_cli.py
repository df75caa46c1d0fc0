"""The console script as an operator uses it: serve (dev and strict), token, migrate, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import jwt
import pytest
from alembic.script import ScriptDirectory
from grpc_health.v1 import health_pb2, health_pb2_grpc

from inventory.v1 import catalog_pb2, catalog_pb2_grpc
from inventory_service.db.migrate import alembic_config

CLI = [sys.executable, "-m", "inventory_service.cli"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
    env.update(extra)
    return env


class ServeProcess:
    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [*CLI, "serve", "--listen", "127.0.0.1:0", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log: list[str] = []
        self.port = self._wait_for_port()

    def _wait_for_port(self) -> int:
        assert self.process.stderr is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            self.log.append(line)
            record = json.loads(line)
            if record.get("message") == "serving":
                return int(record["port"])
        raise AssertionError(f"server did not start: {''.join(self.log)}")

    def terminate(self) -> tuple[int, str, str]:
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, out, "".join(self.log) + err


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[ServeProcess]:
    server = ServeProcess(["--dev"], tmp_path, _env())
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


def test_dev_mode_serves_demo_catalog_and_prints_tokens(
    dev_server: ServeProcess, tmp_path: Path
) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{dev_server.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        token = subprocess.run(
            [*CLI, "token", "--dev", "--sub", "carol", "--role", "staff"],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        products = catalog_pb2_grpc.CatalogServiceStub(channel).ListProducts(
            catalog_pb2.ListProductsRequest(), metadata=[("authorization", f"Bearer {token}")]
        )
        assert len(products.products) == 6
    code, out, err = dev_server.terminate()
    assert code == 0
    assert "DEVELOPMENT MODE" in out
    token_lines = [
        line.split()
        for line in out.splitlines()
        if line.strip().startswith(("staff", "manager", "admin"))
    ]
    assert [parts[0] for parts in token_lines] == ["staff", "manager", "admin"]
    assert all(parts[1].count(".") == 2 for parts in token_lines)
    assert '"message": "stopped"' in err
    # The access log names the caller but never carries the token.
    assert '"caller": "carol"' in err
    assert token not in err


def test_without_a_jwt_key_outside_dev_mode_the_server_refuses_to_start(tmp_path: Path) -> None:
    result = subprocess.run(
        [*CLI, "serve", "--listen", "127.0.0.1:0"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no JWT key" in result.stderr


def test_configured_secret_is_used_and_sigterm_exits_cleanly(tmp_path: Path) -> None:
    secret = "operator-secret-0123456789abcdef0123"
    server = ServeProcess([], tmp_path, _env(INVENTORY_JWT_SECRET=secret))
    try:
        token = subprocess.run(
            [*CLI, "token", "--sub", "ops", "--role", "admin"],
            env=_env(INVENTORY_JWT_SECRET=secret),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        claims = jwt.decode(token, secret, algorithms=["HS256"])
        assert (claims["sub"], claims["role"]) == ("ops", "admin")
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            listed = catalog_pb2_grpc.CatalogServiceStub(channel).ListProducts(
                catalog_pb2.ListProductsRequest(), metadata=[("authorization", f"Bearer {token}")]
            )
            assert list(listed.products) == []  # no demo data outside dev mode
    finally:
        code, out, _err = server.terminate()
    assert code == 0
    assert "DEVELOPMENT MODE" not in out


def test_migrate_command_brings_a_database_to_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = subprocess.run(
        [*CLI, "migrate", "--database-url", url],
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert "head" in result.stdout
    import sqlite3

    with sqlite3.connect(tmp_path / "fresh.db") as db:
        (version,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert {"products", "stock_ledger", "inventory_counts", "stock_adjustments"} <= tables
