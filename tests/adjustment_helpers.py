"""Test data for the adjustment tests, made through the API like a client would."""

from __future__ import annotations

import itertools
from typing import Any

from inventory.v1 import catalog_pb2, stock_adjustment_pb2
from inventory_service.domain.identity import Role
from tests.catalog_data import MANAGER, STAFF, create_batch, create_product, ledger_of
from tests.support import Clients, auth

T = stock_adjustment_pb2.StockAdjustmentType
S = stock_adjustment_pb2.StockAdjustmentStatus
DAMAGE = T.STOCK_ADJUSTMENT_TYPE_DAMAGE
THEFT = T.STOCK_ADJUSTMENT_TYPE_THEFT
EXPIRED = T.STOCK_ADJUSTMENT_TYPE_EXPIRED
FOUND = T.STOCK_ADJUSTMENT_TYPE_FOUND
CORRECTION = T.STOCK_ADJUSTMENT_TYPE_CORRECTION
RETURN = T.STOCK_ADJUSTMENT_TYPE_RETURN
PENDING = S.STOCK_ADJUSTMENT_STATUS_PENDING
APPLIED = S.STOCK_ADJUSTMENT_STATUS_APPLIED
REJECTED = S.STOCK_ADJUSTMENT_STATUS_REJECTED

# A second manager, to decide on adjustments the first one created.
OTHER_MANAGER = auth(Role.MANAGER, "max-manager")

_skus = itertools.count(1)


def make_product(api: Clients, *, unit_cost: str = "1.00", opening: int = 1000) -> str:
    return create_product(api, f"ADJ-{next(_skus)}", cost=unit_cost, opening=opening).id


def make_batch(api: Clients, product_id: str, lot: str, *, opening: int) -> str:
    return create_batch(api, product_id, lot, opening=opening).id


def adjust(
    api: Clients,
    product_id: str,
    type_: Any,
    change: int,
    *,
    metadata: list[tuple[str, str]] = STAFF,
    reason: str = "shelf check",
    **fields: Any,
) -> stock_adjustment_pb2.StockAdjustment:
    return api.adjustments.CreateStockAdjustment(
        create_request(product_id, type_, change, reason=reason, **fields), metadata=metadata
    ).stock_adjustment


def create_request(
    product_id: str, type_: Any, change: int, *, reason: str = "shelf check", **fields: Any
) -> stock_adjustment_pb2.CreateStockAdjustmentRequest:
    return stock_adjustment_pb2.CreateStockAdjustmentRequest(
        product_id=product_id, type=type_, quantity_change=change, reason=reason, **fields
    )


def approve(
    api: Clients, adjustment_id: str, *, metadata: list[tuple[str, str]] = MANAGER, notes: str = ""
) -> stock_adjustment_pb2.StockAdjustment:
    return api.adjustments.ApproveStockAdjustment(
        stock_adjustment_pb2.ApproveStockAdjustmentRequest(
            stock_adjustment_id=adjustment_id, notes=notes
        ),
        metadata=metadata,
    ).stock_adjustment


def get(api: Clients, adjustment_id: str) -> stock_adjustment_pb2.StockAdjustment:
    return api.adjustments.GetStockAdjustment(
        stock_adjustment_pb2.GetStockAdjustmentRequest(stock_adjustment_id=adjustment_id),
        metadata=STAFF,
    ).stock_adjustment


def ledger(api: Clients, product_id: str) -> list[catalog_pb2.LedgerEntry]:
    """Every ledger row of the product, oldest first."""
    return ledger_of(api, product_id)


def all_adjustments(api: Clients, **filters: Any) -> list[stock_adjustment_pb2.StockAdjustment]:
    """Every adjustment ListStockAdjustments returns for filters, all pages."""
    found: list[stock_adjustment_pb2.StockAdjustment] = []
    token = ""
    while True:
        response = api.adjustments.ListStockAdjustments(
            stock_adjustment_pb2.ListStockAdjustmentsRequest(
                page_size=500, page_token=token, **filters
            ),
            metadata=STAFF,
        )
        found.extend(response.stock_adjustments)
        token = response.next_page_token
        if not token:
            return found
