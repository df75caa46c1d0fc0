"""`inventory-client products` commands for lots: `batch` creates one, `batches` lists them
with expiry, `move` records a receipt or sale (by lot for lot-tracked products); and how a
command line's --lot becomes a batch id."""

from __future__ import annotations

import datetime

import click
from google.type import date_pb2

from inventory.v1 import catalog_pb2
from inventory_client.cli.context import (
    PRODUCT_HELP,
    QUANTITY,
    SIGNED_QUANTITY,
    App,
    InputError,
    json_option,
    limit_options,
    page_size,
    pass_app,
    product_id,
    product_selector,
    show_list,
)
from inventory_client.cli.render import (
    BATCH_COLUMNS,
    LEDGER_COLUMNS,
    batch_fields,
)


def batch_id_of_lot(app: App, product: str, lot: str) -> tuple[str, str]:
    """(product id, batch id) of the product's batch with this lot number (one GetProduct)."""
    request = catalog_pb2.GetProductRequest(product=product_selector(product))
    found = app.client.get_product(request).product
    for level in found.stock_levels:
        if level.batch_id and level.lot_number == lot:
            return found.id, level.batch_id
    raise InputError(f"{found.sku} has no lot {lot!r}")


def batch_option(app: App, product: str, lot: str, batch_id: str) -> tuple[str, str]:
    """(product id, batch id) of a command given --lot or --batch-id (or neither)."""
    if lot and batch_id:
        raise click.UsageError("give --lot or --batch-id, not both")
    if lot:
        return batch_id_of_lot(app, product, lot)
    return product_id(app, product), batch_id


def _expiry(text: str | None) -> date_pb2.Date | None:
    if not text:
        return None
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter(f"{text!r} is not YYYY-MM-DD", param_hint="--expiry") from error
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


@click.command("batch", epilog=PRODUCT_HELP)
@click.argument("product")
@click.option("--lot", required=True, help="The lot number.")
@click.option("--expiry", help="Expiry date, YYYY-MM-DD.")
@click.option("--opening", default=0, type=QUANTITY, help="Units on hand now.")
@json_option
@pass_app
def create_batch(app: App, product: str, lot: str, expiry: str | None, opening: int) -> None:
    """Creates a batch (lot) of a lot-tracked product with its stock (admins)."""
    batch = catalog_pb2.Batch(product_id=product_id(app, product), lot_number=lot)
    day = _expiry(expiry)
    if day is not None:
        batch.expiry_date.CopyFrom(day)
    request = catalog_pb2.CreateBatchRequest(batch=batch, opening_quantity=opening)
    created = app.client.create_batch(request).batch
    app.output.result(created, lambda: app.output.fields(f"Batch {lot}", batch_fields(created)))


@click.command("batches", epilog=PRODUCT_HELP)
@click.argument("product")
@limit_options
@json_option
@pass_app
def list_batches(app: App, product: str, limit: int, all_pages: bool) -> None:
    """A product's batches, soonest expiry first, with their stock."""
    request = catalog_pb2.ListBatchesRequest(
        product_id=product_id(app, product), page_size=page_size(limit, all_pages)
    )
    found = app.client.iter_batches(request)
    title = f"Batches of {product}"
    show_list(app, found, BATCH_COLUMNS, title=title, limit=limit, all_pages=all_pages)


@click.command("move", epilog=PRODUCT_HELP)
@click.argument("product")
@click.option("--change", type=SIGNED_QUANTITY, required=True, help="+N received, -N sold or used.")
@click.option("--reference", required=True, help="The document: delivery note, sale id.")
@click.option("--lot", default="", help="The lot (lot-tracked products).")
@click.option("--batch-id", default="", help="The batch id (instead of --lot).")
@click.option("--reason", default="")
@json_option
@pass_app
def move(
    app: App, product: str, change: int, reference: str, lot: str, batch_id: str, reason: str
) -> None:
    """Records a stock movement (a receipt or a sale) in the ledger."""
    pid, batch = batch_option(app, product, lot, batch_id)
    movement = catalog_pb2.StockMovement(
        product_id=pid,
        batch_id=batch,
        quantity_delta=change,
        source_reference=reference,
        reason=reason,
    )
    request = catalog_pb2.RecordStockMovementsRequest(movements=[movement])
    entries = app.client.record_stock_movements(request).entries
    app.output.results(entries, lambda: app.output.table(entries, LEDGER_COLUMNS, title="Recorded"))


LOT_COMMANDS = (create_batch, list_batches, move)
