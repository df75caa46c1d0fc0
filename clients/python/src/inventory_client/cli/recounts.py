"""`inventory-client counts recount` and `counts history`: asking for lines to be counted again,
and every entry that touched a line."""

from __future__ import annotations

import click

from inventory.v1 import inventory_count_pb2 as counts_pb2
from inventory_client.cli.context import (
    App,
    json_option,
    limit_options,
    page_size,
    pass_app,
    show_list,
)
from inventory_client.cli.render import ITEM_COLUMNS, Column, enum_name, when, yes_no

ENTRY_COLUMNS: list[Column[counts_pb2.CountItemEntry]] = [
    ("Stored at", lambda e: when(e.store_time)),
    ("By", lambda e: e.counted_by),
    ("Device", lambda e: e.device_id or "-"),
    ("Quantity", lambda e: e.quantity),
    ("Mode", lambda e: enum_name("COUNT_MODE_", counts_pb2.CountMode.Name(e.mode))),
    ("Counted after", lambda e: e.counted_quantity),
    ("Recount", lambda e: yes_no(e.recount)),
    ("Location", lambda e: e.location or "-"),
    ("Reason", lambda e: e.reason or "-"),
    ("Scanned at", lambda e: when(e.scan_time)),
]


@click.command("recount")
@click.argument("count_id")
@click.argument("line_ids", nargs=-1, required=True)
@click.option("--reason", default="", help="Why the lines must be counted again.")
@json_option
@pass_app
def recount(app: App, count_id: str, line_ids: tuple[str, ...], reason: str) -> None:
    """Asks for lines LINE_IDS of count COUNT_ID to be counted again, by someone who has not
    counted them (managers). `counts items` shows the line ids."""
    request = counts_pb2.RequestRecountRequest(
        inventory_count_id=count_id, count_item_ids=list(line_ids), reason=reason
    )
    lines = list(app.client.request_recount(request).items)
    app.output.results(lines, lambda: app.output.table(lines, ITEM_COLUMNS, title="Recount"))


@click.command("history")
@click.argument("count_id")
@click.argument("line_id")
@limit_options
@json_option
@pass_app
def history(app: App, count_id: str, line_id: str, limit: int, all_pages: bool) -> None:
    """Every entry that touched line LINE_ID of count COUNT_ID, oldest first (managers)."""
    request = counts_pb2.ListCountItemEntriesRequest(
        inventory_count_id=count_id, count_item_id=line_id, page_size=page_size(limit, all_pages)
    )
    entries = app.client.iter_count_item_entries(request)
    show_list(app, entries, ENTRY_COLUMNS, title="History", limit=limit, all_pages=all_pages)
