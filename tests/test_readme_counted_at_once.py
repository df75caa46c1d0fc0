"""The README's example "Two stores and a warehouse aisle counted at once", run as written with
bash after the shell it continues (the manager's token, `inv`, then the sites example): three
counts in progress together in three places, a fourth refused for the location they share, and
each completion changing only its own locations."""

from __future__ import annotations

from pathlib import Path

from inventory.v1 import catalog_pb2
from inventory.v1 import inventory_count_pb2 as pb
from tests.helpers import MANAGER, STAFF, Clients, ServerThread
from tests.place_helpers import levels_by_place
from tests.readme_shell import readme_block, run_bash


def test_the_readme_counted_at_once_example_runs_as_written(
    server: ServerThread, api: Clients, tmp_path: Path
) -> None:
    shell = readme_block("## A first call from the shell")[:2]  # INVENTORY_TOKEN, inv()
    sites = readme_block("## Sites, locations and transfers")
    block = readme_block("### Two stores and a warehouse aisle counted at once")
    result = run_bash([*shell, *sites, *block], server.port, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2, result.stderr  # the sites example's one, and the overlap
    assert "FAILED_PRECONDITION [COUNT_IN_PROGRESS]" in errors[1]
    assert "AISLE-B" in errors[1]

    counts = api.counts.ListInventoryCounts(pb.ListInventoryCountsRequest(), metadata=MANAGER)
    assert sorted((c.name, c.status) for c in counts.inventory_counts) == [
        ("Aisle B", pb.INVENTORY_COUNT_STATUS_COMPLETED),
        ("Store 12", pb.INVENTORY_COUNT_STATUS_COMPLETED),
        ("Store 7", pb.INVENTORY_COUNT_STATUS_COMPLETED),
    ]
    vaccine = api.catalog.GetProduct(
        catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(sku="VAX-10")),
        metadata=STAFF,
    ).product
    assert levels_by_place(api, vaccine.id) == {
        "MAIN/AISLE-B": 6,
        "MAIN/DEFAULT": 2,  # not covered by any count: left as it was
        "STORE-12/A-01/03": 4,
        "STORE-12/FRIDGE-1": 13,
        "STORE-7/DEFAULT": 4,
    }
