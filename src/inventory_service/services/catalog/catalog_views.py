"""Read models of the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from inventory_service.domain.enums import LedgerSource, TrackingMode


@dataclass(frozen=True)
class StockLevelView:
    product_id: str
    batch_id: str | None
    lot_number: str
    quantity: int
    expiry_date: date | None = None
    expired: bool = False
    # Empty when summed over locations.
    location_id: str = ""
    site_id: str = ""
    location_code: str = ""
    site_code: str = ""
    zone: str = ""
    # For display where levels of many products are listed (ListStockLevels).
    sku: str = ""


@dataclass(frozen=True)
class SiteStockView:
    """A product's stock in one site."""

    site_id: str
    site_code: str
    quantity: int


@dataclass(frozen=True)
class ProductView:
    id: str
    sku: str
    barcode: str | None
    name: str
    unit_cost: Decimal
    active: bool
    tracking: TrackingMode
    created_at: datetime
    updated_at: datetime
    # One per batch (and one unbatched), summed over the locations of the sites read.
    levels: tuple[StockLevelView, ...]
    # Per location (GetProduct only).
    location_levels: tuple[StockLevelView, ...] = ()
    site_stocks: tuple[SiteStockView, ...] = ()

    @property
    def stock_quantity(self) -> int:
        return sum(level.quantity for level in self.levels)


@dataclass(frozen=True)
class BatchView:
    id: str
    product_id: str
    lot_number: str
    expiry_date: date | None
    created_at: datetime
    quantity: int
    expired: bool = False


@dataclass(frozen=True)
class LedgerEntryView:
    sequence: int
    product_id: str
    batch_id: str | None
    quantity_delta: int
    quantity_before: int
    quantity_after: int
    source: LedgerSource
    reason: str
    source_reference: str
    stock_adjustment_id: str | None
    inventory_count_id: str | None
    actor: str
    created_at: datetime
    location_id: str = ""
    site_id: str = ""
    transfer_id: str | None = None
    location_code: str = ""
    site_code: str = ""


@dataclass(frozen=True)
class TransferView:
    """One line of a transfer as applied: the entry out of the source, the one into the
    destination (both carry the transfer's id)."""

    id: str
    from_entry: LedgerEntryView
    to_entry: LedgerEntryView
