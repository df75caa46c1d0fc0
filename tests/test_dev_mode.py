"""Development mode is asked for on the command line only (`serve --dev`), and never signs its
printed tokens with a configured key (issue 16)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from deploy.processes import clean_env
from inventory_service.settings import Settings

CLI = [sys.executable, "-m", "inventory_service.cli"]


def test_no_environment_variable_turns_on_development_mode() -> None:
    for value in ("1", "true", "yes"):
        settings = Settings.from_env({"INVENTORY_DEV": value, "INVENTORY_DEMO_DATA": value})
        assert (settings.dev_mode, settings.demo_data) == (False, False)


def test_dev_mode_refuses_a_configured_secret_or_key(tmp_path: Path) -> None:
    key_file = tmp_path / "public.pem"
    key_file.write_text("not read: refused before")
    for variable, value in [
        ("INVENTORY_JWT_SECRET", "production-secret-0123456789abcdef0123"),
        ("INVENTORY_JWT_PUBLIC_KEY_FILE", str(key_file)),
    ]:
        result = subprocess.run(
            [*CLI, "serve", "--dev", "--listen", "127.0.0.1:0"],
            cwd=tmp_path,
            env=clean_env(**{variable: value}),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, result.stderr
        assert "--dev signs with the development secret in var/dev-jwt-secret" in result.stderr
        assert "DEVELOPMENT MODE" not in result.stdout
        assert not (tmp_path / "var" / "inventory.db").exists()  # refused before any work
