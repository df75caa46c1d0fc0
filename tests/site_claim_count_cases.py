"""The `sites` claim cases of InventoryCountService's RPCs, for tests/test_site_claims.py (the
shape of a case is in its docstring): what a token limited to NORTH (world.here) gets from each
RPC. A count is of one site: a limited token reads and works on NORTH's counts, and anything of
SOUTH's (world.there), or of MAIN's (what naming no site implies), is SITE_NOT_ALLOWED; lists
and the summary show NORTH's alone."""

from __future__ import annotations

from typing import Any

import grpc

from inventory.v1 import inventory_count_pb2 as pb
from inventory.v1 import site_pb2
from tests.helpers import (
    CYCLE,
    MANAGER,
    STAFF,
    add_request,
    all_pages,
    create_product,
    error_of,
    roundtrip,
    scan,
)
from tests.site_claim_support import Case, SitePlaces, SiteWorld, site_not_allowed

Count = pb.InventoryCount


def _start(world: SiteWorld, site: SitePlaces | None, name: str, **fields: Any) -> Count:
    """A CYCLE count of the site's A-1 (MAIN's DEFAULT when site is None), started with an
    unrestricted token."""
    request = pb.StartInventoryCountRequest(name=name, type=CYCLE, **fields)
    if site is not None:
        request.site.CopyFrom(site.selector())
        request.scope_locations.add(code=site.location_code)
    return world.api.counts.StartInventoryCount(request, metadata=MANAGER).inventory_count


def _both(world: SiteWorld, **fields: Any) -> tuple[Count, Count]:
    """A count in NORTH and one in SOUTH."""
    return _start(world, world.here, "North", **fields), _start(
        world, world.there, "South", **fields
    )


def _counted(
    world: SiteWorld, sku: str = "CLAIM-C"
) -> tuple[Count, Count, pb.CountItem, pb.CountItem]:
    """A count in each site with a line of found stock (significant: 50 where none was)."""
    create_product(world.api, sku, cost="5.00")
    north, south = _both(world)
    lines = [
        world.api.counts.AddCountItem(add_request(c.id, 50, sku=sku), metadata=STAFF).item
        for c in (north, south)
    ]
    return north, south, lines[0], lines[1]


def start(world: SiteWorld) -> None:
    call = world.api.counts.StartInventoryCount
    here = pb.StartInventoryCountRequest(name="N", type=CYCLE, site=world.here.selector())
    assert call(here, metadata=world.manager).inventory_count.site_code == world.here.code
    site_not_allowed(
        call,
        pb.StartInventoryCountRequest(name="S", type=CYCLE, site=world.there.selector()),
        world.manager,
    )
    # Naming no site implies MAIN, which the token does not allow.
    site_not_allowed(call, pb.StartInventoryCountRequest(name="M", type=CYCLE), world.manager)
    # A location of SOUTH named in a NORTH count.
    foreign = pb.StartInventoryCountRequest(
        name="X",
        type=CYCLE,
        site=site_pb2.SiteSelector(code=world.here.code),
        scope_locations=[site_pb2.LocationSelector(id=world.there.location_id)],
    )
    site_not_allowed(call, foreign, world.manager)


def get(world: SiteWorld) -> None:
    north, south = _both(world)
    call = world.api.counts.GetInventoryCount
    got = call(pb.GetInventoryCountRequest(inventory_count_id=north.id), metadata=world.staff)
    assert got.inventory_count.id == north.id
    site_not_allowed(call, pb.GetInventoryCountRequest(inventory_count_id=south.id), world.staff)


def list_counts(world: SiteWorld) -> None:
    north, _ = _both(world)
    _start(world, None, "Main")
    request = pb.ListInventoryCountsRequest()
    found = all_pages(
        world.api.counts.ListInventoryCounts, request, "inventory_counts", metadata=world.staff
    )
    assert [c.id for c in found] == [north.id]
    site_not_allowed(
        world.api.counts.ListInventoryCounts,
        pb.ListInventoryCountsRequest(site=world.there.selector()),
        world.staff,
    )


