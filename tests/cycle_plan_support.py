"""What the cycle-plan tests share: a catalog whose ABC classes are known, the due list, and
scoped starts."""

from __future__ import annotations

from typing import Any

from inventory.v1 import inventory_count_pb2 as pb
from tests.helpers import CYCLE, MANAGER, STAFF, Clients, all_pages, create_product, move

A, B, C = pb.ABC_CLASS_A, pb.ABC_CLASS_B, pb.ABC_CLASS_C

# SKU -> units sold at 1.00 each, out of 1,000 sold in all. Ranked by value: before = 0, 500,
# 800, 900, 960 of 1,000. A while before < 800; B while before < 950; C after, and any
# product that sold nothing.
SALES = {"ABC-1": 500, "ABC-2": 300, "ABC-3": 100, "ABC-4": 60, "ABC-5": 40, "ABC-6": 0}
EXPECTED = {"ABC-1": A, "ABC-2": A, "ABC-3": B, "ABC-4": B, "ABC-5": C, "ABC-6": C}


def abc_catalog(api: Clients) -> dict[str, str]:
    """SKU -> product id of the SALES catalog, each product sold as SALES says; receipts (which
    are no consumption) on top."""
    ids = {}
    for sku, sold in SALES.items():
        product = create_product(api, sku, cost="1.00", opening=1000)
        ids[sku] = product.id
        if sold:
            move(api, product.id, -sold)
        move(api, product.id, 250)  # a receipt: inbound, never consumption
    return ids


def due_list(api: Clients, *, metadata: Any = STAFF, **filters: Any) -> list[pb.ProductDueForCount]:
    request = pb.ListProductsDueForCountRequest(**filters)
    return all_pages(api.counts.ListProductsDueForCount, request, "products", metadata=metadata)


def start_scoped(api: Clients, *, count_type: Any = CYCLE, **scope: Any) -> pb.InventoryCount:
    return api.counts.StartInventoryCount(
        pb.StartInventoryCountRequest(name="Cycle count", type=count_type, **scope),
        metadata=MANAGER,
    ).inventory_count
