"""The `sites` claim over every RPC of the contract, walked from the service descriptors: an RPC
added later fails here until someone writes what a site-limited token gets from it.

The shape of a case (shared with tests/site_claim_count_cases.py, which holds the
InventoryCountService cases):

- a module of cases exports `CASES: dict[str, Case]`, keyed "<Service>.<Method>" as the
  README's roles table names RPCs (e.g. "InventoryCountService.StartInventoryCount");
- `Case = Callable[[SiteWorld], None]` (tests/site_claim_support.py): it gets a fresh world of
  three sites on a live server (each backend), MAIN (the default site), `world.here` (NORTH)
  and `world.there` (SOUTH), each of the last two with locations DEFAULT and A-1; the tokens
  `world.staff`, `world.manager`, `world.admin` are limited to NORTH (`sites: ["NORTH"]`), and
  tests/helpers' ADMIN, MANAGER, STAFF are unrestricted for setting up;
- a case calls its RPC with a limited token and asserts both sides: what NORTH holds is
  served (or the write in NORTH done) and SOUTH's data is left out of reads, or the call is
  refused with `site_not_allowed(call, request, metadata)` (PERMISSION_DENIED,
  SITE_NOT_ALLOWED) when it writes in SOUTH, names SOUTH or one of its records, or names no
  site and so implies MAIN.

test_every_rpc_has_a_case fails for an RPC of the contract without a case (or a case for an RPC
that is not in it); test_the_sites_claim runs each case."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.protobuf.descriptor import MethodDescriptor

from inventory.v1 import catalog_pb2, site_pb2
from inventory.v1 import stock_adjustment_pb2 as adj
from inventory_service.api.server import SERVICES
from inventory_service.domain.identity import Role
from tests import site_claim_count_cases
from tests.helpers import (
    ADMIN,
    DAMAGE,
    LOT,
    PENDING,
    STAFF,
    THEFT,
    adjust,
    all_adjustments,
    all_pages,
    create_batch,
    create_product,
    error_info,
    expect_error,
    get_adjustment,
    money,
    token,
)
from tests.place_helpers import levels_by_place, line, place_of, receive, transfer
from tests.site_claim_support import Case, SiteWorld, site_not_allowed, site_world

__all__ = ["site_world"]  # the fixture, used by name

RPCS: list[MethodDescriptor] = [method for service in SERVICES for method in service.methods]
MAIN = site_pb2.LocationSelector()  # names nothing: the default place, in MAIN


def rpc_name(method: MethodDescriptor) -> str:
    return f"{method.containing_service.name}.{method.name}"


def stocked(world: SiteWorld, sku: str = "CLAIM-1") -> str:
    """A product holding 3 at MAIN/DEFAULT, 5 at NORTH/A-1 and 7 at SOUTH/A-1."""
    product = create_product(world.api, sku, opening=3)
    receive(world.api, product.id, 5, world.here.location())
    receive(world.api, product.id, 7, world.there.location())
    return product.id


def lot_stocked(world: SiteWorld) -> tuple[str, str]:
    """A lot-tracked product and its batch, 2 at NORTH/A-1 and 4 at SOUTH/A-1."""
    product = create_product(world.api, "CLAIM-LOT", tracking=LOT)
    batch = create_batch(world.api, product.id, "L1")
    receive(world.api, product.id, 2, world.here.location(), batch_id=batch.id)
    receive(world.api, product.id, 4, world.there.location(), batch_id=batch.id)
    return product.id, batch.id


def only_here(world: SiteWorld, site_codes: object) -> None:
    assert set(site_codes) == {world.here.code}  # type: ignore[call-overload]


# -- CatalogService ------------------------------------------------------------------------


def create_product_case(world: SiteWorld) -> None:
    def request(sku: str, location: site_pb2.LocationSelector) -> catalog_pb2.CreateProductRequest:
        return catalog_pb2.CreateProductRequest(
            product=catalog_pb2.Product(sku=sku, name=sku, unit_cost=money("1.00")),
            opening_quantity=4,
            opening_location=location,
        )

    made = world.api.catalog.CreateProduct(
        request("MADE-HERE", world.here.location()), metadata=world.admin
    ).product
    assert (made.stock_quantity, [s.site_code for s in made.site_stocks]) == (4, ["NORTH"])
    create = world.api.catalog.CreateProduct
    site_not_allowed(create, request("MADE-THERE", world.there.location()), world.admin)
    site_not_allowed(create, request("MADE-MAIN", MAIN), world.admin)
    skus = [
        p.sku
        for p in all_pages(
            world.api.catalog.ListProducts, catalog_pb2.ListProductsRequest(), "products"
        )
    ]
    assert skus == ["MADE-HERE"]


def get_product_case(world: SiteWorld) -> None:
    product_id = stocked(world)
    get = world.api.catalog.GetProduct
    selector = catalog_pb2.ProductSelector(id=product_id)
    seen = get(catalog_pb2.GetProductRequest(product=selector), metadata=world.staff).product
    assert seen.stock_quantity == 5
    only_here(world, [s.site_code for s in seen.site_stocks])
    only_here(world, [lv.site_code for lv in seen.location_levels])
    assert [lv.quantity for lv in seen.stock_levels] == [5]
    named = catalog_pb2.GetProductRequest(product=selector, site=world.here.selector())
    assert get(named, metadata=world.staff).product.stock_quantity == 5
    other = catalog_pb2.GetProductRequest(product=selector, site=world.there.selector())
    site_not_allowed(get, other, world.staff)


def list_products_case(world: SiteWorld) -> None:
    stocked(world)
    listed = world.api.catalog.ListProducts
    [seen] = listed(catalog_pb2.ListProductsRequest(), metadata=world.staff).products
    assert seen.stock_quantity == 5
    only_here(world, [s.site_code for s in seen.site_stocks])
    site_not_allowed(
        listed, catalog_pb2.ListProductsRequest(site=world.there.selector()), world.staff
    )


def update_product_case(world: SiteWorld) -> None:
    product_id = stocked(world)
    updated = world.api.catalog.UpdateProduct(
        catalog_pb2.UpdateProductRequest(
            product=catalog_pb2.Product(id=product_id, name="Renamed"),
            update_mask=field_mask_pb2.FieldMask(paths=["name"]),
        ),
        metadata=world.admin,
    ).product
    # The catalog is shared by every site; its stock figures are the caller's sites'.
    assert (updated.name, updated.stock_quantity) == ("Renamed", 5)


def create_batch_case(world: SiteWorld) -> None:
    product = create_product(world.api, "CLAIM-LOT", tracking=LOT)

    def request(lot: str, location: site_pb2.LocationSelector) -> catalog_pb2.CreateBatchRequest:
        return catalog_pb2.CreateBatchRequest(
            batch=catalog_pb2.Batch(product_id=product.id, lot_number=lot),
            opening_quantity=3,
            opening_location=location,
        )

    create = world.api.catalog.CreateBatch
    made = create(request("L-HERE", world.here.location()), metadata=world.admin).batch
    assert made.quantity == 3
    site_not_allowed(create, request("L-THERE", world.there.location()), world.admin)
    site_not_allowed(create, request("L-MAIN", MAIN), world.admin)
    assert levels_by_place(world.api, product.id) == {"NORTH/A-1/L-HERE": 3}


def list_batches_case(world: SiteWorld) -> None:
    product_id, _ = lot_stocked(world)
    [batch] = world.api.catalog.ListBatches(
        catalog_pb2.ListBatchesRequest(product_id=product_id), metadata=world.staff
    ).batches
    assert batch.quantity == 2  # NORTH's 2, not SOUTH's 4


def record_stock_movements_case(world: SiteWorld) -> None:
    product_id = stocked(world)
    entry = receive(world.api, product_id, -1, world.here.location(), metadata=world.staff)
    assert (place_of(entry), entry.quantity_after) == ("NORTH/A-1", 4)

    def movements(*places: site_pb2.LocationSelector) -> catalog_pb2.RecordStockMovementsRequest:
        return catalog_pb2.RecordStockMovementsRequest(
            movements=[
                catalog_pb2.StockMovement(
                    product_id=product_id, quantity_delta=-1, source_reference="S", location=place
                )
                for place in places
            ]
        )

    record = world.api.catalog.RecordStockMovements
    site_not_allowed(record, movements(world.there.location()), world.staff)
    site_not_allowed(record, movements(MAIN), world.staff)
    site_not_allowed(record, movements(world.here.location(), world.there.location()), world.staff)
    assert levels_by_place(world.api, product_id) == {
        "MAIN/DEFAULT": 3,
        "NORTH/A-1": 4,
        "SOUTH/A-1": 7,
    }


def list_stock_movements_case(world: SiteWorld) -> None:
    product_id = stocked(world)
    ledger = world.api.catalog.ListStockMovements
    request = catalog_pb2.ListStockMovementsRequest(product_id=product_id)
    entries = ledger(request, metadata=world.staff).entries
    assert [(place_of(e), e.quantity_delta) for e in entries] == [("NORTH/A-1", 5)]
    there = catalog_pb2.ListStockMovementsRequest(
        product_id=product_id, site=world.there.selector()
    )
    site_not_allowed(ledger, there, world.staff)
    at_there = catalog_pb2.ListStockMovementsRequest(
        product_id=product_id, location=world.there.location()
    )
    site_not_allowed(ledger, at_there, world.staff)


def list_stock_levels_case(world: SiteWorld) -> None:
    stocked(world)
    levels = world.api.catalog.ListStockLevels
    found = levels(catalog_pb2.ListStockLevelsRequest(), metadata=world.staff).stock_levels
    assert [(place_of(lv), lv.quantity) for lv in found] == [("NORTH/A-1", 5)]
    site_not_allowed(
        levels, catalog_pb2.ListStockLevelsRequest(site=world.there.selector()), world.staff
    )
    site_not_allowed(
        levels, catalog_pb2.ListStockLevelsRequest(location=world.there.location()), world.staff
    )


def transfer_stock_case(world: SiteWorld) -> None:
    product_id = stocked(world)
    here_default = site_pb2.LocationSelector(site_code=world.here.code)
    [moved] = transfer(
        world.api, line(product_id, world.here.location(), here_default, 2), metadata=world.staff
    )
    assert place_of(moved.to_entry) == "NORTH/DEFAULT"
    move = world.api.catalog.TransferStock

    def request(
        source: site_pb2.LocationSelector, destination: site_pb2.LocationSelector
    ) -> catalog_pb2.TransferStockRequest:
        return catalog_pb2.TransferStockRequest(lines=[line(product_id, source, destination, 1)])

    # A manager may cross sites, but not into or out of a site the token does not allow.
    site_not_allowed(move, request(world.here.location(), world.there.location()), world.manager)
    site_not_allowed(move, request(world.there.location(), world.here.location()), world.manager)
    main = site_pb2.LocationSelector(site_code="MAIN")
    site_not_allowed(move, request(main, world.here.location()), world.manager)
    assert levels_by_place(world.api, product_id) == {
        "MAIN/DEFAULT": 3,
        "NORTH/A-1": 3,
        "NORTH/DEFAULT": 2,
        "SOUTH/A-1": 7,
    }


# -- SiteService ---------------------------------------------------------------------------


def create_site_case(world: SiteWorld) -> None:
    def request(code: str) -> site_pb2.CreateSiteRequest:
        return site_pb2.CreateSiteRequest(site=site_pb2.Site(code=code, name=code))

    two_sites = [("authorization", f"Bearer {token(Role.ADMIN, 'ada', sites=['NORTH', 'WEST'])}")]
    made = world.api.sites.CreateSite(request("WEST"), metadata=two_sites).site
    assert made.code == "WEST"
    site_not_allowed(world.api.sites.CreateSite, request("EAST"), world.admin)
    listed = world.api.sites.ListSites(site_pb2.ListSitesRequest(), metadata=STAFF).sites
    assert [s.code for s in listed] == ["MAIN", "NORTH", "SOUTH", "WEST"]


def list_sites_case(world: SiteWorld) -> None:
    listed = world.api.sites.ListSites(site_pb2.ListSitesRequest(), metadata=world.staff).sites
    assert [s.code for s in listed] == ["NORTH"]


def update_site_case(world: SiteWorld) -> None:
    def request(site_id: str, **fields: object) -> site_pb2.UpdateSiteRequest:
        return site_pb2.UpdateSiteRequest(
            site=site_pb2.Site(id=site_id, **fields),  # type: ignore[arg-type]
            update_mask=field_mask_pb2.FieldMask(paths=list(fields)),
        )

    update = world.api.sites.UpdateSite
    renamed = update(request(world.here.id, name="North store"), metadata=world.admin).site
    assert renamed.name == "North store"
    site_not_allowed(update, request(world.there.id, name="Mine now"), world.admin)
    # A new code the token does not name would take the site out of the token's reach.
    site_not_allowed(update, request(world.here.id, code="NORTH-2"), world.admin)
    listed = world.api.sites.ListSites(site_pb2.ListSitesRequest(), metadata=STAFF).sites
    assert [(s.code, s.name) for s in listed] == [
        ("MAIN", "Main site"),
        ("NORTH", "North store"),
        ("SOUTH", "Site SOUTH"),
    ]


def create_location_case(world: SiteWorld) -> None:
    def request(site_code: str) -> site_pb2.CreateLocationRequest:
        return site_pb2.CreateLocationRequest(
            location=site_pb2.Location(site_code=site_code, code="B-2")
        )

    create = world.api.sites.CreateLocation
    made = create(request(world.here.code), metadata=world.admin).location
    assert (made.site_code, made.code) == ("NORTH", "B-2")
    site_not_allowed(create, request(world.there.code), world.admin)
    site_not_allowed(create, request(""), world.admin)  # the default site
    everywhere = all_pages(
        world.api.sites.ListLocations, site_pb2.ListLocationsRequest(), "locations"
    )
    assert [f"{loc.site_code}/{loc.code}" for loc in everywhere if loc.code == "B-2"] == [
        "NORTH/B-2"
    ]


def list_locations_case(world: SiteWorld) -> None:
    listed = world.api.sites.ListLocations
    found = listed(site_pb2.ListLocationsRequest(), metadata=world.staff).locations
    assert [f"{loc.site_code}/{loc.code}" for loc in found] == ["NORTH/A-1", "NORTH/DEFAULT"]
    site_not_allowed(
        listed, site_pb2.ListLocationsRequest(site=world.there.selector()), world.staff
    )


def update_location_case(world: SiteWorld) -> None:
    def request(location_id: str) -> site_pb2.UpdateLocationRequest:
        return site_pb2.UpdateLocationRequest(
            location=site_pb2.Location(id=location_id, zone="Cold chain"),
            update_mask=field_mask_pb2.FieldMask(paths=["zone"]),
        )

    update = world.api.sites.UpdateLocation
    assert update(request(world.here.location_id), metadata=world.admin).location.zone == (
        "Cold chain"
    )
    site_not_allowed(update, request(world.there.location_id), world.admin)
    there = site_pb2.ListLocationsRequest(site=world.there.selector(), zone="Cold chain")
    assert not world.api.sites.ListLocations(there, metadata=STAFF).locations


# -- StockAdjustmentService ----------------------------------------------------------------


def create_stock_adjustment_case(world: SiteWorld) -> None:
    product_id = stocked(world)
    made = adjust(
        world.api, product_id, DAMAGE, -1, location=world.here.location(), metadata=world.staff
    )
    assert (made.site_code, made.quantity_after) == ("NORTH", 4)
    create = world.api.adjustments.CreateStockAdjustment

    def request(location: site_pb2.LocationSelector) -> adj.CreateStockAdjustmentRequest:
        return adj.CreateStockAdjustmentRequest(
            product_id=product_id, type=DAMAGE, quantity_change=-1, reason="x", location=location
        )

    site_not_allowed(create, request(world.there.location()), world.staff)
    site_not_allowed(create, request(MAIN), world.staff)
    assert len(all_adjustments(world.api)) == 1


def adjustments_in_both(world: SiteWorld) -> tuple[str, str]:
    """(NORTH's, SOUTH's) pending THEFT adjustments of one product."""
    product_id = stocked(world)
    here = adjust(world.api, product_id, THEFT, -1, location=world.here.location())
    there = adjust(world.api, product_id, THEFT, -1, location=world.there.location())
    return here.id, there.id


def get_stock_adjustment_case(world: SiteWorld) -> None:
    here, there = adjustments_in_both(world)
    get = world.api.adjustments.GetStockAdjustment
    found = get(adj.GetStockAdjustmentRequest(stock_adjustment_id=here), metadata=world.staff)
    assert found.stock_adjustment.site_code == "NORTH"
    site_not_allowed(get, adj.GetStockAdjustmentRequest(stock_adjustment_id=there), world.staff)


def list_stock_adjustments_case(world: SiteWorld) -> None:
    here, _ = adjustments_in_both(world)
    listed = world.api.adjustments.ListStockAdjustments
    found = listed(adj.ListStockAdjustmentsRequest(), metadata=world.staff).stock_adjustments
    assert [a.id for a in found] == [here]
    site_not_allowed(
        listed, adj.ListStockAdjustmentsRequest(site=world.there.selector()), world.staff
    )


def list_pending_approvals_case(world: SiteWorld) -> None:
    here, _ = adjustments_in_both(world)
    listed = world.api.adjustments.ListPendingApprovals
    found = listed(adj.ListPendingApprovalsRequest(), metadata=world.staff).stock_adjustments
    assert [a.id for a in found] == [here]
    site_not_allowed(
        listed, adj.ListPendingApprovalsRequest(site=world.there.selector()), world.staff
    )


def approve_stock_adjustment_case(world: SiteWorld) -> None:
    here, there = adjustments_in_both(world)
    approve = world.api.adjustments.ApproveStockAdjustment
    done = approve(
        adj.ApproveStockAdjustmentRequest(stock_adjustment_id=here), metadata=world.manager
    )
    assert done.stock_adjustment.quantity_after == 4
    site_not_allowed(
        approve, adj.ApproveStockAdjustmentRequest(stock_adjustment_id=there), world.manager
    )
    assert get_adjustment(world.api, there).status == PENDING


def reject_stock_adjustment_case(world: SiteWorld) -> None:
    here, there = adjustments_in_both(world)
    reject = world.api.adjustments.RejectStockAdjustment

    def request(adjustment_id: str) -> adj.RejectStockAdjustmentRequest:
        return adj.RejectStockAdjustmentRequest(stock_adjustment_id=adjustment_id, notes="no")

    assert reject(request(here), metadata=world.manager).stock_adjustment.decided_by
    site_not_allowed(reject, request(there), world.manager)
    assert get_adjustment(world.api, there).status == PENDING


def list_product_adjustments_case(world: SiteWorld) -> None:
    here, _ = adjustments_in_both(world)
    product_id = get_adjustment(world.api, here).product_id
    found = world.api.adjustments.ListProductAdjustments(
        adj.ListProductAdjustmentsRequest(product_id=product_id), metadata=world.staff
    ).stock_adjustments
    assert [a.id for a in found] == [here]


CASES: dict[str, Case] = {
    "CatalogService.CreateProduct": create_product_case,
    "CatalogService.GetProduct": get_product_case,
    "CatalogService.ListProducts": list_products_case,
    "CatalogService.UpdateProduct": update_product_case,
    "CatalogService.CreateBatch": create_batch_case,
    "CatalogService.ListBatches": list_batches_case,
    "CatalogService.RecordStockMovements": record_stock_movements_case,
    "CatalogService.ListStockMovements": list_stock_movements_case,
    "CatalogService.ListStockLevels": list_stock_levels_case,
    "CatalogService.TransferStock": transfer_stock_case,
    "SiteService.CreateSite": create_site_case,
    "SiteService.ListSites": list_sites_case,
    "SiteService.UpdateSite": update_site_case,
    "SiteService.CreateLocation": create_location_case,
    "SiteService.ListLocations": list_locations_case,
    "SiteService.UpdateLocation": update_location_case,
    "StockAdjustmentService.CreateStockAdjustment": create_stock_adjustment_case,
    "StockAdjustmentService.GetStockAdjustment": get_stock_adjustment_case,
    "StockAdjustmentService.ListStockAdjustments": list_stock_adjustments_case,
    "StockAdjustmentService.ListPendingApprovals": list_pending_approvals_case,
    "StockAdjustmentService.ApproveStockAdjustment": approve_stock_adjustment_case,
    "StockAdjustmentService.RejectStockAdjustment": reject_stock_adjustment_case,
    "StockAdjustmentService.ListProductAdjustments": list_product_adjustments_case,
    **site_claim_count_cases.CASES,
}


def test_every_rpc_has_a_case() -> None:
    contract = {rpc_name(method) for method in RPCS}
    missing = sorted(contract - set(CASES))
    unknown = sorted(set(CASES) - contract)
    assert not missing, f"no `sites` claim case for {missing}"
    assert not unknown, f"cases for RPCs that are not in the contract: {unknown}"


def test_a_token_naming_no_existing_site_sees_nothing_and_writes_nowhere(
    site_world: SiteWorld,
) -> None:
    """The claim holds for sites created later, and a code no site has allows nothing."""
    stocked(site_world)
    nowhere = [("authorization", f"Bearer {token(Role.ADMIN, 'ghost', sites=['GONE'])}")]
    api = site_world.api
    assert not api.sites.ListSites(site_pb2.ListSitesRequest(), metadata=nowhere).sites
    assert not api.catalog.ListStockLevels(
        catalog_pb2.ListStockLevelsRequest(), metadata=nowhere
    ).stock_levels
    error = expect_error(
        grpc.StatusCode.PERMISSION_DENIED,
        receive,
        api,
        create_product(api, "GHOST-1").id,
        1,
        site_world.here.location(),
        metadata=nowhere,
    )
    assert error_info(error).reason == "SITE_NOT_ALLOWED"
    # An unrestricted token still sees every site.
    seen = api.catalog.ListStockLevels(catalog_pb2.ListStockLevelsRequest(), metadata=STAFF)
    assert {lv.site_code for lv in seen.stock_levels} == {"MAIN", "NORTH", "SOUTH"}


def test_a_retried_write_answers_only_a_token_that_may_see_what_it_made(
    site_world: SiteWorld,
) -> None:
    """A request_id names what its first call made; a limited token repeating another caller's
    request must not get another site's record back. (The same id with other content is
    refused as REQUEST_ID_REUSED whoever sends it, and shows nothing either.)"""
    world, api = site_world, site_world.api
    product_id = stocked(world)
    there, here = world.there.location(), world.here.location()
    there_default = site_pb2.LocationSelector(site_code=world.there.code)
    here_default = site_pb2.LocationSelector(site_code=world.here.code)

    def movement(place: site_pb2.LocationSelector) -> catalog_pb2.RecordStockMovementsRequest:
        return catalog_pb2.RecordStockMovementsRequest(
            movements=[
                catalog_pb2.StockMovement(
                    product_id=product_id, quantity_delta=1, source_reference="R", location=place
                )
            ],
            request_id="replay-move",
        )

    def moving(source: site_pb2.LocationSelector, destination: site_pb2.LocationSelector) -> Any:
        return catalog_pb2.TransferStockRequest(
            lines=[line(product_id, source, destination, 1)], request_id="replay-transfer"
        )

    def adjusting(place: site_pb2.LocationSelector) -> adj.CreateStockAdjustmentRequest:
        return adj.CreateStockAdjustmentRequest(
            product_id=product_id,
            type=DAMAGE,
            quantity_change=-1,
            reason="x",
            location=place,
            request_id="replay-adjust",
        )

    def locating(site_code: str) -> site_pb2.CreateLocationRequest:
        return site_pb2.CreateLocationRequest(
            location=site_pb2.Location(site_code=site_code, code="R-1"), request_id="replay-loc"
        )

    def siting(code: str) -> site_pb2.CreateSiteRequest:
        return site_pb2.CreateSiteRequest(
            site=site_pb2.Site(code=code, name=code), request_id="replay-site"
        )

    writes = [
        (api.catalog.RecordStockMovements, movement(there), movement(here), world.staff),
        (
            api.catalog.TransferStock,
            moving(there, there_default),
            moving(here, here_default),
            world.staff,
        ),
        (
            api.adjustments.CreateStockAdjustment,
            adjusting(there),
            adjusting(here),
            world.staff,
        ),
        (
            api.sites.CreateLocation,
            locating(world.there.code),
            locating(world.here.code),
            world.admin,
        ),
        (api.sites.CreateSite, siting("EAST"), siting(world.here.code), world.admin),
    ]
    for call, first, other, limited_token in writes:
        call(first, metadata=ADMIN)
        site_not_allowed(call, first, limited_token)
        reused = expect_error(
            grpc.StatusCode.FAILED_PRECONDITION, call, other, metadata=limited_token
        )
        assert error_info(reused).reason == "REQUEST_ID_REUSED"
    assert levels_by_place(api, product_id) == {
        "MAIN/DEFAULT": 3,
        "NORTH/A-1": 5,
        "SOUTH/A-1": 6,  # 7, +1 received, -1 transferred, -1 damaged
        "SOUTH/DEFAULT": 1,
    }


@pytest.mark.parametrize("method", RPCS, ids=rpc_name)
def test_the_sites_claim(site_world: SiteWorld, method: MethodDescriptor) -> None:
    case = CASES.get(rpc_name(method))
    assert case is not None, f"no `sites` claim case for {rpc_name(method)}"
    case(site_world)