def add_item(world: SiteWorld) -> None:
    create_product(world.api, "CLAIM-ADD")
    north, south = _both(world)
    call = world.api.counts.AddCountItem
    item = call(add_request(north.id, 2, sku="CLAIM-ADD"), metadata=world.staff).item
    assert item.location_id == world.here.location_id
    site_not_allowed(call, add_request(south.id, 2, sku="CLAIM-ADD"), world.staff)
    lines = world.api.counts.ListCountItems(
        pb.ListCountItemsRequest(inventory_count_id=south.id), metadata=MANAGER
    ).items
    assert list(lines) == []


def list_items(world: SiteWorld) -> None:
    north, south, line, _ = _counted(world)
    call = world.api.counts.ListCountItems
    items = call(pb.ListCountItemsRequest(inventory_count_id=north.id), metadata=world.staff)
    assert [i.id for i in items.items] == [line.id]
    site_not_allowed(call, pb.ListCountItemsRequest(inventory_count_id=south.id), world.staff)


def stream(world: SiteWorld) -> None:
    create_product(world.api, "CLAIM-SCAN")
    north, south = _both(world)
    acks = roundtrip(
        world.api,
        world.staff,
        scan(north.id, sku="CLAIM-SCAN", quantity=3),
        scan(south.id, sku="CLAIM-SCAN", quantity=3),
    )
    assert acks[0].item.location_code == world.here.location_code
    assert error_of(acks[1]) == (grpc.StatusCode.PERMISSION_DENIED, "SITE_NOT_ALLOWED")


def complete(world: SiteWorld) -> None:
    north, south = _both(world)
    call = world.api.counts.CompleteInventoryCount

    def request(count: Count) -> pb.CompleteInventoryCountRequest:
        return pb.CompleteInventoryCountRequest(inventory_count_id=count.id)

    done = call(request(north), metadata=world.manager).inventory_count
    assert done.status == pb.INVENTORY_COUNT_STATUS_COMPLETED
    site_not_allowed(call, request(south), world.manager)
    still = world.api.counts.GetInventoryCount(
        pb.GetInventoryCountRequest(inventory_count_id=south.id), metadata=MANAGER
    ).inventory_count
    assert still.status == pb.INVENTORY_COUNT_STATUS_IN_PROGRESS


def cancel(world: SiteWorld) -> None:
    north, south = _both(world)
    call = world.api.counts.CancelInventoryCount
    done = call(
        pb.CancelInventoryCountRequest(inventory_count_id=north.id), metadata=world.manager
    ).inventory_count
    assert done.status == pb.INVENTORY_COUNT_STATUS_CANCELLED
    site_not_allowed(
        call, pb.CancelInventoryCountRequest(inventory_count_id=south.id), world.manager
    )


def summary(world: SiteWorld) -> None:
    _counted(world)
    _start(world, None, "Main")
    call = world.api.counts.GetInventorySummary
    mine = call(pb.GetInventorySummaryRequest(), metadata=world.manager)
    assert mine.overall.total_counts == 1
    assert mine.overall.items_counted == 1
    assert [s.site_code for s in mine.by_site] == [world.here.code]
    site_not_allowed(
        call, pb.GetInventorySummaryRequest(site=world.there.selector()), world.manager
    )


def discrepancies(world: SiteWorld) -> None:
    north, south, line, _ = _counted(world)
    call = world.api.counts.ListDiscrepancies
    mine = call(pb.ListDiscrepanciesRequest(), metadata=world.manager)
    assert [i.id for i in mine.items] == [line.id]
    of_north = call(
        pb.ListDiscrepanciesRequest(inventory_count_id=north.id), metadata=world.manager
    )
    assert [i.id for i in of_north.items] == [line.id]
    site_not_allowed(call, pb.ListDiscrepanciesRequest(inventory_count_id=south.id), world.manager)
    site_not_allowed(call, pb.ListDiscrepanciesRequest(site=world.there.selector()), world.manager)


def recount(world: SiteWorld) -> None:
    north, south, north_line, south_line = _counted(world)
    call = world.api.counts.RequestRecount
    asked = call(
        pb.RequestRecountRequest(inventory_count_id=north.id, count_item_ids=[north_line.id]),
        metadata=world.manager,
    )
    assert [i.status for i in asked.items] == [pb.COUNT_ITEM_STATUS_RECOUNT_REQUESTED]
    site_not_allowed(
        call,
        pb.RequestRecountRequest(inventory_count_id=south.id, count_item_ids=[south_line.id]),
        world.manager,
    )


