"""The `inventory-client` console script. The command lives in inventory_client.cli and needs
the `cli` extra (click, rich); without it, say how to get it rather than print a traceback."""

from __future__ import annotations

import sys

CLI_MODULES = {"click", "rich", "grpc_health"}


def main() -> None:
    try:
        from inventory_client.cli.app import main as run
    except ModuleNotFoundError as missing:
        if (missing.name or "").split(".")[0] not in CLI_MODULES:
            raise
        print(
            f"inventory-client: the command needs the cli extra ({missing.name} is missing):\n"
            "  pip install 'inventory-client[cli]'",
            file=sys.stderr,
        )
        sys.exit(2)
    sys.exit(run())
