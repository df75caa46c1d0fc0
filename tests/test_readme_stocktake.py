"""The README's stock-take ("A first call from the shell"), run as written with bash against a
server holding the demo catalog, with a sale and a receipt recorded right after the scan: every
counted product ends with what was counted plus those movements, no phantom stock (a lot-tracked
product counted without its lots used to keep its lots and gain the counted units besides)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from inventory.v1 import catalog_pb2, catalog_pb2_grpc
from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.bootstrap import ServiceLayer
from inventory_service.demo import DEMO_PRODUCTS, load_demo_catalog
from tests.helpers import MANAGER, Clients, ServerThread, all_pages, clients
from tests.readme_shell import readme_block, run_bash

# Recorded between the scan and the completion: (sku, lot or "", quantity delta).
AFTER_SCAN = [("IBU-200-16", "L2403", -2), ("GLV-NIT-M", "", 10)]


def record_after_scan() -> None:
    """The movements of AFTER_SCAN, as the caller of the README's shell (its address, token)."""
    with clients(int(os.environ["INVENTORY_ADDRESS"].rsplit(":", 1)[1])) as api:
        metadata = [("authorization", f"Bearer {os.environ['INVENTORY_TOKEN']}")]
        movements = []
        for sku, lot, delta in AFTER_SCAN:
            product = api.catalog.GetProduct(
                catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(sku=sku)),
                metadata=metadata,
            ).product
            [batch_id] = [lv.batch_id for lv in product.stock_levels if lv.lot_number == lot]
            movements.append(
                catalog_pb2.StockMovement(
                    product_id=product.id,
                    batch_id=batch_id,
                    quantity_delta=delta,
                    source_reference="after the scan",
                )
            )
        catalog_pb2_grpc.CatalogServiceStub(api.channel).RecordStockMovements(
            catalog_pb2.RecordStockMovementsRequest(movements=movements), metadata=metadata
        )


def run_readme(port: int, workdir: Path) -> subprocess.CompletedProcess[str]:
    """The block as written; a hook after its scan line records AFTER_SCAN."""
    lines = readme_block("## A first call from the shell")
    [scan_at] = [i for i, line in enumerate(lines) if line.startswith("inv simulate")]
    hook = f'"{sys.executable}" -c "from {__name__} import record_after_scan as r; r()"'
    return run_bash([*lines[: scan_at + 1], hook, *lines[scan_at + 1 :]], port, workdir)


def test_the_readme_stock_take_leaves_what_was_counted(
    server: ServerThread, services: ServiceLayer, api: Clients, tmp_path: Path
) -> None:
    assert load_demo_catalog(services.products, services.batches) == len(DEMO_PRODUCTS)

    result = run_readme(server.port, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    summaries = [line for line in result.stdout.splitlines() if line.startswith('{"scanners"')]
    assert [json.loads(s)["rejected"] for s in summaries] == [0], result.stderr
    [count] = api.counts.ListInventoryCounts(
        pb.ListInventoryCountsRequest(), metadata=MANAGER
    ).inventory_counts
    assert count.status == pb.INVENTORY_COUNT_STATUS_COMPLETED
    items = all_pages(
        api.counts.ListCountItems,
        pb.ListCountItemsRequest(inventory_count_id=count.id),
        "items",
        metadata=MANAGER,
    )
    counted: dict[str, int] = defaultdict(int)
    for item in items:
        counted[item.sku] += item.counted_quantity
    moved: dict[str, int] = defaultdict(int)
    for sku, _, delta in AFTER_SCAN:
        moved[sku] += delta
    products = all_pages(api.catalog.ListProducts, catalog_pb2.ListProductsRequest(), "products")
    # 300 random entries reach every demo product and lot (each misses with p < 1e-10).
    assert set(counted) == {p.sku for p in products}
    stock = {p.sku: p.stock_quantity for p in products}
    assert stock == {sku: counted[sku] + moved[sku] for sku in counted}
    for item in items:  # and so does every level counted
        [product] = [p for p in products if p.id == item.product_id]
        [level] = [lv for lv in product.stock_levels if lv.batch_id == item.batch_id]
        lot_moves = sum(d for s, lot, d in AFTER_SCAN if (s, lot) == (item.sku, item.lot_number))
        assert level.quantity == item.counted_quantity + lot_moves
    assert not [
        lv
        for p in products
        if p.tracking == catalog_pb2.TRACKING_MODE_LOT
        for lv in p.stock_levels
        if not lv.batch_id and lv.quantity
    ], "a lot-tracked product holds unbatched stock"
