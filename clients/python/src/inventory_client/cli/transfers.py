"""`inventory-client transfer`: stock moved from one location to another (its lot goes along)."""

from __future__ import annotations

import click

from inventory.v1 import catalog_pb2
from inventory_client.cli.context import (
    PLACE_HELP,
    PRODUCT_HELP,
    App,
    json_option,
    location_selector,
    pass_app,
)
from inventory_client.cli.lots import batch_option
from inventory_client.cli.render import LEDGER_COLUMNS


@click.command("transfer", epilog=f"{PRODUCT_HELP} {PLACE_HELP}")
@click.argument("product")
@click.argument("quantity", type=click.IntRange(min=1))
@click.option("--from", "source", required=True, metavar="PLACE", help="Where it leaves.")
@click.option("--to", "destination", required=True, metavar="PLACE", help="Where it arrives.")
@click.option("--lot", default="", help="The lot (lot-tracked products).")
@click.option("--batch-id", default="", help="The batch id (instead of --lot).")
@click.option("--reason", default="")
@click.option("--reference", default="", help="The transfer note.")
@json_option
@pass_app
def transfer(
    app: App,
    product: str,
    quantity: int,
    source: str,
    destination: str,
    lot: str,
    batch_id: str,
    reason: str,
    reference: str,
) -> None:
    """Moves QUANTITY units of PRODUCT between two locations: within a site (staff), or
    across sites (managers). Never below zero at the source."""
    pid, batch = batch_option(app, product, lot, batch_id)
    request = catalog_pb2.TransferStockRequest(
        lines=[
            catalog_pb2.StockTransferLine(
                product_id=pid,
                batch_id=batch,
                from_location=location_selector(source),
                to_location=location_selector(destination),
                quantity=quantity,
            )
        ],
        reason=reason,
        source_reference=reference,
    )
    moved = app.client.transfer_stock(request).transfers
    entries = [e for t in moved for e in (t.from_entry, t.to_entry)]
    if app.output.as_json:
        app.output.results(list(moved), lambda: None)
    else:
        app.output.table(entries, LEDGER_COLUMNS, title="Transferred")
