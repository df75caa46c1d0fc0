"""Every environment variable the server reads (settings.py) is in the README's Configuration
table and in docs/operations.md, and the table lists nothing the server does not read."""

from __future__ import annotations

import re
from pathlib import Path

from inventory_service.settings import Settings

REPO = Path(__file__).resolve().parents[1]
NAME = re.compile(r"\bINVENTORY_[A-Z0-9_]*[A-Z0-9]\b")


class RecordingEnvironment(dict[str, str]):
    """An empty environment that remembers every name asked of it."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)


def variables_read() -> set[str]:
    env = RecordingEnvironment()
    Settings.from_env(env)
    return {name for name in env.asked if name.startswith("INVENTORY_")}


def readme_settings_table() -> set[str]:
    text = (REPO / "README.md").read_text()
    section = text[text.index("\n## Configuration\n") :]
    section = section[: section.index("\n## ", 1)]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for cell in first_cells for name in NAME.findall(cell)}


def test_the_settings_read_are_known() -> None:
    read = variables_read()
    assert {"INVENTORY_LISTEN", "INVENTORY_JWT_MAX_LIFETIME_SECONDS"} <= read
    assert "INVENTORY_DEV" not in read  # development mode is `serve --dev` only


def test_the_readme_settings_table_lists_exactly_the_variables_read() -> None:
    assert readme_settings_table() == variables_read()


def test_the_operations_guide_names_every_variable_read() -> None:
    guide = set(NAME.findall((REPO / "docs" / "operations.md").read_text()))
    assert variables_read() - guide == set()
