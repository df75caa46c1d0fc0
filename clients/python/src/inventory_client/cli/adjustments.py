"""`inventory-client adjustments`: stock adjustments and their approval by a manager."""

from __future__ import annotations

import click

from inventory.v1 import stock_adjustment_pb2 as adjustments_pb2
from inventory_client.cli.context import (
    PRODUCT_HELP,
    SIGNED_QUANTITY,
    App,
    choice_of,
    json_option,
    limit_options,
    page_size,
    pass_app,
    product_id,
    show_list,
    timestamp,
)
from inventory_client.cli.exports import export
from inventory_client.cli.lots import batch_option
from inventory_client.cli.render import adjustment_columns, adjustment_fields
from inventory_client.cli.reports import SkuNames, adjustment_export_columns

TYPES = {
    "damage": adjustments_pb2.STOCK_ADJUSTMENT_TYPE_DAMAGE,
    "theft": adjustments_pb2.STOCK_ADJUSTMENT_TYPE_THEFT,
    "expired": adjustments_pb2.STOCK_ADJUSTMENT_TYPE_EXPIRED,
    "found": adjustments_pb2.STOCK_ADJUSTMENT_TYPE_FOUND,
    "correction": adjustments_pb2.STOCK_ADJUSTMENT_TYPE_CORRECTION,
    "return": adjustments_pb2.STOCK_ADJUSTMENT_TYPE_RETURN,
}
STATUSES = {
    "pending": adjustments_pb2.STOCK_ADJUSTMENT_STATUS_PENDING,
    "applied": adjustments_pb2.STOCK_ADJUSTMENT_STATUS_APPLIED,
    "rejected": adjustments_pb2.STOCK_ADJUSTMENT_STATUS_REJECTED,
}


@click.group()
def adjustments() -> None:
    """Stock adjustments: damage, theft, expiry, found stock, corrections, returns."""


def _show(app: App, adjustment: adjustments_pb2.StockAdjustment) -> None:
    title = f"Adjustment {adjustment.id}"
    app.output.result(adjustment, lambda: app.output.fields(title, adjustment_fields(adjustment)))


@adjustments.command("create", epilog=PRODUCT_HELP)
@click.argument("product")
@click.option("--type", "kind", type=choice_of(TYPES), required=True)
@click.option(
    "--change",
    type=SIGNED_QUANTITY,
    required=True,
    help="Signed units: --change -3 (damage, theft, expired decrease; found increases).",
)
@click.option("--reason", required=True, help="Why.")
@click.option("--lot", default="", help="The lot, for lot-tracked products.")
@click.option("--batch-id", default="", help="The batch id (instead of --lot).")
@click.option("--notes", default="")
@click.option("--reference", default="", help="External reference (damage report id).")
@json_option
@pass_app
def create(
    app: App,
    product: str,
    kind: str,
    change: int,
    reason: str,
    lot: str,
    batch_id: str,
    notes: str,
    reference: str,
) -> None:
    """Adjusts a product's stock: applied at once, or pending until a manager approves it."""
    pid, batch = batch_option(app, product, lot, batch_id)
    request = adjustments_pb2.CreateStockAdjustmentRequest(
        product_id=pid,
        batch_id=batch,
        type=TYPES[kind.lower()],
        quantity_change=change,
        reason=reason,
        notes=notes,
        reference_number=reference,
    )
    _show(app, app.client.create_stock_adjustment(request).stock_adjustment)


@adjustments.command("show")
@click.argument("adjustment_id")
@json_option
@pass_app
def show(app: App, adjustment_id: str) -> None:
    """One adjustment."""
    request = adjustments_pb2.GetStockAdjustmentRequest(stock_adjustment_id=adjustment_id)
    _show(app, app.client.get_stock_adjustment(request).stock_adjustment)


@adjustments.command("list", epilog=PRODUCT_HELP)
@click.option("--product", help="Only this product's.")
@click.option("--type", "kind", type=choice_of(TYPES), help="Only this type.")
@click.option("--status", type=choice_of(STATUSES), help="Only this status.")
@click.option("--from", "start", help="Created on or after (YYYY-MM-DD[THH:MM]).")
@click.option("--to", "end", help="Created on or before (a date means its whole day).")
@click.option("--csv", "as_csv", is_flag=True, help="Every matching adjustment as CSV (stdout).")
@limit_options
@json_option
@pass_app
def list_adjustments(
    app: App,
    product: str | None,
    kind: str | None,
    status: str | None,
    start: str | None,
    end: str | None,
    as_csv: bool,
    limit: int,
    all_pages: bool,
) -> None:
    """Adjustments, newest first (--csv: all of them, for a spreadsheet)."""
    all_pages = all_pages or as_csv
    request = adjustments_pb2.ListStockAdjustmentsRequest(
        product_id=product_id(app, product) if product else "",
        type=TYPES[kind.lower()] if kind else adjustments_pb2.STOCK_ADJUSTMENT_TYPE_UNSPECIFIED,
        status=STATUSES[status.lower()]
        if status
        else adjustments_pb2.STOCK_ADJUSTMENT_STATUS_UNSPECIFIED,
        create_time_from=timestamp(start),
        create_time_to=timestamp(end, end_of_day=True),
        page_size=page_size(limit, all_pages),
    )
    found = app.client.iter_stock_adjustments(request)
    if as_csv:
        skus = SkuNames(app)
        export(found, adjustment_export_columns(skus), fmt="csv", output=None, sheet="")
        return
    show_list(
        app,
        found,
        adjustment_columns(app.sku_of),
        title="Adjustments",
        limit=limit,
        all_pages=all_pages,
    )


@adjustments.command("pending")
@limit_options
@json_option
@pass_app
def pending(app: App, limit: int, all_pages: bool) -> None:
    """Adjustments waiting for a manager's decision, oldest first."""
    request = adjustments_pb2.ListPendingApprovalsRequest(page_size=page_size(limit, all_pages))
    found = app.client.iter_pending_approvals(request)
    title = "Pending approval"
    show_list(
        app, found, adjustment_columns(app.sku_of), title=title, limit=limit, all_pages=all_pages
    )


@adjustments.command("approve")
@click.argument("adjustment_id")
@click.option("--notes", default="")
@json_option
@pass_app
def approve(app: App, adjustment_id: str, notes: str) -> None:
    """Approves and applies a pending adjustment (managers; never one's own)."""
    request = adjustments_pb2.ApproveStockAdjustmentRequest(
        stock_adjustment_id=adjustment_id, notes=notes
    )
    _show(app, app.client.approve_stock_adjustment(request).stock_adjustment)


@adjustments.command("reject")
@click.argument("adjustment_id")
@click.option("--notes", default="", help="Why.")
@json_option
@pass_app
def reject(app: App, adjustment_id: str, notes: str) -> None:
    """Rejects a pending adjustment; it is never applied (managers; never one's own)."""
    request = adjustments_pb2.RejectStockAdjustmentRequest(
        stock_adjustment_id=adjustment_id, notes=notes
    )
    _show(app, app.client.reject_stock_adjustment(request).stock_adjustment)
