"""Build hook: generates the inventory.v1 stubs from the repository's protos/ before a build.

In a checkout, every build (wheel, editable, sdist) regenerates them, so an installed client
always matches the contract it was built from. An sdist carries the generated stubs and builds
without protos/."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class StubsBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        spec = importlib.util.spec_from_file_location("stubgen", root / "stubgen.py")
        if spec is None or spec.loader is None:
            raise RuntimeError(f"cannot load {root / 'stubgen.py'}")
        stubgen = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(stubgen)
        if any(stubgen.DEFAULT_PROTOS.glob("inventory/**/*.proto")):
            stubgen.generate()
        elif not (root / "src" / "inventory" / "v1").is_dir():
            raise RuntimeError(
                "no generated stubs and no protos/ beside clients/python: "
                "build from a checkout of the repository, or from an sdist"
            )
