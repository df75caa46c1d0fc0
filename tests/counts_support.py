"""Helpers for the count tests, through the API (catalog builders are in catalog_data)."""

from __future__ import annotations

from typing import Any

from inventory.v1 import catalog_pb2
from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.domain.identity import Role
from tests.catalog_data import MANAGER, STAFF
from tests.support import Clients, auth

OTHER_MANAGER = auth(Role.MANAGER, "max-manager")
OTHER_STAFF = auth(Role.STAFF, "sue-staff")

CYCLE = pb.INVENTORY_COUNT_TYPE_CYCLE
FULL = pb.INVENTORY_COUNT_TYPE_FULL
SPOT = pb.INVENTORY_COUNT_TYPE_SPOT
ANNUAL = pb.INVENTORY_COUNT_TYPE_ANNUAL
ADD = pb.COUNT_MODE_ADD
SET = pb.COUNT_MODE_SET


def level_of(api: Clients, product_id: str, batch_id: str = "") -> int:
    product = api.catalog.GetProduct(
        catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(id=product_id)),
        metadata=STAFF,
    ).product
    for level in product.stock_levels:
        if level.batch_id == batch_id:
            return level.quantity
    raise AssertionError(f"no level {product_id}/{batch_id or 'unbatched'}")


def start_count(
    api: Clients,
    name: str = "Aisle 3 cycle count",
    count_type: Any = CYCLE,
    *,
    blind: bool = False,
    metadata: Any = MANAGER,
    request_id: str = "",
) -> pb.InventoryCount:
    return api.counts.StartInventoryCount(
        pb.StartInventoryCountRequest(
            name=name, type=count_type, blind=blind, request_id=request_id
        ),
        metadata=metadata,
    ).inventory_count


def add_item(
    api: Clients,
    count_id: str,
    quantity: int,
    *,
    sku: str = "",
    product_id: str = "",
    batch_id: str = "",
    lot_number: str = "",
    mode: Any = SET,
    reason: str = "",
    metadata: Any = STAFF,
    request_id: str = "",
) -> pb.CountItem:
    selector = (
        catalog_pb2.ProductSelector(id=product_id)
        if product_id
        else catalog_pb2.ProductSelector(sku=sku)
    )
    request = pb.AddCountItemRequest(
        inventory_count_id=count_id,
        product=selector,
        counted_quantity=quantity,
        mode=mode,
        reason=reason,
        request_id=request_id,
    )
    if batch_id:
        request.batch_id = batch_id
    if lot_number:
        request.lot_number = lot_number
    return api.counts.AddCountItem(request, metadata=metadata).item


def list_items(api: Clients, count_id: str, metadata: Any = MANAGER) -> list[pb.CountItem]:
    items: list[pb.CountItem] = []
    token = ""
    while True:
        page = api.counts.ListCountItems(
            pb.ListCountItemsRequest(inventory_count_id=count_id, page_token=token),
            metadata=metadata,
        )
        items.extend(page.items)
        token = page.next_page_token
        if not token:
            return items


def get_count(api: Clients, count_id: str, metadata: Any = MANAGER) -> pb.InventoryCount:
    return api.counts.GetInventoryCount(
        pb.GetInventoryCountRequest(inventory_count_id=count_id), metadata=metadata
    ).inventory_count


def complete(
    api: Clients,
    count_id: str,
    *,
    apply: bool = True,
    mode: Any = pb.STOCK_APPLY_MODE_UNSPECIFIED,
    zero_uncounted: bool = False,
    notes: str = "",
    metadata: Any = MANAGER,
    request_id: str = "",
) -> pb.CompleteInventoryCountResponse:
    return api.counts.CompleteInventoryCount(
        pb.CompleteInventoryCountRequest(
            inventory_count_id=count_id,
            apply_adjustments=apply,
            apply_mode=mode,
            zero_uncounted=zero_uncounted,
            notes=notes,
            request_id=request_id,
        ),
        metadata=metadata,
    )
