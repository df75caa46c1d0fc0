"""`inventory-client counts`: stock-takes from start to completion (scan FILE.csv streams a
file of entries: see scanning.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import click

from inventory.v1 import inventory_count_pb2 as counts_pb2
from inventory_client.cli.context import (
    PRODUCT_HELP,
    QUANTITY,
    App,
    choice_of,
    json_option,
    limit_options,
    page_size,
    pass_app,
    product_id,
    product_selector,
    show_list,
    timestamp,
)
from inventory_client.cli.cycle_plans import ACCURACY_COLUMNS, abc_value, class_option, due
from inventory_client.cli.exports import amount
from inventory_client.cli.recounts import history, recount
from inventory_client.cli.render import (
    COUNT_COLUMNS,
    ITEM_COLUMNS,
    Column,
    adjustment_columns,
    count_fields,
    count_type,
    level_columns,
    money,
)
from inventory_client.cli.reports import export_count
from inventory_client.cli.scanning import scan

TYPES = {
    "full": counts_pb2.INVENTORY_COUNT_TYPE_FULL,
    "cycle": counts_pb2.INVENTORY_COUNT_TYPE_CYCLE,
    "spot": counts_pb2.INVENTORY_COUNT_TYPE_SPOT,
    "annual": counts_pb2.INVENTORY_COUNT_TYPE_ANNUAL,
}
STATUSES = {
    "in-progress": counts_pb2.INVENTORY_COUNT_STATUS_IN_PROGRESS,
    "completed": counts_pb2.INVENTORY_COUNT_STATUS_COMPLETED,
    "cancelled": counts_pb2.INVENTORY_COUNT_STATUS_CANCELLED,
}
MODES = {"set": counts_pb2.COUNT_MODE_SET, "add": counts_pb2.COUNT_MODE_ADD}


@click.group()
def counts() -> None:
    """Inventory counts (stock-takes): start, record, review, complete."""


counts.add_command(scan)
counts.add_command(recount)
counts.add_command(history)
counts.add_command(due)
counts.add_command(export_count)


def _show_count(app: App, count: counts_pb2.InventoryCount) -> None:
    app.output.result(count, lambda: app.output.fields(f"Count {count.name}", count_fields(count)))


@counts.command("start")
@click.argument("name")
@click.option("--type", "kind", type=choice_of(TYPES), required=True, help="Kind of count.")
@click.option("--notes", default="")
@click.option("--blind", is_flag=True, help="Hide system quantities and variances from staff.")
@click.option(
    "--recount-significant",
    is_flag=True,
    help="Mark every line that becomes a significant discrepancy for recount.",
)
@click.option("--scope-due", is_flag=True, help="Count only the products due now (see `due`).")
@class_option
@click.option("--product", "products", multiple=True, help="Count only this product (repeat).")
@json_option
@pass_app
def start(
    app: App,
    name: str,
    kind: str,
    notes: str,
    blind: bool,
    recount_significant: bool,
    scope_due: bool,
    abc: str | None,
    products: tuple[str, ...],
) -> None:
    """Starts a count (managers). Only one count is in progress at a time; a CYCLE or SPOT
    count may be scoped (--scope-due [--class X], or --product P ...)."""
    request = counts_pb2.StartInventoryCountRequest(
        name=name,
        type=TYPES[kind.lower()],
        notes=notes,
        blind=blind,
        recount_significant=recount_significant,
        scope_product_ids=[product_id(app, p) for p in products],
        scope_due_products=scope_due,
        scope_abc_class=abc_value(abc),
    )
    _show_count(app, app.client.start_inventory_count(request).inventory_count)


@counts.command("list")
@click.option("--status", type=choice_of(STATUSES), help="Only counts with this status.")
@click.option("--type", "kind", type=choice_of(TYPES), help="Only counts of this type.")
@limit_options
@json_option
@pass_app
def list_counts(
    app: App, status: str | None, kind: str | None, limit: int, all_pages: bool
) -> None:
    """Counts, newest first."""
    request = counts_pb2.ListInventoryCountsRequest(
        status=STATUSES[status.lower()]
        if status
        else counts_pb2.INVENTORY_COUNT_STATUS_UNSPECIFIED,
        type=TYPES[kind.lower()] if kind else counts_pb2.INVENTORY_COUNT_TYPE_UNSPECIFIED,
        page_size=page_size(limit, all_pages),
    )
    counts_found = app.client.iter_inventory_counts(request)
    show_list(app, counts_found, COUNT_COLUMNS, title="Counts", limit=limit, all_pages=all_pages)


@counts.command("show")
@click.argument("count_id")
@json_option
@pass_app
def show(app: App, count_id: str) -> None:
    """One count with its live statistics."""
    request = counts_pb2.GetInventoryCountRequest(inventory_count_id=count_id)
    _show_count(app, app.client.get_inventory_count(request).inventory_count)


@counts.command("items")
@click.argument("count_id")
@limit_options
@json_option
@pass_app
def items(app: App, count_id: str, limit: int, all_pages: bool) -> None:
    """The lines of a count (system quantities and variances hidden from staff on blind counts)."""
    request = counts_pb2.ListCountItemsRequest(
        inventory_count_id=count_id, page_size=page_size(limit, all_pages)
    )
    lines = app.client.iter_count_items(request)
    show_list(app, lines, ITEM_COLUMNS, title="Lines", limit=limit, all_pages=all_pages)


@counts.command("add", epilog=PRODUCT_HELP)
@click.argument("count_id")
@click.argument("product")
@click.argument("quantity", type=QUANTITY)
@click.option("--lot", default="", help="Lot number of the batch counted.")
@click.option("--batch-id", default="", help="Id of the batch counted (instead of --lot).")
@click.option(
    "--mode",
    type=choice_of(MODES),
    default="set",
    show_default=True,
    help="set: replace the line's quantity (a recount); add: add to it.",
)
@click.option("--location", default="", help="Where it was counted (shelf, bin).")
@click.option("--reason", default="", help="Reason for a discrepancy.")
@click.option("--notes", default="")
@json_option
@pass_app
def add(
    app: App,
    count_id: str,
    product: str,
    quantity: int,
    lot: str,
    batch_id: str,
    mode: str,
    location: str,
    reason: str,
    notes: str,
) -> None:
    """Records a counted QUANTITY of PRODUCT in count COUNT_ID."""
    if lot and batch_id:
        raise click.UsageError("give --lot or --batch-id, not both")
    request = counts_pb2.AddCountItemRequest(
        inventory_count_id=count_id,
        product=product_selector(product),
        counted_quantity=quantity,
        mode=MODES[mode.lower()],
        location=location,
        reason=reason,
        notes=notes,
    )
    if lot:
        request.lot_number = lot
    elif batch_id:
        request.batch_id = batch_id
    item = app.client.add_count_item(request).item
    app.output.result(item, lambda: app.output.table([item], ITEM_COLUMNS, title="Line"))


@counts.command("discrepancies")
@click.argument("count_id", required=False, default="")
@limit_options
@json_option
@pass_app
def discrepancies(app: App, count_id: str, limit: int, all_pages: bool) -> None:
    """Significant discrepancies for review, most recent first (of COUNT_ID, or of all)."""
    request = counts_pb2.ListDiscrepanciesRequest(
        inventory_count_id=count_id, page_size=page_size(limit, all_pages)
    )
    show_list(
        app,
        app.client.iter_discrepancies(request),
        ITEM_COLUMNS,
        title="Significant discrepancies",
        limit=limit,
        all_pages=all_pages,
    )


@counts.command("complete")
@click.argument("count_id")
@click.option("--apply", "apply_adjustments", is_flag=True, help="Apply variances to stock.")
@click.option(
    "--set-counted",
    is_flag=True,
    help="Set levels to the counted figures (default: apply counted - system at count time).",
)
@click.option(
    "--zero-uncounted", is_flag=True, help="FULL and ANNUAL counts: zero levels never counted."
)
@click.option("--notes", default="")
@click.option("--force-reason", default="", help="Complete although recounts are pending: why.")
@json_option
@pass_app
def complete(
    app: App,
    count_id: str,
    apply_adjustments: bool,
    set_counted: bool,
    zero_uncounted: bool,
    notes: str,
    force_reason: str,
) -> None:
    """Completes a count (managers); with --apply its variances become CORRECTION adjustments."""
    request = counts_pb2.CompleteInventoryCountRequest(
        inventory_count_id=count_id,
        apply_adjustments=apply_adjustments,
        apply_mode=counts_pb2.STOCK_APPLY_MODE_SET_COUNTED
        if set_counted
        else counts_pb2.STOCK_APPLY_MODE_DIFFERENCE,
        zero_uncounted=zero_uncounted,
        notes=notes,
        force_reason=force_reason,
    )
    result = app.client.complete_inventory_count(request)

    def show() -> None:
        count = result.inventory_count
        app.output.fields(f"Count {count.name}", count_fields(count))
        applied = result.adjustments
        net = sum(a.quantity_change for a in applied)
        app.output.console.print(
            f"{len(applied):,} adjustments applied, {net:+,} units net"
            if apply_adjustments
            else "No adjustments applied (without --apply)",
            markup=False,
        )
        largest = sorted(applied, key=lambda a: abs(amount(a.cost_impact)), reverse=True)
        _some(
            app,
            largest,
            adjustment_columns(app.sku_of),
            f"The largest adjustments (of {len(applied):,})",
        )
        moved = [m.item for m in result.moved_items]
        _some(app, moved, ITEM_COLUMNS, "Lines whose stock moved since counted")
        if result.uncounted_levels:
            title = "Never counted" + (", now set to zero" if zero_uncounted else "")
            _some(app, result.uncounted_levels, level_columns(app.sku_of), title)
        if applied or moved or result.uncounted_levels:
            app.output.console.print(
                f"Every line: inventory-client counts export {count.id} "
                "[--format xlsx --output FILE]; the adjustments: "
                "inventory-client adjustments list --csv",
                markup=False,
                soft_wrap=True,
            )
        if result.expired_items:
            _some(app, result.expired_items, ITEM_COLUMNS, "Expired stock counted")
            first = result.expired_items[0]
            app.output.console.print(
                "Write expired stock off with an EXPIRED adjustment, e.g. "
                f"inventory-client adjustments create {first.sku} --type expired "
                f"--change -{first.counted_quantity} --lot {first.lot_number} "
                '--reason "expired"',
                markup=False,
                soft_wrap=True,
            )

    app.output.result(result, show)


SHOWN = 10
T = TypeVar("T")


def _some(app: App, rows: Sequence[T], columns: Sequence[Column[T]], title: str) -> None:
    """The first SHOWN rows, and how many more there are (a completion of 3,000 lines is a
    summary on a terminal; the export has them all)."""
    if not rows:
        return
    app.output.table(rows[:SHOWN], columns, title=title)
    if len(rows) > SHOWN:
        app.output.console.print(f"... and {len(rows) - SHOWN:,} more", markup=False)


@counts.command("cancel")
@click.argument("count_id")
@click.option("--notes", default="", help="Why.")
@json_option
@pass_app
def cancel(app: App, count_id: str, notes: str) -> None:
    """Cancels a count in progress (managers); nothing is applied."""
    request = counts_pb2.CancelInventoryCountRequest(inventory_count_id=count_id, notes=notes)
    _show_count(app, app.client.cancel_inventory_count(request).inventory_count)


@counts.command("summary")
@click.option("--from", "start", help="Counts started on or after (YYYY-MM-DD[THH:MM]).")
@click.option("--to", "end", help="Counts started on or before (a date means its whole day).")
@click.option(
    "--status",
    type=click.Choice([*sorted(STATUSES), "all"], case_sensitive=False),
    default="completed",
    show_default=True,
    help="Counts of this status (a cancelled count's lines were never applied).",
)
@json_option
@pass_app
def summary(app: App, start: str | None, end: str | None, status: str) -> None:
    """Accuracy and variance figures over counts, overall and by type: completed counts unless
    --status says otherwise."""
    request = counts_pb2.GetInventorySummaryRequest(
        start_time_from=timestamp(start),
        start_time_to=timestamp(end, end_of_day=True),
        status=STATUSES.get(status.lower(), counts_pb2.INVENTORY_COUNT_STATUS_UNSPECIFIED),
    )
    result = app.client.get_inventory_summary(request)
    rows = [("all", result.overall)] + [(count_type(t.type), t.figures) for t in result.by_type]

    def show() -> None:
        app.output.table(
            rows,
            [
                ("Type", lambda r: r[0]),
                ("Counts", lambda r: r[1].total_counts),
                ("In progress", lambda r: r[1].in_progress_counts),
                ("Completed", lambda r: r[1].completed_counts),
                ("Cancelled", lambda r: r[1].cancelled_counts),
                ("Lines", lambda r: r[1].items_counted),
                ("Discrepancies", lambda r: r[1].items_with_discrepancy),
                ("Accuracy", lambda r: f"{r[1].accuracy:.1%}"),
                ("Missing", lambda r: money(r[1].value_missing)),
                ("Excess", lambda r: money(r[1].value_in_excess)),
                ("Net", lambda r: money(r[1].net_variance)),
            ],
            title=f"Inventory summary ({status.lower()} counts)",
        )
        app.output.table(result.by_abc_class, ACCURACY_COLUMNS, title="Accuracy by ABC class")

    app.output.result(result, show)
