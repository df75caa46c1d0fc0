"""What the recount tests share: counts that flag significant lines, the two entry paths
(AddCountItem and the scanner stream) behind one call, recount requests and a line's history."""

from __future__ import annotations

from typing import Any

import grpc

from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.domain.identity import Role
from tests.helpers import (
    MANAGER,
    SET,
    Clients,
    Metadata,
    add_item,
    all_pages,
    auth,
    error_info,
    error_of,
    roundtrip,
    scan,
)

# Three counters: bob counts first, carol and dave recount.
BOB = auth(Role.STAFF, "bob")
CAROL = auth(Role.STAFF, "carol")
DAVE = auth(Role.STAFF, "dave")
PATHS = ("add", "stream")
REQUESTED = pb.COUNT_ITEM_STATUS_RECOUNT_REQUESTED
RECOUNTED = pb.COUNT_ITEM_STATUS_RECOUNTED
COUNTED = pb.COUNT_ITEM_STATUS_COUNTED


def start_recount_count(
    api: Clients, *, blind: bool = False, flag: bool = True
) -> pb.InventoryCount:
    return api.counts.StartInventoryCount(
        pb.StartInventoryCountRequest(
            name="Aisle 7",
            type=pb.INVENTORY_COUNT_TYPE_CYCLE,
            blind=blind,
            recount_significant=flag,
        ),
        metadata=MANAGER,
    ).inventory_count


def record(
    api: Clients,
    path: str,
    count_id: str,
    quantity: int,
    metadata: Metadata,
    *,
    sku: str,
    mode: Any = SET,
    reason: str = "",
) -> pb.CountItem | tuple[grpc.StatusCode, str]:
    """One entry by AddCountItem or on a stream of its own: the line its reply shows, or the
    (code, reason) it was refused with."""
    if path == "add":
        try:
            return add_item(
                api, count_id, quantity, sku=sku, mode=mode, reason=reason, metadata=metadata
            )
        except grpc.RpcError as error:
            return error.code(), error_info(error).reason
    entry = scan(count_id, sku=sku, quantity=quantity, mode=mode)
    entry.reason = reason
    [ack] = roundtrip(api, metadata, entry)
    if ack.WhichOneof("result") == "error":
        return error_of(ack)
    return ack.item


def counted(*args: Any, **kwargs: Any) -> pb.CountItem:
    """record() of an entry that must be stored: the line its reply shows."""
    result = record(*args, **kwargs)
    assert isinstance(result, pb.CountItem), f"refused: {result}"
    return result


def request_recount(
    api: Clients, count_id: str, *line_ids: str, reason: str = "", metadata: Metadata = MANAGER
) -> list[pb.CountItem]:
    return list(
        api.counts.RequestRecount(
            pb.RequestRecountRequest(
                inventory_count_id=count_id, count_item_ids=list(line_ids), reason=reason
            ),
            metadata=metadata,
        ).items
    )


def history(api: Clients, count_id: str, line_id: str, **paging: Any) -> list[pb.CountItemEntry]:
    request = pb.ListCountItemEntriesRequest(
        inventory_count_id=count_id, count_item_id=line_id, **paging
    )
    return all_pages(api.counts.ListCountItemEntries, request, "entries", metadata=MANAGER)


def line_of(api: Clients, count_id: str, sku: str, metadata: Metadata = MANAGER) -> pb.CountItem:
    request = pb.ListCountItemsRequest(inventory_count_id=count_id)
    items = all_pages(api.counts.ListCountItems, request, "items", metadata=metadata)
    [line] = [i for i in items if i.sku == sku]
    return line
