"""Sites, locations and stock by place, made and read through the API as a client would."""

from __future__ import annotations

from typing import Any

from google.protobuf import field_mask_pb2

from inventory.v1 import catalog_pb2, site_pb2
from inventory_service.db.engine import create_db_engine
from inventory_service.db.ledger_audit import LedgerAudit, audit_ledger
from tests.helpers import ADMIN, STAFF, Clients, Metadata, all_pages, move


def create_site(api: Clients, code: str, name: str = "", **fields: Any) -> site_pb2.Site:
    return api.sites.CreateSite(
        site_pb2.CreateSiteRequest(site=site_pb2.Site(code=code, name=name or code), **fields),
        metadata=ADMIN,
    ).site


def create_location(
    api: Clients, site_code: str, code: str, *, zone: str = "", name: str = ""
) -> site_pb2.Location:
    return api.sites.CreateLocation(
        site_pb2.CreateLocationRequest(
            location=site_pb2.Location(site_code=site_code, code=code, zone=zone, name=name)
        ),
        metadata=ADMIN,
    ).location


def update_location(
    api: Clients, location_id: str, paths: list[str], **fields: Any
) -> site_pb2.Location:
    return api.sites.UpdateLocation(
        site_pb2.UpdateLocationRequest(
            location=site_pb2.Location(id=location_id, **fields),
            update_mask=field_mask_pb2.FieldMask(paths=paths),
        ),
        metadata=ADMIN,
    ).location


def update_site(api: Clients, site_id: str, paths: list[str], **fields: Any) -> site_pb2.Site:
    return api.sites.UpdateSite(
        site_pb2.UpdateSiteRequest(
            site=site_pb2.Site(id=site_id, **fields),
            update_mask=field_mask_pb2.FieldMask(paths=paths),
        ),
        metadata=ADMIN,
    ).site


def at(site_code: str = "", code: str = "", *, id: str = "") -> site_pb2.LocationSelector:
    """A location selector: at("NORTH", "A-1"), at(code="FRIDGE"), at("NORTH"), at(id=...)."""
    return site_pb2.LocationSelector(id=id, site_code=site_code, code=code)


def place_of(entry: Any) -> str:
    """SITE/LOCATION of a level or a ledger entry."""
    return f"{entry.site_code}/{entry.location_code}"


def receive(
    api: Clients,
    product_id: str,
    delta: int,
    location: site_pb2.LocationSelector,
    *,
    batch_id: str = "",
    metadata: Metadata = STAFF,
) -> catalog_pb2.LedgerEntry:
    """One movement (a receipt when delta > 0, a sale when < 0) at location."""
    reference = "GRN-1" if delta > 0 else "SALE-1"
    return move(
        api,
        product_id,
        delta,
        batch_id=batch_id,
        ref=reference,
        location=location,
        metadata=metadata,
    )


def audit(database_url: str) -> LedgerAudit:
    """check-ledger's audit of the database."""
    engine = create_db_engine(database_url)
    try:
        return audit_ledger(engine)
    finally:
        engine.dispose()


def levels_by_place(api: Clients, product_id: str, **filters: Any) -> dict[str, int]:
    """SITE/LOCATION[/LOT] -> quantity of the product's levels (ListStockLevels, with the
    empty ones)."""
    request = catalog_pb2.ListStockLevelsRequest(
        product=catalog_pb2.ProductSelector(id=product_id), include_empty=True, **filters
    )
    found = all_pages(api.catalog.ListStockLevels, request, "stock_levels")
    return {
        place_of(level) + (f"/{level.lot_number}" if level.lot_number else ""): level.quantity
        for level in found
    }


def transfer(
    api: Clients,
    *lines: catalog_pb2.StockTransferLine,
    metadata: Metadata = STAFF,
    **fields: Any,
) -> list[catalog_pb2.StockTransfer]:
    return list(
        api.catalog.TransferStock(
            catalog_pb2.TransferStockRequest(lines=list(lines), **fields), metadata=metadata
        ).transfers
    )


def line(
    product_id: str,
    source: site_pb2.LocationSelector,
    destination: site_pb2.LocationSelector,
    quantity: int,
    *,
    batch_id: str = "",
) -> catalog_pb2.StockTransferLine:
    return catalog_pb2.StockTransferLine(
        product_id=product_id,
        batch_id=batch_id,
        from_location=source,
        to_location=destination,
        quantity=quantity,
    )
