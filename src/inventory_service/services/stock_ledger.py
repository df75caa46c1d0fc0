"""StockLedger: the only way stock levels change. Every change is one ledger row."""

from __future__ import annotations

from dataclasses import dataclass

from inventory_service.db.models import LedgerEntry, StockAdjustment, StockLevel
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.enums import AdjustmentStatus, LedgerSource
from inventory_service.domain.errors import NotFound
from inventory_service.domain.stock_rules import check_stock_change


@dataclass(frozen=True)
class LedgerCause:
    """What a ledger row records besides the numbers."""

    source: LedgerSource
    actor: str
    reason: str = ""
    source_reference: str = ""
    stock_adjustment_id: str | None = None
    inventory_count_id: str | None = None
    operation_id: str | None = None


class StockLedger:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def lock_level(self, product_id: str, batch_id: str | None) -> StockLevel:
        """The level, locked for this transaction (SELECT ... FOR UPDATE; SQLite's write lock)."""
        level = self.uow.stock_levels.get(product_id, batch_id, lock=True)
        if level is None:
            raise NotFound("stock level", f"{product_id}/{batch_id or 'unbatched'}")
        return level

    def open_level(
        self, product_id: str, batch_id: str | None, quantity: int, *, actor: str
    ) -> StockLevel:
        """Creates a level with its opening balance (a ledger row when quantity > 0)."""
        level = StockLevel(product_id=product_id, batch_id=batch_id, quantity=0)
        self.uow.stock_levels.add(level)
        self.uow.flush()
        if quantity:
            cause = LedgerCause(LedgerSource.OPENING_BALANCE, actor, reason="opening balance")
            self.apply(level, quantity, cause)
        return level

    def check(self, level: StockLevel, delta: int) -> None:
        """Refuses a change that would take the level below zero (or past the bound), naming
        the level by SKU and lot."""
        check_stock_change(
            level.product_id,
            level.batch_id,
            level.quantity,
            delta,
            describe=lambda: self.uow.products.level_label(level.product_id, level.batch_id),
        )

    def apply(self, level: StockLevel, delta: int, cause: LedgerCause) -> LedgerEntry:
        """Changes a level the caller locked by delta; never below zero."""
        self.check(level, delta)
        before = level.quantity
        after = before + delta
        level.quantity = after
        entry = LedgerEntry(
            stock_level_id=level.id,
            product_id=level.product_id,
            batch_id=level.batch_id,
            quantity_delta=delta,
            quantity_before=before,
            quantity_after=after,
            source=cause.source.value,
            reason=cause.reason,
            source_reference=cause.source_reference,
            stock_adjustment_id=cause.stock_adjustment_id,
            inventory_count_id=cause.inventory_count_id,
            operation_id=cause.operation_id,
            actor=cause.actor,
        )
        self.uow.ledger.add(entry)
        return entry

    def apply_adjustment(
        self,
        adjustment: StockAdjustment,
        *,
        actor: str,
        source: LedgerSource = LedgerSource.ADJUSTMENT,
    ) -> LedgerEntry:
        """Applies an adjustment now: locks its level, writes the ledger row, and records
        quantity before/after and the APPLIED status on the adjustment. The caller commits."""
        level = self.lock_level(adjustment.product_id, adjustment.batch_id)
        entry = self.apply(
            level,
            adjustment.quantity_change,
            LedgerCause(
                source,
                actor,
                reason=adjustment.reason,
                source_reference=adjustment.reference_number,
                stock_adjustment_id=adjustment.id,
                inventory_count_id=adjustment.inventory_count_id,
            ),
        )
        adjustment.quantity_before = entry.quantity_before
        adjustment.quantity_after = entry.quantity_after
        adjustment.status = AdjustmentStatus.APPLIED.value
        return entry
