"""Completing a count: its variances become CORRECTION adjustments and ledger rows, all in one
transaction (a failure part-way leaves stock exactly as it was). The rules are in
domain/completion_rules.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inventory_service.db.models import CountItem, InventoryCount, StockAdjustment, new_id
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.completion_rules import (
    CompletionOptions,
    Correction,
    LineAtCompletion,
    check_options,
    corrections,
    lists_uncounted,
)
from inventory_service.domain.enums import (
    AdjustmentStatus,
    AdjustmentType,
    CountStatus,
    CountType,
    LedgerSource,
)
from inventory_service.domain.identity import Caller
from inventory_service.domain.money import line_value
from inventory_service.domain.recount_rules import check_force_reason, forced_completion_reason
from inventory_service.services.adjustments.adjustment_views import adjustment_view
from inventory_service.services.base import Service
from inventory_service.services.catalog.catalog_views import StockLevelView
from inventory_service.services.counts.count_access import allowed_count_view
from inventory_service.services.counts.count_views import (
    CompletionView,
    MovedLineView,
    line_views,
    require_count_id,
)
from inventory_service.services.counts.expired_lines import expired_lines
from inventory_service.services.counts.lifecycle import check_close_notes, count_in_progress
from inventory_service.services.idempotency import run_once
from inventory_service.services.stock_ledger import StockLedger


@dataclass(frozen=True)
class CompletionOutcome:
    """What only the transaction that completed the count knows: the levels before anything
    was applied."""

    moved: list[tuple[CountItem, int]]  # (line, its level's quantity at completion)
    uncounted: list[StockLevelView]


class CountCompletion(Service):
    def complete(
        self,
        caller: Caller,
        count_id: str,
        options: CompletionOptions,
        *,
        request_id: str = "",
    ) -> CompletionView:
        require_count_id(count_id)
        check_close_notes(options.notes)
        check_force_reason(options.force_reason)
        # A replayed request_id answers with what is stored: the count and its adjustments.
        first_run: list[CompletionOutcome] = []

        def perform(uow: UnitOfWork) -> str:
            first_run.append(complete_count(uow, caller, count_id, options))
            return count_id

        def load(uow: UnitOfWork, completed_id: str) -> CompletionView:
            outcome = first_run[0] if first_run else CompletionOutcome([], [])
            lines = line_views(uow, [item for item, _ in outcome.moved])
            return CompletionView(
                count=allowed_count_view(uow, caller, completed_id),
                adjustments=[adjustment_view(a) for a in uow.counts.adjustments_of(completed_id)],
                moved=[
                    MovedLineView(line, current)
                    for line, (_, current) in zip(lines, outcome.moved, strict=True)
                ],
                uncounted=outcome.uncounted,
                expired=expired_lines(uow, completed_id),
            )

        return run_once(
            self.uow_factory,
            "CompleteInventoryCount",
            request_id,
            caller,
            perform,
            load,
            content=(count_id, options),
        )


def complete_count(
    uow: UnitOfWork, caller: Caller, count_id: str, options: CompletionOptions
) -> CompletionOutcome:
    """Completes an IN_PROGRESS count inside uow (the caller commits)."""
    count = count_in_progress(uow, caller, count_id, lock="update")
    count_type = CountType(count.type)
    check_options(count_type, options)
    count.forced_completion_reason = forced_completion_reason(
        count.id, uow.recounts.awaiting(count.id), options.force_reason
    )
    if options.apply_adjustments:
        uow.counts.lock_levels_for_completion(count.id, include_uncounted=options.zero_uncounted)

    lines = [
        (
            item,
            LineAtCompletion(
                item.product_id,
                item.batch_id,
                counted=item.counted_quantity,
                system_at_count=item.system_quantity,
                current=level.quantity if level else 0,
                location_id=item.location_id,
                site_id=item.site_id,
            ),
        )
        for item, level in uow.counts.lines_with_levels(count.id)
    ]
    uncounted = []
    if lists_uncounted(count_type, scoped=count.scoped):
        uncounted = _uncounted_views(uow, count)

    now = utcnow()
    if options.apply_adjustments:
        changes = corrections(count.name, [line for _, line in lines], uncounted, options)
        _apply_corrections(uow, caller, count, changes, options.notes, now)

    count.status = CountStatus.COMPLETED.value
    count.completed_at = now
    count.completed_by = caller.user_id
    count.close_notes = options.notes
    uow.counts.release(count.id)
    uow.flush()
    moved = [(item, line.current) for item, line in lines if line.moved]
    return CompletionOutcome(moved, uncounted)


def _uncounted_views(uow: UnitOfWork, count: InventoryCount) -> list[StockLevelView]:
    """The count's levels never counted, as they are now, with their locations."""
    found = uow.counts.uncounted_levels(count.id, scoped=count.scoped)
    labels = uow.counts.location_labels(list({level.location_id for level, _ in found}))
    site_code = uow.counts.site_codes([count.site_id]).get(count.site_id, "")
    views = []
    for level, lot in found:
        code, zone = labels.get(level.location_id, ("", ""))
        views.append(
            StockLevelView(
                level.product_id,
                level.batch_id,
                lot or "",
                level.quantity,
                location_id=level.location_id,
                site_id=level.site_id,
                location_code=code,
                site_code=site_code,
                zone=zone,
            )
        )
    return views


def _apply_corrections(
    uow: UnitOfWork,
    caller: Caller,
    count: InventoryCount,
    changes: list[Correction],
    notes: str,
    now: datetime,
) -> None:
    """One APPLIED CORRECTION per change, pre-approved by the completing manager; the ledger
    refuses any that would take a level below zero, which fails the whole completion."""
    costs = uow.counts.unit_costs([c.product_id for c in changes])
    ledger = StockLedger(uow)
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
            location_id=c.location_id,
            site_id=c.site_id,
        )
        uow.adjustments.add(adjustment)
        ledger.apply_adjustment(adjustment, actor=caller.user_id, source=LedgerSource.COUNT)
