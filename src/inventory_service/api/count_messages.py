"""InventoryCountService messages <-> count read models and entries; what a caller may see of a
blind count is decided by visible_to (domain/count_rules.py), here applied to every reply."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from google.type import money_pb2

from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.api.adjustment_messages import adjustment_message
from inventory_service.api.catalog_messages import product_key, stock_level_message
from inventory_service.api.convert import (
    decimal_to_money,
    enum_from_proto,
    enum_to_proto,
    to_date,
    to_timestamp,
)
from inventory_service.api.place_messages import location_key
from inventory_service.domain.count_entries import CountEntry
from inventory_service.domain.count_figures import CountStatistics, SummaryFigures
from inventory_service.domain.count_rules import visible_to
from inventory_service.domain.enums import CountMode, CountType
from inventory_service.domain.errors import DomainError, InvalidArgument
from inventory_service.domain.identity import Caller
from inventory_service.domain.recount_rules import hides_count_statistics, hides_first_figure
from inventory_service.services.counts.count_tasks import (
    CountProgressView,
    CountTaskView,
    LevelToCountView,
)
from inventory_service.services.counts.count_views import (
    CompletionView,
    CountLineView,
    CountView,
    Summary,
)
from inventory_service.services.counts.cycle_plans import ProductDueView

TYPE_PREFIX = "INVENTORY_COUNT_TYPE_"
STATUS_PREFIX = "INVENTORY_COUNT_STATUS_"
ITEM_STATUS_PREFIX = "COUNT_ITEM_STATUS_"
ABC_PREFIX = "ABC_CLASS_"
# The common modes by value, ahead of the general (slower) enum conversion.
_MODES: dict[int, CountMode] = {pb.COUNT_MODE_SET: CountMode.SET, pb.COUNT_MODE_ADD: CountMode.ADD}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _mode(value: int) -> CountMode:
    return _MODES.get(value) or enum_from_proto(
        value, pb.CountMode, "COUNT_MODE_", CountMode, "mode", default=CountMode.SET
    )


def _scan_time(message: pb.CountEntry) -> datetime | None:
    # Plain datetime arithmetic: a third cheaper than Timestamp.ToDatetime, and it runs per entry.
    if not message.HasField("scan_time"):
        return None
    stamp = message.scan_time
    try:
        return _EPOCH + timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)
    except (ValueError, OverflowError) as error:
        raise InvalidArgument.one("scan_time", "not a valid time") from error


def _entry(
    message: pb.CountEntry | pb.AddCountItemRequest, quantity: int, caller: Caller, **more: Any
) -> CountEntry:
    """The fields both messages share, by the same names."""
    return CountEntry(
        inventory_count_id=message.inventory_count_id,
        product=product_key(message.product),
        quantity=quantity,
        caller=caller,
        mode=_mode(message.mode),
        batch_id=message.batch_id,
        lot_number=message.lot_number,
        reason=message.reason,
        notes=message.notes,
        location=message.location,
        stock_location=location_key(message.stock_location),
        **more,
    )


def scanned_entry(
    message: pb.CountEntry, caller: Caller, device_id: str, call_request_id: str = ""
) -> CountEntry:
    """A scanner's entry; InvalidArgument for what cannot be read (a bad mode or time).
    call_request_id: the stream's x-request-id (api/request_ids.py)."""
    return _entry(
        message,
        message.quantity,
        caller,
        entry_id=message.entry_id,
        device_id=device_id,
        scanned_at=_scan_time(message),
        call_request_id=call_request_id,
    )


def added_entry(
    request: pb.AddCountItemRequest, caller: Caller, entry_id: str, call_request_id: str = ""
) -> CountEntry:
    return _entry(
        request,
        request.counted_quantity,
        caller,
        entry_id=entry_id,
        request_id=request.request_id,
        kept=bool(request.request_id),
        call_request_id=call_request_id,
    )