def entries(world: SiteWorld) -> None:
    north, south, north_line, south_line = _counted(world)
    call = world.api.counts.ListCountItemEntries

    def request(count: Count, line: pb.CountItem) -> pb.ListCountItemEntriesRequest:
        return pb.ListCountItemEntriesRequest(inventory_count_id=count.id, count_item_id=line.id)

    [entry] = call(request(north, north_line), metadata=world.manager).entries
    assert entry.location_id == world.here.location_id
    site_not_allowed(call, request(south, south_line), world.manager)


def due(world: SiteWorld) -> None:
    call = world.api.counts.ListProductsDueForCount
    create_product(world.api, "CLAIM-DUE")
    request = pb.ListProductsDueForCountRequest(include_not_due=True, site=world.here.selector())
    call(request, metadata=world.staff)  # NORTH's plan: answered
    site_not_allowed(
        call, pb.ListProductsDueForCountRequest(site=world.there.selector()), world.staff
    )
    # Naming no site lists MAIN's plan, which the token does not allow.
    site_not_allowed(call, pb.ListProductsDueForCountRequest(), world.staff)


def _tasks(count: Count, assignee: str, cls: Any) -> Any:
    return cls(inventory_count_id=count.id, assignees=[assignee], zones=["Aisle A"])


def assign(world: SiteWorld) -> None:
    north, south = _both(world)
    call = world.api.counts.AssignCountTasks
    made = call(_tasks(north, "ann", pb.AssignCountTasksRequest), metadata=world.manager).tasks
    assert [t.location_id for t in made] == [world.here.location_id]
    site_not_allowed(call, _tasks(south, "ann", pb.AssignCountTasksRequest), world.manager)


def unassign(world: SiteWorld) -> None:
    north, south = _both(world)
    for count in (north, south):
        world.api.counts.AssignCountTasks(
            _tasks(count, "ann", pb.AssignCountTasksRequest), metadata=MANAGER
        )
    call = world.api.counts.UnassignCountTasks
    gone = call(_tasks(north, "ann", pb.UnassignCountTasksRequest), metadata=world.manager).tasks
    assert [t.inventory_count_id for t in gone] == [north.id]
    site_not_allowed(call, _tasks(south, "ann", pb.UnassignCountTasksRequest), world.manager)


def list_tasks(world: SiteWorld) -> None:
    north, south = _both(world)
    me = "staff-of-north"  # the limited staff token's subject
    for count in (north, south):
        world.api.counts.AssignCountTasks(
            _tasks(count, me, pb.AssignCountTasksRequest), metadata=MANAGER
        )
    call = world.api.counts.ListCountTasks
    mine = call(pb.ListCountTasksRequest(), metadata=world.staff).tasks
    assert [t.inventory_count_id for t in mine] == [north.id]
    site_not_allowed(call, pb.ListCountTasksRequest(inventory_count_id=south.id), world.staff)


def levels(world: SiteWorld) -> None:
    north, south = _both(world)
    call = world.api.counts.ListLevelsToCount
    call(pb.ListLevelsToCountRequest(inventory_count_id=north.id), metadata=world.staff)
    site_not_allowed(call, pb.ListLevelsToCountRequest(inventory_count_id=south.id), world.staff)


def progress(world: SiteWorld) -> None:
    north, south = _both(world)
    call = world.api.counts.GetCountProgress
    got = call(pb.GetCountProgressRequest(inventory_count_id=north.id), metadata=world.manager)
    assert [p.location_id for p in got.locations] == [world.here.location_id]
    site_not_allowed(call, pb.GetCountProgressRequest(inventory_count_id=south.id), world.manager)


CASES: dict[str, Case] = {
    f"InventoryCountService.{rpc}": case
    for rpc, case in {
        "StartInventoryCount": start,
        "GetInventoryCount": get,
        "ListInventoryCounts": list_counts,
        "AddCountItem": add_item,
        "ListCountItems": list_items,
        "StreamCountItems": stream,
        "CompleteInventoryCount": complete,
        "CancelInventoryCount": cancel,
        "GetInventorySummary": summary,
        "ListDiscrepancies": discrepancies,
        "RequestRecount": recount,
        "ListCountItemEntries": entries,
        "ListProductsDueForCount": due,
        "AssignCountTasks": assign,
        "UnassignCountTasks": unassign,
        "ListCountTasks": list_tasks,
        "ListLevelsToCount": levels,
        "GetCountProgress": progress,
    }.items()
}
