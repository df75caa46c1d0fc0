"""The Python client is a package of its own: installed from a checkout on a clean virtual
environment, its build generates the stubs, and it brings the client and none of the server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import importlib.util, json, pathlib
import inventory_client
from inventory.v1 import catalog_pb2, inventory_count_pb2_grpc, stock_adjustment_pb2_grpc
from inventory_client import InventoryClient, ScannerSession, NotFound
stubs = pathlib.Path(catalog_pb2.__file__).parent
print(json.dumps({
    "client": inventory_client.__file__,
    "typed": sorted(p.name for p in stubs.glob("*.pyi")),
    "importable": {
        name: importlib.util.find_spec(name) is not None
        for name in ("sqlalchemy", "alembic", "psycopg", "jwt", "inventory_service", "click")
    },
}))
"""


def test_the_client_installs_on_a_clean_venv_without_the_server(tmp_path: Path) -> None:
    # What a checkout holds, without generated stubs: the package's build makes them.
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT / "protos", checkout / "protos")
    shutil.copytree(
        ROOT / "clients" / "python",
        checkout / "clients" / "python",
        ignore=shutil.ignore_patterns("inventory", "__pycache__", "build", "dist", ".stubgen-*"),
    )
    assert not (checkout / "clients" / "python" / "src" / "inventory").exists()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    package = checkout / "clients" / "python"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", package],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr

    probe = subprocess.run(
        [python, "-c", PROBE], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert found["client"].startswith(str(venv))
    assert "catalog_pb2.pyi" in found["typed"]
    assert found["importable"] == {
        "sqlalchemy": False,
        "alembic": False,
        "psycopg": False,
        "jwt": False,
        "inventory_service": False,
        "click": False,
    }
    # Without the cli extra, the command says how to get it.
    command = subprocess.run(
        [venv / "bin" / "inventory-client", "--help"], capture_output=True, text=True, timeout=60
    )
    assert command.returncode == 2
    assert "pip install 'inventory-client[cli]'" in command.stderr
