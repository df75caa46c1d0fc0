"""The exports of `inventory-client`: a count's lines, adjustments and the stock ledger, as
rows a spreadsheet reads (columns in cli/exports.py terms), with SKUs and names, not ids."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import click

from inventory.v1 import catalog_pb2
from inventory.v1 import inventory_count_pb2 as counts_pb2
from inventory.v1 import stock_adjustment_pb2 as adjustments_pb2
from inventory_client.cli.context import (
    PRODUCT_HELP,
    App,
    pass_app,
    product_id,
    timestamp,
)
from inventory_client.cli.exports import ExportColumn, day, export, format_options, moment
from inventory_client.cli.render import enum_name


class SkuNames:
    """product id -> (SKU, name), read once for the whole catalog when first asked."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._known: dict[str, tuple[str, str]] | None = None

    def __call__(self, product_id: str) -> tuple[str, str]:
        if self._known is None:
            request = catalog_pb2.ListProductsRequest(show_inactive=True, page_size=500)
            self._known = {p.id: (p.sku, p.name) for p in self.app.client.iter_products(request)}
        return self._known.get(product_id, (product_id, ""))


def count_line_columns(names: SkuNames) -> list[ExportColumn[counts_pb2.CountItem]]:
    return [
        ExportColumn("SKU", lambda i: i.sku),
        ExportColumn("Name", lambda i: names(i.product_id)[1]),
        ExportColumn("Lot", lambda i: i.lot_number),
        ExportColumn("Expiry", lambda i: day(i.expiry_date), "date"),
        ExportColumn("Location", lambda i: i.location),
        ExportColumn(
            "System",
            lambda i: i.system_quantity if i.HasField("system_quantity") else None,
            "number",
        ),
        ExportColumn("Counted", lambda i: i.counted_quantity, "number"),
        ExportColumn(
            "Variance", lambda i: i.variance if i.HasField("variance") else None, "number"
        ),
        ExportColumn(
            "Value", lambda i: i.variance_value if i.HasField("variance_value") else None, "money"
        ),
        ExportColumn("Currency", lambda i: i.variance_value.currency_code),
        ExportColumn("Counted by", lambda i: i.counted_by),
        ExportColumn("Counted at", lambda i: moment(i.count_time), "time"),
    ]


def adjustment_export_columns(
    names: SkuNames,
) -> list[ExportColumn[adjustments_pb2.StockAdjustment]]:
    return [
        ExportColumn("Created at", lambda a: moment(a.create_time), "time"),
        ExportColumn("SKU", lambda a: names(a.product_id)[0]),
        ExportColumn("Name", lambda a: names(a.product_id)[1]),
        ExportColumn(
            "Type",
            lambda a: enum_name(
                "STOCK_ADJUSTMENT_TYPE_", adjustments_pb2.StockAdjustmentType.Name(a.type)
            ),
        ),
        ExportColumn("Change", lambda a: a.quantity_change, "number"),
        ExportColumn("Cost impact", lambda a: a.cost_impact, "money"),
        ExportColumn("Currency", lambda a: a.cost_impact.currency_code),
        ExportColumn(
            "Status",
            lambda a: enum_name(
                "STOCK_ADJUSTMENT_STATUS_", adjustments_pb2.StockAdjustmentStatus.Name(a.status)
            ),
        ),
        ExportColumn("Reason", lambda a: a.reason),
        ExportColumn("Created by", lambda a: a.created_by),
        ExportColumn("Decided by", lambda a: a.decided_by),
        ExportColumn("Count", lambda a: a.inventory_count_id),
    ]


def ledger_columns(names: SkuNames) -> list[ExportColumn[catalog_pb2.LedgerEntry]]:
    return [
        ExportColumn("Sequence", lambda e: e.sequence, "number"),
        ExportColumn("At", lambda e: moment(e.create_time), "time"),
        ExportColumn("SKU", lambda e: names(e.product_id)[0]),
        ExportColumn("Name", lambda e: names(e.product_id)[1]),
        ExportColumn("Batch", lambda e: e.batch_id),
        ExportColumn(
            "Source", lambda e: enum_name("LEDGER_SOURCE_", catalog_pb2.LedgerSource.Name(e.source))
        ),
        ExportColumn("Change", lambda e: e.quantity_delta, "number"),
        ExportColumn("Before", lambda e: e.quantity_before, "number"),
        ExportColumn("After", lambda e: e.quantity_after, "number"),
        ExportColumn("Reference", lambda e: e.source_reference),
        ExportColumn("Reason", lambda e: e.reason),
        ExportColumn("By", lambda e: e.actor),
    ]


@click.command("export")
@click.argument("count_id")
@format_options
@pass_app
def export_count(app: App, count_id: str, fmt: str, output: Path | None) -> None:
    """A count's lines for a spreadsheet: SKU, name, lot, expiry, location, system, counted,
    variance, value, who and when (system figures left empty for staff on blind counts)."""
    request = counts_pb2.ListCountItemsRequest(inventory_count_id=count_id, page_size=500)
    lines = app.client.iter_count_items(request)
    written = export(
        lines, count_line_columns(SkuNames(app)), fmt=fmt, output=output, sheet="Count lines"
    )
    if output is not None:
        app.output.note(f"{written:,} lines written to {output}")


@click.group()
def ledger() -> None:
    """The stock ledger: every change of stock, and why."""


@ledger.command("export", epilog=PRODUCT_HELP)
@click.option("--product", "products", multiple=True, help="Only this product (repeat).")
@click.option("--from", "start", help="Entries on or after (YYYY-MM-DD[THH:MM]).")
@click.option("--to", "end", help="Entries on or before (a date means its whole day).")
@format_options
@pass_app
def export_ledger(
    app: App,
    products: Sequence[str],
    start: str | None,
    end: str | None,
    fmt: str,
    output: Path | None,
) -> None:
    """Ledger entries of some products (all products without --product) in a period, for a
    spreadsheet, product by product, oldest first."""
    names = SkuNames(app)
    lower, upper = timestamp(start), timestamp(end, end_of_day=True)
    if products:
        ids = [product_id(app, p) for p in products]
    else:
        request = catalog_pb2.ListProductsRequest(show_inactive=True, page_size=500)
        ids = [p.id for p in app.client.iter_products(request)]

    def entries() -> Iterator[catalog_pb2.LedgerEntry]:
        for pid in ids:
            request = catalog_pb2.ListStockMovementsRequest(product_id=pid, page_size=500)
            for entry in app.client.iter_stock_movements(request):
                stamp = entry.create_time.ToNanoseconds()
                if lower is not None and stamp < lower.ToNanoseconds():
                    continue
                if upper is not None and stamp > upper.ToNanoseconds():
                    break  # oldest first: nothing later fits either
                yield entry

    written = export(entries(), ledger_columns(names), fmt=fmt, output=output, sheet="Ledger")
    if output is not None:
        app.output.note(f"{written:,} entries written to {output}")
