"""The README's lot-tracked example ("### Lot-tracked products"), run as written with bash after
the two lines of the shell it continues (the manager's token, `inv`): a movement without its
lot is refused with BATCH_REQUIRED, the expired lot is counted and flagged, completion lists it
with the write-off to run, and the write-off leaves each lot as counted."""

from __future__ import annotations

from pathlib import Path

from inventory.v1 import catalog_pb2
from tests.helpers import STAFF, Clients, ServerThread
from tests.readme_shell import readme_block, run_bash


def test_the_readme_lot_example_runs_as_written(
    server: ServerThread, api: Clients, tmp_path: Path
) -> None:
    shell = readme_block("## A first call from the shell")[:2]  # INVENTORY_TOKEN, inv()
    assert shell[1].startswith("inv()")

    result = run_bash([*shell, *readme_block("### Lot-tracked products")], server.port, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "INVALID_ARGUMENT [BATCH_REQUIRED]" in errors[0]
    assert "Expired stock counted" in result.stdout
    assert "--type expired --change -12 --lot A2311" in result.stdout
    product = api.catalog.GetProduct(
        catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(sku="AMOX-500")),
        metadata=STAFF,
    ).product
    assert product.tracking == catalog_pb2.TRACKING_MODE_LOT
    levels = {lv.lot_number: (lv.quantity, lv.expired) for lv in product.stock_levels}
    assert levels == {"A2311": (0, True), "A2406": (44, False)}
