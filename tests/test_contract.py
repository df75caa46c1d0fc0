"""Contract safety: `buf breaking` (FILE rules) of the contract against the last release,
kept in protos/released/, catches a change that would break a deployed client."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import google.type.money_pb2
import pytest

ROOT = Path(__file__).resolve().parent.parent
BUF = ROOT / ".tools" / "node_modules" / ".bin" / "buf"
GOOGLEAPIS = Path(google.type.money_pb2.__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def buf() -> Path:
    if not BUF.exists():
        message = f"buf is not installed at {BUF} (make tools)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(f"!!! SKIPPING CONTRACT TESTS: {message}")
    return BUF


def image(proto_root: Path, out: Path) -> Path:
    sources = sorted(
        str(p.relative_to(proto_root)) for p in proto_root.glob("inventory/**/*.proto")
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{proto_root}",
            f"-I{GOOGLEAPIS}",
            "--include_imports",
            "-o",
            out,
            *sources,
        ],
        cwd=proto_root,
        check=True,
    )
    return out


def breaking(buf: Path, proto_root: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    current = image(proto_root, tmp_path / "current.binpb")
    released = image(ROOT / "protos" / "released", tmp_path / "released.binpb")
    return subprocess.run(
        [
            buf,
            "breaking",
            current,
            "--against",
            released,
            "--config",
            ROOT / "protos" / "buf.yaml",
            "--path",
            "inventory",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def edited_contract(tmp_path: Path, file: str, pattern: str, replacement: str) -> Path:
    root = tmp_path / "protos"
    shutil.copytree(ROOT / "protos" / "inventory", root / "inventory")
    path = root / "inventory" / "v1" / file
    text, edits = re.subn(pattern, replacement, path.read_text(), count=1, flags=re.MULTILINE)
    assert edits == 1, pattern
    path.write_text(text)
    return root


def test_the_contract_is_compatible_with_the_last_release(buf: Path, tmp_path: Path) -> None:
    result = breaking(buf, ROOT / "protos", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("file", "pattern", "replacement", "complaint"),
    [
        (
            "catalog.proto",
            r"^  string barcode = 3;$",
            "  string gtin = 3;",
            'Field "3" on message "Product" changed name from "barcode" to "gtin".',
        ),
        (
            "catalog.proto",
            r"^  int64 stock_quantity = 7\b[^;]*;\n",
            "",
            'Previously present field "7" with name "stock_quantity" on message "Product" was '
            "deleted.",
        ),
        (
            "stock_adjustment.proto",
            r"^  int64 quantity_change = 5;$",
            "  int32 quantity_change = 5;",
            'changed type from "int64" to "int32"',
        ),
    ],
    ids=["renamed field", "deleted field", "changed type"],
)
def test_a_change_that_breaks_deployed_clients_fails(
    buf: Path, tmp_path: Path, file: str, pattern: str, replacement: str, complaint: str
) -> None:
    result = breaking(buf, edited_contract(tmp_path, file, pattern, replacement), tmp_path)
    assert result.returncode != 0
    assert complaint in result.stdout
