"""Completing a count: its variances become CORRECTION adjustments and ledger rows, all in the
caller's one transaction (a failure part-way leaves stock exactly as it was)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inventory_service.db.models import CountItem, InventoryCount, StockAdjustment, new_id
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.count_rules import completion_change
from inventory_service.domain.enums import (
    AdjustmentStatus,
    AdjustmentType,
    CountStatus,
    CountType,
    LedgerSource,
    StockApplyMode,
)
from inventory_service.domain.errors import InvalidArgument
from inventory_service.domain.identity import Caller
from inventory_service.domain.money import line_value
from inventory_service.services.count_entries import count_in_progress
from inventory_service.services.stock_ledger import StockLedger

# Types that cover every stock level, so levels never counted mean something.
WHOLE_SITE_TYPES = (CountType.FULL.value, CountType.ANNUAL.value)


@dataclass(frozen=True)
class CompletionOptions:
    apply_adjustments: bool
    notes: str = ""
    apply_mode: StockApplyMode = StockApplyMode.DIFFERENCE
    zero_uncounted: bool = False


@dataclass(frozen=True)
class UncountedLevel:
    """A stock level as it was before completion."""

    product_id: str
    batch_id: str | None
    lot_number: str
    quantity: int


@dataclass(frozen=True)
class MovedLine:
    """A line whose level moved after it was counted; current_quantity is the level at
    completion, before anything was applied."""

    item: CountItem
    current_quantity: int


@dataclass(frozen=True)
class Correction:
    """A change a completion makes to one level."""

    product_id: str
    batch_id: str | None
    change: int
    reason: str


@dataclass(frozen=True)
class CompletionOutcome:
    moved: list[MovedLine]
    uncounted: list[UncountedLevel]
    adjustments: list[StockAdjustment]


def check_options(count: InventoryCount, options: CompletionOptions) -> None:
    if not options.zero_uncounted:
        return
    if count.type not in WHOLE_SITE_TYPES:
        raise InvalidArgument.one(
            "zero_uncounted",
            f"only FULL and ANNUAL counts can zero uncounted levels; this count is {count.type}",
        )
    if not options.apply_adjustments:
        raise InvalidArgument.one("zero_uncounted", "needs apply_adjustments")


def complete_count(
    uow: UnitOfWork, caller: Caller, count_id: str, options: CompletionOptions
) -> CompletionOutcome:
    """Completes an IN_PROGRESS count inside uow (the caller commits)."""
    count = count_in_progress(uow, count_id, lock="update")
    check_options(count, options)
    if options.apply_adjustments:
        uow.counts.lock_levels_for_completion(count.id, include_uncounted=options.zero_uncounted)

    lines = uow.counts.lines_with_levels(count.id)
    current = {item.id: level.quantity if level else 0 for item, level in lines}
    moved = [
        MovedLine(item, current[item.id])
        for item, _ in lines
        if current[item.id] != item.system_quantity
    ]
    uncounted = []
    if count.type in WHOLE_SITE_TYPES:
        uncounted = [
            UncountedLevel(level.product_id, level.batch_id, lot or "", level.quantity)
            for level, lot in uow.counts.uncounted_levels(count.id)
        ]

    now = utcnow()
    adjustments: list[StockAdjustment] = []
    if options.apply_adjustments:
        changes: list[Correction] = []
        for item, _ in lines:
            change = completion_change(
                counted=item.counted_quantity,
                system_at_count=item.system_quantity,
                current=current[item.id],
                mode=options.apply_mode,
            )
            if change:
                why = f"inventory count {count.name!r}: counted {item.counted_quantity}"
                changes.append(Correction(item.product_id, item.batch_id, change, why))
        if options.zero_uncounted:
            for level in uncounted:
                if level.quantity:
                    why = f"inventory count {count.name!r}: not counted, set to zero"
                    changes.append(
                        Correction(level.product_id, level.batch_id, -level.quantity, why)
                    )
        adjustments = _apply_corrections(uow, caller, count, changes, options.notes, now)

    count.status = CountStatus.COMPLETED.value
    count.completed_at = now
    count.completed_by = caller.user_id
    count.close_notes = options.notes
    uow.flush()
    return CompletionOutcome(moved, uncounted, adjustments)


def _apply_corrections(
    uow: UnitOfWork,
    caller: Caller,
    count: InventoryCount,
    changes: list[Correction],
    notes: str,
    now: datetime,
) -> list[StockAdjustment]:
    """One APPLIED CORRECTION per change, pre-approved by the completing manager; the ledger
    refuses any that would take a level below zero, which fails the whole completion."""
    costs = uow.counts.unit_costs([c.product_id for c in changes])
    ledger = StockLedger(uow)
    written = []
    for c in changes:
        adjustment = StockAdjustment(
            id=new_id(),
            product_id=c.product_id,
            batch_id=c.batch_id,
            type=AdjustmentType.CORRECTION.value,
            quantity_change=c.change,
            reason=c.reason,
            notes="",
            reference_number="",
            cost_impact=line_value(c.change, costs[c.product_id]),
            requires_approval=False,
            status=AdjustmentStatus.APPLIED.value,
            created_by=caller.user_id,
            created_at=now,
            decided_by=caller.user_id,
            decided_at=now,
            decision_notes=notes,
            inventory_count_id=count.id,
        )
        uow.adjustments.add(adjustment)
        ledger.apply_adjustment(adjustment, actor=caller.user_id, source=LedgerSource.COUNT)
        written.append(adjustment)
    return written
