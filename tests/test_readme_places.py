"""The README's sites example ("## Sites, locations and transfers"), run as written with bash
after the two lines of the shell it continues (the manager's token, `inv`): a site and its
locations from a CSV file, stock received into a fridge, moved within the site and to another
one, the fridge refused deactivation while it holds stock, and the levels by location."""

from __future__ import annotations

from pathlib import Path

from inventory.v1 import catalog_pb2
from tests.helpers import STAFF, Clients, ServerThread
from tests.place_helpers import levels_by_place
from tests.readme_shell import readme_block, run_bash


def test_the_readme_sites_example_runs_as_written(
    server: ServerThread, api: Clients, tmp_path: Path
) -> None:
    shell = readme_block("## A first call from the shell")[:2]  # INVENTORY_TOKEN, inv()
    assert shell[1].startswith("inv()")

    block = readme_block("## Sites, locations and transfers")
    result = run_bash([*shell, *block], server.port, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "FAILED_PRECONDITION [LOCATION_HOLDS_STOCK]" in errors[0]
    assert "Stock by location" in result.stdout
    vaccine = api.catalog.GetProduct(
        catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(sku="VAX-10")),
        metadata=STAFF,
    ).product
    assert levels_by_place(api, vaccine.id) == {
        "MAIN/DEFAULT": 2,
        "STORE-12/A-01/03": 5,
        "STORE-12/FRIDGE-1": 13,
    }