def as_add_count_item_error(error: DomainError) -> DomainError:
    """The error of an entry in AddCountItem's terms: its quantity is counted_quantity."""
    if not isinstance(error, InvalidArgument):
        return error
    renamed = InvalidArgument(
        [
            dataclasses.replace(v, field="counted_quantity") if v.field == "quantity" else v
            for v in error.violations
        ],
        reason=error.reason,
    )
    return renamed


class CountMessages:
    """Read models -> messages, hiding what a caller may not see of a blind count."""

    def __init__(self, currency: str) -> None:
        self.currency = currency

    def money(self, amount: Decimal) -> money_pb2.Money:
        return decimal_to_money(amount, self.currency)

    def statistics(self, s: CountStatistics) -> pb.InventoryCountStatistics:
        return pb.InventoryCountStatistics(
            items_counted=s.items_counted,
            items_with_discrepancy=s.items_with_discrepancy,
            value_missing=self.money(s.value_missing),
            value_in_excess=self.money(s.value_in_excess),
            net_variance=self.money(s.net_variance),
        )

    def count(self, c: CountView, caller: Caller) -> pb.InventoryCount:
        message = pb.InventoryCount(
            id=c.id,
            name=c.name,
            type=enum_to_proto(c.type, pb.InventoryCountType, TYPE_PREFIX),
            notes=c.notes,
            blind=c.blind,
            status=enum_to_proto(c.status, pb.InventoryCountStatus, STATUS_PREFIX),
            start_time=to_timestamp(c.started_at),
            started_by=c.started_by,
            complete_time=to_timestamp(c.completed_at),
            completed_by=c.completed_by or "",
            cancel_time=to_timestamp(c.cancelled_at),
            cancelled_by=c.cancelled_by or "",
            close_notes=c.close_notes,
            recount_significant=c.recount_significant,
            pending_recounts=c.pending_recounts,
            forced_completion_reason=c.forced_completion_reason,
            scoped=c.scoped,
            scope_product_count=c.scope_product_count,
            site_id=c.site_id,
            site_code=c.site_code,
            scope_zones=c.scope_zones,
            location_count=c.location_count,
        )
        if visible_to(caller, c) and not hides_count_statistics(caller, c.pending_recounts):
            message.statistics.CopyFrom(self.statistics(c.statistics))
        return message

    def item(self, view: CountLineView, caller: Caller) -> pb.CountItem:
        line = view.line
        # Staff recount blind: the first figure of a line awaiting its recount is hidden.
        first_figure_hidden = hides_first_figure(caller, line.status)
        message = pb.CountItem(
            id=line.id,
            inventory_count_id=line.inventory_count_id,
            product_id=line.product_id,
            sku=view.sku,
            batch_id=line.batch_id or "",
            counted_quantity=0 if first_figure_hidden else line.counted_quantity,
            reason=line.reason,
            notes=line.notes,
            location=line.location,
            counted_by=line.counted_by,
            count_time=to_timestamp(line.counted_at),
            lot_number=view.lot_number,
            expiry_date=to_date(view.expiry_date),
            expired=view.expired,
            status=enum_to_proto(line.status, pb.CountItemStatus, ITEM_STATUS_PREFIX),
            recount_requested_by=line.recount_requested_by or "",
            recount_reason=line.recount_reason,
            location_id=line.location_id,
            location_code=view.location_code,
            zone=view.zone,
        )
        if visible_to(caller, view) and not first_figure_hidden:
            message.system_quantity = line.system_quantity
            message.variance = line.variance
            message.variance_value.CopyFrom(self.money(line.variance_value))
            message.significant_discrepancy = line.significant
        return message

    def completion(
        self, result: CompletionView, caller: Caller
    ) -> pb.CompleteInventoryCountResponse:
        return pb.CompleteInventoryCountResponse(
            inventory_count=self.count(result.count, caller),
            adjustments=[adjustment_message(a, self.currency) for a in result.adjustments],
            moved_items=[
                pb.MovedCountItem(
                    item=self.item(moved.line, caller), current_quantity=moved.current_quantity
                )
                for moved in result.moved
            ],
            uncounted_levels=[stock_level_message(u) for u in result.uncounted],
            expired_items=[self.item(line, caller) for line in result.expired],
        )

    def figures(self, f: SummaryFigures) -> pb.InventorySummaryFigures:
        return pb.InventorySummaryFigures(
            total_counts=f.total_counts,
            in_progress_counts=f.in_progress_counts,
            completed_counts=f.completed_counts,
            cancelled_counts=f.cancelled_counts,
            items_counted=f.lines.items_counted,
            items_with_discrepancy=f.lines.items_with_discrepancy,
            accuracy=f.accuracy,
            value_missing=self.money(f.lines.value_missing),
            value_in_excess=self.money(f.lines.value_in_excess),
            net_variance=self.money(f.lines.net_variance),
        )

    def summary(self, summary: Summary) -> pb.GetInventorySummaryResponse:
        return pb.GetInventorySummaryResponse(
            overall=self.figures(summary.overall),
            by_type=[
                pb.InventoryTypeSummary(
                    type=enum_to_proto(count_type, pb.InventoryCountType, TYPE_PREFIX),
                    figures=self.figures(summary.by_type[count_type]),
                )
                for count_type in CountType
                if count_type in summary.by_type
            ],
            by_abc_class=[
                pb.AbcClassAccuracy(
                    abc_class=enum_to_proto(c.abc_class, pb.AbcClass, ABC_PREFIX),
                    items_counted=c.items_counted,
                    items_within_tolerance=c.items_within_tolerance,
                    accuracy=c.accuracy,
                )
                for c in summary.by_abc_class
            ],
            by_site=[
                pb.InventorySiteSummary(
                    site_id=s.site_id, site_code=s.site_code, figures=self.figures(s.figures)
                )
                for s in summary.by_site
            ],
        )

    def task(self, t: CountTaskView) -> pb.CountTask:
        return pb.CountTask(
            inventory_count_id=t.inventory_count_id,
            inventory_count_name=t.inventory_count_name,
            assignee=t.assignee,
            location_id=t.location_id,
            location_code=t.location_code,
            zone=t.zone,
            assigned_by=t.assigned_by,
            assign_time=to_timestamp(t.assigned_at),
            levels_expected=t.levels_expected,
            levels_counted=t.levels_counted,
        )

    def level_to_count(self, level: LevelToCountView) -> pb.LevelToCount:
        message = pb.LevelToCount(
            product_id=level.product_id,
            sku=level.sku,
            name=level.name,
            batch_id=level.batch_id or "",
            lot_number=level.lot_number,
            expiry_date=to_date(level.expiry_date),
            location_id=level.location_id,
            location_code=level.location_code,
            zone=level.zone,
        )
        if level.system_quantity is not None:
            message.system_quantity = level.system_quantity
        return message

    def progress(self, progress: CountProgressView, token: str) -> pb.GetCountProgressResponse:
        totals = progress.totals
        return pb.GetCountProgressResponse(
            locations=[
                pb.LocationProgress(
                    location_id=p.location_id,
                    location_code=p.location_code,
                    zone=p.zone,
                    levels_expected=p.levels_expected,
                    levels_counted=p.levels_counted,
                    lines=p.lines,
                    counted_by=p.counted_by,
                    last_count_time=to_timestamp(p.last_counted_at),
                    assignees=p.assignees,
                )
                for p in progress.locations.items
            ],
            next_page_token=token,
            levels_expected=totals.levels_expected,
            levels_counted=totals.levels_counted,
            location_count=totals.location_count,
            locations_done=totals.locations_done,
        )

    def product_due(self, p: ProductDueView) -> pb.ProductDueForCount:
        return pb.ProductDueForCount(
            product_id=p.product_id,
            sku=p.sku,
            name=p.name,
            abc_class=enum_to_proto(p.abc_class, pb.AbcClass, ABC_PREFIX),
            consumption_value=self.money(p.consumption_value),
            last_count_time=to_timestamp(p.last_counted_at),
            due_time=to_timestamp(p.due_at),
            days_overdue=p.days_overdue,
        )
