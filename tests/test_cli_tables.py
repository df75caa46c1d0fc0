"""Every table of `inventory-client` read on an 80-column terminal: it fits, names things by
SKU, name and lot, and never breaks an id over lines (ids only with --ids, cut short if need be).
The tables are found by name (every *_COLUMNS of the CLI's modules), so one added later is read
here too."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from google.protobuf.message import Message
from rich.console import Console

from inventory_client.cli import cycle_plans, recounts, render
from inventory_client.cli.render import Output, adjustment_columns, level_columns

WIDTH = 80


def _filled(message: Message) -> Message:
    """The message with every string field an id-like value, numbers set, nested messages
    filled one level down: the widest a row gets."""
    for field in message.DESCRIPTOR.fields:
        if field.is_repeated:
            continue
        if field.type == field.TYPE_STRING:
            setattr(message, field.name, str(uuid.uuid4()))
        elif field.type in (field.TYPE_INT64, field.TYPE_INT32):
            setattr(message, field.name, 1_234_567)
        elif field.type == field.TYPE_MESSAGE and field.message_type.full_name not in (
            "google.protobuf.Timestamp",
            "google.type.Date",
        ):
            getattr(message, field.name).SetInParent()
    return message


def _tables() -> list[tuple[str, Any, list[Any]]]:
    found = []
    for module in (render, recounts, cycle_plans):
        for name, columns in vars(module).items():
            if name.endswith("_COLUMNS") and isinstance(columns, list):
                message_type = _message_type(name)
                found.append((name, message_type, columns))
    sku_of = lambda product_id: "SKU-" + product_id[:4]  # noqa: E731
    found.append(
        ("adjustment_columns", _message_type("ADJUSTMENT_COLUMNS"), adjustment_columns(sku_of))
    )
    found.append(("level_columns", _message_type("LEVEL_COLUMNS"), level_columns(sku_of)))
    return found


def _message_type(name: str) -> Any:
    from inventory.v1 import catalog_pb2, stock_adjustment_pb2
    from inventory.v1 import inventory_count_pb2 as counts_pb2

    return {
        "PRODUCT_COLUMNS": catalog_pb2.Product,
        "LEVEL_COLUMNS": catalog_pb2.StockLevel,
        "BATCH_COLUMNS": catalog_pb2.Batch,
        "LEDGER_COLUMNS": catalog_pb2.LedgerEntry,
        "COUNT_COLUMNS": counts_pb2.InventoryCount,
        "ITEM_COLUMNS": counts_pb2.CountItem,
        "ADJUSTMENT_COLUMNS": stock_adjustment_pb2.StockAdjustment,
        "ENTRY_COLUMNS": counts_pb2.CountItemEntry,
        "DUE_COLUMNS": counts_pb2.ProductDueForCount,
        "ACCURACY_COLUMNS": counts_pb2.AbcClassAccuracy,
        "adjustment_columns": stock_adjustment_pb2.StockAdjustment,
        "level_columns": catalog_pb2.StockLevel,
    }[name]


def _render(columns: list[Any], rows: list[Message], *, ids: bool) -> list[str]:
    output = Output()
    output.show_ids = ids
    text = io.StringIO()
    output.console = Console(file=text, width=WIDTH, highlight=False, soft_wrap=False)
    output.table(rows, columns, title="Table")
    return text.getvalue().splitlines()


@pytest.mark.parametrize(
    ("name", "message_type", "columns"), _tables(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_a_table_fits_80_columns_and_never_breaks_an_id(
    name: str, message_type: Any, columns: list[Any]
) -> None:
    rows = [_filled(message_type()) for _ in range(3)]
    ids = {value for row in rows for value in _strings(row)}
    for show_ids in (False, True):
        lines = _render(columns, rows, ids=show_ids)
        assert all(len(line) <= WIDTH for line in lines), (name, lines)
        body = "\n".join(lines)
        for value in ids:
            tail = value[-12:]
            # An id is whole on one line, or cut short there ("…"): its end never starts a line.
            broken = [line for line in lines if tail in line and value not in line]
            assert not broken, (name, value, broken)
            if value[:8] in body:
                [line] = [line for line in lines if value[:8] in line]
                assert value in line or "…" in line, (name, line)
        if not show_ids:  # without --ids, no column of ids
            header_line = next(line for line in lines if "┃" in line)
            headers = {cell.strip() for cell in header_line.split("┃")}
            assert not headers & render.ID_HEADERS, (name, header_line)


def _strings(message: Message) -> list[str]:
    return [
        getattr(message, f.name)
        for f in message.DESCRIPTOR.fields
        if f.type == f.TYPE_STRING and not f.is_repeated and getattr(message, f.name)
    ]
