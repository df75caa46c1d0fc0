"""The Python client has a method for every unary RPC of the contract (SiteService's too), and
sets up places, moves stock and reads it by location against a live server."""

from __future__ import annotations

import re

import pytest
from google.protobuf import field_mask_pb2

from inventory.v1 import catalog_pb2, site_pb2
from inventory_client import FailedPrecondition, InventoryClient, PermissionDenied
from inventory_service.api.server import SERVICES
from inventory_service.domain.identity import Role
from tests.helpers import ServerThread, token


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


UNARY = [
    method
    for service in SERVICES
    for method in service.methods
    if not (method.client_streaming or method.server_streaming)
]


@pytest.mark.parametrize("method", UNARY, ids=lambda m: f"{m.containing_service.name}.{m.name}")
def test_every_unary_rpc_has_a_client_method(method: object) -> None:
    name = snake(method.name)  # type: ignore[attr-defined]
    assert callable(getattr(InventoryClient, name, None)), f"InventoryClient.{name} is missing"


def client(server: ServerThread, role: Role) -> InventoryClient:
    return InventoryClient(f"127.0.0.1:{server.port}", token(role, f"{role.name.lower()}-py"))


def test_places_and_stock_by_location_through_the_client(sqlite_server: ServerThread) -> None:
    with client(sqlite_server, Role.ADMIN) as admin, client(sqlite_server, Role.STAFF) as staff:
        north = admin.create_site(
            site_pb2.CreateSiteRequest(site=site_pb2.Site(code="NORTH", name="North"))
        ).site
        for code in ("A-1", "A-2"):
            admin.create_location(
                site_pb2.CreateLocationRequest(
                    location=site_pb2.Location(site_id=north.id, code=code, zone="Aisle A")
                )
            )
        located = list(staff.iter_locations(site_pb2.ListLocationsRequest(page_size=1)))
        assert [f"{loc.site_code}:{loc.code}" for loc in located] == [
            "MAIN:DEFAULT",
            "NORTH:A-1",
            "NORTH:A-2",
            "NORTH:DEFAULT",
        ]
        assert [s.code for s in staff.iter_sites()] == ["MAIN", "NORTH"]
        a1 = site_pb2.LocationSelector(site_code="NORTH", code="A-1")
        a2 = site_pb2.LocationSelector(site_code="NORTH", code="A-2")
        product = admin.create_product(
            catalog_pb2.CreateProductRequest(
                product=catalog_pb2.Product(sku="PY-1", name="Py", unit_cost={"units": 1}),
                opening_quantity=9,
                opening_location=a1,
            )
        ).product
        line = catalog_pb2.StockTransferLine(
            product_id=product.id, from_location=a1, to_location=a2, quantity=4
        )
        # The client fills in a request_id, so a retry after a lost reply moves nothing twice.
        [moved] = staff.transfer_stock(catalog_pb2.TransferStockRequest(lines=[line])).transfers
        assert moved.to_entry.location_code == "A-2"
        levels = staff.iter_stock_levels(catalog_pb2.ListStockLevelsRequest(zone="Aisle A"))
        assert [(lv.location_code, lv.quantity) for lv in levels] == [("A-1", 5), ("A-2", 4)]

        across = catalog_pb2.StockTransferLine(
            product_id=product.id,
            from_location=a2,
            to_location=site_pb2.LocationSelector(site_code="MAIN"),
            quantity=1,
        )
        with pytest.raises(PermissionDenied) as refused:
            staff.transfer_stock(catalog_pb2.TransferStockRequest(lines=[across]))
        assert refused.value.reason == "CROSS_SITE_TRANSFER"
        [a2_location] = [
            loc
            for loc in staff.iter_locations(site_pb2.ListLocationsRequest(zone="Aisle A"))
            if loc.code == "A-2"
        ]
        with pytest.raises(FailedPrecondition) as holding:
            admin.update_location(
                site_pb2.UpdateLocationRequest(
                    location=site_pb2.Location(id=a2_location.id, active=False),
                    update_mask=field_mask_pb2.FieldMask(paths=["active"]),
                )
            )
        assert holding.value.reason == "LOCATION_HOLDS_STOCK"
        renamed = admin.update_site(
            site_pb2.UpdateSiteRequest(
                site=site_pb2.Site(id=north.id, name="North store"),
                update_mask=field_mask_pb2.FieldMask(paths=["name"]),
            )
        ).site
        assert renamed.name == "North store"
