"""The one table of which role each RPC needs. Methods not listed are refused."""

from __future__ import annotations

from inventory_service.domain.identity import Role

_CATALOG = "/inventory.v1.CatalogService/"
_COUNTS = "/inventory.v1.InventoryCountService/"
_ADJUSTMENTS = "/inventory.v1.StockAdjustmentService/"

# Health and reflection answer without a token.
PUBLIC_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)

METHOD_ROLES: dict[str, Role] = {
    _CATALOG + "CreateProduct": Role.ADMIN,
    _CATALOG + "GetProduct": Role.STAFF,
    _CATALOG + "ListProducts": Role.STAFF,
    _CATALOG + "UpdateProduct": Role.ADMIN,
    _CATALOG + "CreateBatch": Role.ADMIN,
    _CATALOG + "ListBatches": Role.STAFF,
    _CATALOG + "RecordStockMovements": Role.STAFF,
    _CATALOG + "ListStockMovements": Role.STAFF,
    _COUNTS + "StartInventoryCount": Role.MANAGER,
    _COUNTS + "GetInventoryCount": Role.STAFF,
    _COUNTS + "ListInventoryCounts": Role.STAFF,
    _COUNTS + "AddCountItem": Role.STAFF,
    _COUNTS + "ListCountItems": Role.STAFF,
    _COUNTS + "StreamCountItems": Role.STAFF,
    _COUNTS + "CompleteInventoryCount": Role.MANAGER,
    _COUNTS + "CancelInventoryCount": Role.MANAGER,
    _COUNTS + "GetInventorySummary": Role.STAFF,
    _COUNTS + "ListDiscrepancies": Role.MANAGER,
    _ADJUSTMENTS + "CreateStockAdjustment": Role.STAFF,
    _ADJUSTMENTS + "GetStockAdjustment": Role.STAFF,
    _ADJUSTMENTS + "ListStockAdjustments": Role.STAFF,
    _ADJUSTMENTS + "ListPendingApprovals": Role.STAFF,
    _ADJUSTMENTS + "ApproveStockAdjustment": Role.MANAGER,
    _ADJUSTMENTS + "RejectStockAdjustment": Role.MANAGER,
    _ADJUSTMENTS + "ListProductAdjustments": Role.STAFF,
}


def is_public(method: str) -> bool:
    return method.startswith(PUBLIC_PREFIXES)
