"""The console script as an operator uses it: serve (dev and strict), token, migrate, SIGTERM."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import jwt
import pytest
from alembic.script import ScriptDirectory
from grpc_health.v1 import health_pb2, health_pb2_grpc

from deploy.processes import ServerProcess, clean_env
from inventory.v1 import catalog_pb2, catalog_pb2_grpc
from inventory_service.db.migrate import alembic_config

CLI = [sys.executable, "-m", "inventory_service.cli"]
_env = clean_env


def _output(server: ServerProcess) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of a server stopped with SIGTERM."""
    code = server.stop()
    return code, "".join(server.stdout), "\n".join(json.dumps(r) for r in server.records)


def _migrate(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "migrate", "--database-url", url],
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess("dev", ["--listen", "127.0.0.1:0", "--dev"], _env(), tmp_path) as server:
        yield server


def test_dev_mode_serves_demo_catalog_and_prints_tokens(
    dev_server: ServerProcess, tmp_path: Path
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
    code, out, err = _output(dev_server)
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
    server = ServerProcess(
        "strict", ["--listen", "127.0.0.1:0"], _env(INVENTORY_JWT_SECRET=secret), tmp_path
    )
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
        code, out, _err = _output(server)
    assert code == 0
    assert "DEVELOPMENT MODE" not in out


def test_migrate_command_brings_a_database_to_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = _migrate(url)
    assert "head" in result.stdout
    import sqlite3

    with sqlite3.connect(tmp_path / "fresh.db") as db:
        (version,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert {"products", "stock_ledger", "inventory_counts", "stock_adjustments"} <= tables


def test_migrate_never_prints_the_database_password(postgres_url: str) -> None:
    with_password = postgres_url.replace("postgres@", "postgres:hunter2-secret@", 1)
    assert "hunter2-secret" in with_password
    result = _migrate(with_password)
    assert "head" in result.stdout
    assert "hunter2-secret" not in result.stdout + result.stderr
