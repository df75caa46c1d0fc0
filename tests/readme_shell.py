"""Runs the README's shell blocks as written, with bash, against a test server: the project's
.venv/bin in a working directory of the test's, the server's address, and its signing secret
for the tokens the blocks mint with `inventory-service token --dev`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import TEST_SECRET

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
VENV = REPO / ".venv" if (REPO / ".venv").exists() else Path(sys.executable).parents[1]


def readme_block(heading: str) -> list[str]:
    """The lines of the first sh block after the README's heading (a whole line)."""
    text = README.read_text()
    at = text.index(f"\n{heading}\n")
    block = re.search(r"```sh\n(.*?)```", text[at:], re.S)
    assert block is not None, f"no sh block under {heading}"
    return block.group(1).splitlines()


def run_bash(lines: list[str], port: int, workdir: Path) -> subprocess.CompletedProcess[str]:
    (workdir / ".venv").symlink_to(VENV)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
    env.update(
        INVENTORY_ADDRESS=f"127.0.0.1:{port}",
        INVENTORY_JWT_SECRET=TEST_SECRET,  # `inventory-service token --dev` signs with it
        PYTHONPATH=str(REPO),
        COLUMNS="200",
    )
    return subprocess.run(
        ["bash", "-c", "\n".join(lines)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
