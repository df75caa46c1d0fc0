"""What the command prints: tables for people, protobuf's canonical JSON for scripts (--json),
and one line per error on stderr."""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar

from google.protobuf import json_format, timestamp_pb2
from google.protobuf.message import Message
from google.type import date_pb2, money_pb2
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from inventory.v1 import catalog_pb2, inventory_count_pb2, stock_adjustment_pb2
from inventory_client.errors import InventoryError

T = TypeVar("T")
Column = tuple[str, Callable[[T], object]]


def to_json(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


def money(value: money_pb2.Money) -> str:
    amount = Decimal(value.units) + Decimal(value.nanos) / Decimal(1_000_000_000)
    text = (
        f"{amount:.2f}" if amount == amount.quantize(Decimal("0.01")) else f"{amount.normalize()}"
    )
    return f"{text} {value.currency_code}".strip()


def when(value: timestamp_pb2.Timestamp) -> str:
    if not value.seconds and not value.nanos:
        return "-"
    moment = datetime.datetime.fromtimestamp(value.seconds, datetime.UTC).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def enum_name(prefix: str, name: str) -> str:
    """INVENTORY_COUNT_STATUS_IN_PROGRESS -> in-progress (the spelling the options take)."""
    return name.removeprefix(prefix).lower().replace("_", "-")


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def day(value: date_pb2.Date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}" if value.year else "-"


def tracking(value: catalog_pb2.TrackingMode.ValueType) -> str:
    """lot or none (UNSPECIFIED, from an older server, means none)."""
    return "lot" if value == catalog_pb2.TRACKING_MODE_LOT else "none"


def expired(message: catalog_pb2.StockLevel | inventory_count_pb2.CountItem) -> str:
    """yes/no for a batch with an expiry date, - without one."""
    return yes_no(message.expired) if message.HasField("expiry_date") else "-"


def optional(message: Message, field: str) -> str:
    return str(getattr(message, field)) if message.HasField(field) else "-"


class Output:
    """Where results go: stdout (tables or JSON); errors and progress on stderr."""

    def __init__(self, *, as_json: bool = False) -> None:
        self.as_json = as_json
        # Tables leave out the columns of ids (ID_HEADERS) unless asked for (--ids).
        self.show_ids = False
        self.console = Console(highlight=False, soft_wrap=False)
        self.errors = Console(stderr=True, highlight=False)

    def json(self, data: object) -> None:
        # Plain print: exact JSON for pipes, never wrapped to a terminal's width.
        print(json.dumps(data, indent=2))

    def table(
        self, items: Iterable[T], columns: Sequence[Column[T]], *, title: str | None = None
    ) -> None:
        table = Table(title=title, title_justify="left")
        shown = [c for c in columns if self.show_ids or c[0] not in ID_HEADERS]
        for header, _ in shown:
            # Words may wrap; anything else (ids, codes, figures) is cut short, never broken
            # over lines, so a table fits the terminal by shortening columns.
            wraps = header in TEXT_HEADERS
            table.add_column(header, overflow="fold" if wraps else "ellipsis", no_wrap=not wraps)
        rows = 0
        for item in items:
            table.add_row(*(str(value(item)) for _, value in shown))
            rows += 1
        if rows:
            self.console.print(table)
        else:
            self.console.print(f"{title}: none" if title else "none")

    def fields(self, title: str, pairs: Sequence[tuple[str, object]]) -> None:
        table = Table(title=title, title_justify="left", show_header=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for name, value in pairs:
            table.add_row(name, str(value))
        self.console.print(table)

    def results(self, messages: Sequence[Message], show: Callable[[], None]) -> None:
        """A list: JSON array of the messages, or show() draws the tables."""
        if self.as_json:
            self.json([to_json(m) for m in messages])
        else:
            show()

    def result(self, message: Message, show: Callable[[], None]) -> None:
        if self.as_json:
            self.json(to_json(message))
        else:
            show()

    def note(self, text: str) -> None:
        self.errors.print(text, markup=False)

    @contextmanager
    def progress(self, description: str, total: int) -> Iterator[Callable[[], None]]:
        """A progress bar on stderr when it is a terminal (nothing otherwise); yields the
        function that advances it by one."""
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=self.errors,
            disable=not self.errors.is_terminal,
            transient=True,
        )
        with bar:
            task = bar.add_task(description, total=total)
            yield lambda: bar.advance(task)

    def error(self, error: InventoryError, *, hint: str = "") -> None:
        """One line on stderr (hint: what to check, after the error)."""
        if self.as_json:
            data = {"error": error.as_dict()} | ({"hint": hint} if hint else {})
            print(json.dumps(data), file=sys.stderr)
        else:
            text = f"error: {error.summary()}" + (f" ({hint})" if hint else "")
            self.errors.print(text, markup=False, soft_wrap=True)


# -- the columns and detail views of each resource ---------------------------------------------

# Columns of ids: left out of tables unless --ids (SKUs, names and lots say the same to people).
ID_HEADERS = frozenset({"Id", "Line", "Batch id", "Product id", "Count id"})
# Columns of words, which may wrap; every other column is cut short rather than wrapped.
TEXT_HEADERS = frozenset({"Name", "Reason", "Notes", "Reference"})

PRODUCT_COLUMNS: list[Column[catalog_pb2.Product]] = [
    ("SKU", lambda p: p.sku),
    ("Barcode", lambda p: p.barcode or "-"),
    ("Name", lambda p: p.name),
    ("Stock", lambda p: p.stock_quantity),
    ("Tracking", lambda p: tracking(p.tracking)),
    ("Unit cost", lambda p: money(p.unit_cost)),
    ("Active", lambda p: yes_no(p.active)),
    ("Id", lambda p: p.id),
]

LEVEL_COLUMNS: list[Column[catalog_pb2.StockLevel]] = [
    ("Lot", lambda s: s.lot_number or "(unbatched)"),
    ("Quantity", lambda s: s.quantity),
    ("Expiry", lambda s: day(s.expiry_date)),
    ("Expired", expired),
    ("Batch id", lambda s: s.batch_id or "-"),
]


def level_columns(sku_of: Callable[[str], str]) -> list[Column[catalog_pb2.StockLevel]]:
    """LEVEL_COLUMNS with the product's SKU in front, for levels of several products."""
    return [("SKU", lambda s: sku_of(s.product_id)), *LEVEL_COLUMNS]


BATCH_COLUMNS: list[Column[catalog_pb2.Batch]] = [
    ("Lot", lambda b: b.lot_number),
    ("Quantity", lambda b: b.quantity),
    ("Expiry", lambda b: day(b.expiry_date)),
    ("Expired", lambda b: yes_no(b.expired)),
    ("Id", lambda b: b.id),
]


def batch_fields(batch: catalog_pb2.Batch) -> list[tuple[str, object]]:
    return [(header, value(batch)) for header, value in BATCH_COLUMNS]


LEDGER_COLUMNS: list[Column[catalog_pb2.LedgerEntry]] = [
    ("#", lambda e: e.sequence),
    ("Time", lambda e: when(e.create_time)),
    ("Source", lambda e: enum_name("LEDGER_SOURCE_", catalog_pb2.LedgerSource.Name(e.source))),
    ("Change", lambda e: f"{e.quantity_delta:+d}"),
    ("Before", lambda e: e.quantity_before),
    ("After", lambda e: e.quantity_after),
    ("Batch id", lambda e: e.batch_id or "-"),
    ("Reason", lambda e: e.reason or "-"),
    ("Reference", lambda e: e.source_reference or e.stock_adjustment_id or e.inventory_count_id),
    ("By", lambda e: e.actor),
]


def count_type(value: inventory_count_pb2.InventoryCountType.ValueType) -> str:
    return enum_name("INVENTORY_COUNT_TYPE_", inventory_count_pb2.InventoryCountType.Name(value))


def count_status(value: inventory_count_pb2.InventoryCountStatus.ValueType) -> str:
    name = inventory_count_pb2.InventoryCountStatus.Name(value)
    return enum_name("INVENTORY_COUNT_STATUS_", name)


COUNT_COLUMNS: list[Column[inventory_count_pb2.InventoryCount]] = [
    ("Name", lambda c: c.name),
    ("Id", lambda c: c.id),
    ("Type", lambda c: count_type(c.type) + (" (blind)" if c.blind else "")),
    ("Status", lambda c: count_status(c.status)),
    ("Started", lambda c: when(c.start_time)),
    ("By", lambda c: c.started_by),
    ("Lines", lambda c: c.statistics.items_counted),
    ("Discrepancies", lambda c: c.statistics.items_with_discrepancy),
    ("Net variance", lambda c: money(c.statistics.net_variance)),
]


def item_status(value: inventory_count_pb2.CountItemStatus.ValueType) -> str:
    return enum_name("COUNT_ITEM_STATUS_", inventory_count_pb2.CountItemStatus.Name(value))


ITEM_COLUMNS: list[Column[inventory_count_pb2.CountItem]] = [
    ("SKU", lambda i: i.sku),
    ("Lot", lambda i: i.lot_number or "-"),
    ("Expired", expired),
    ("Counted", lambda i: i.counted_quantity),
    ("Status", lambda i: item_status(i.status)),
    ("System", lambda i: optional(i, "system_quantity")),
    ("Variance", lambda i: optional(i, "variance")),
    ("Value", lambda i: money(i.variance_value) if i.HasField("variance_value") else "-"),
    (
        "Significant",
        lambda i: (
            yes_no(i.significant_discrepancy) if i.HasField("significant_discrepancy") else "-"
        ),
    ),
    ("Location", lambda i: i.location or "-"),
    ("Reason", lambda i: i.reason or "-"),
    ("By", lambda i: i.counted_by),
    ("Counted at", lambda i: when(i.count_time)),
    ("Line", lambda i: i.id),
    ("Batch id", lambda i: i.batch_id or "-"),
]


def count_fields(count: inventory_count_pb2.InventoryCount) -> list[tuple[str, object]]:
    stats = count.statistics
    pairs: list[tuple[str, object]] = [
        ("Id", count.id),
        ("Name", count.name),
        ("Type", count_type(count.type)),
        ("Blind", yes_no(count.blind)),
        ("Status", count_status(count.status)),
        ("Started", f"{when(count.start_time)} by {count.started_by}"),
    ]
    if count.completed_by:
        pairs.append(("Completed", f"{when(count.complete_time)} by {count.completed_by}"))
    if count.cancelled_by:
        pairs.append(("Cancelled", f"{when(count.cancel_time)} by {count.cancelled_by}"))
    if count.scoped:
        pairs.append(("Scope", f"{count.scope_product_count} products"))
    pairs += [("Notes", count.notes or "-"), ("Closing notes", count.close_notes or "-")]
    pairs += [
        ("Recount significant", yes_no(count.recount_significant)),
        ("Recounts pending", count.pending_recounts),
    ]
    if count.forced_completion_reason:
        pairs.append(("Forced completion", count.forced_completion_reason))
    if count.HasField("statistics"):
        pairs += [
            ("Lines counted", stats.items_counted),
            ("With discrepancy", stats.items_with_discrepancy),
            ("Value missing", money(stats.value_missing)),
            ("Value in excess", money(stats.value_in_excess)),
            ("Net variance", money(stats.net_variance)),
        ]
    return pairs


def adjustment_type(value: stock_adjustment_pb2.StockAdjustmentType.ValueType) -> str:
    name = stock_adjustment_pb2.StockAdjustmentType.Name(value)
    return enum_name("STOCK_ADJUSTMENT_TYPE_", name)


def adjustment_status(value: stock_adjustment_pb2.StockAdjustmentStatus.ValueType) -> str:
    name = stock_adjustment_pb2.StockAdjustmentStatus.Name(value)
    return enum_name("STOCK_ADJUSTMENT_STATUS_", name)


ADJUSTMENT_COLUMNS: list[Column[stock_adjustment_pb2.StockAdjustment]] = [
    ("Type", lambda a: adjustment_type(a.type)),
    ("Status", lambda a: adjustment_status(a.status)),
    ("Product id", lambda a: a.product_id),
    ("Batch id", lambda a: a.batch_id or "-"),
    ("Change", lambda a: f"{a.quantity_change:+d}"),
    ("Cost impact", lambda a: money(a.cost_impact)),
    ("Reason", lambda a: a.reason),
    ("By", lambda a: a.created_by),
    ("Created", lambda a: when(a.create_time)),
    ("Decided by", lambda a: a.decided_by or "-"),
    ("Id", lambda a: a.id),
]


def adjustment_columns(
    sku_of: Callable[[str], str],
) -> list[Column[stock_adjustment_pb2.StockAdjustment]]:
    """ADJUSTMENT_COLUMNS with the product's SKU (sku_of: product id -> SKU) in front."""
    return [("SKU", lambda a: sku_of(a.product_id)), *ADJUSTMENT_COLUMNS]


def adjustment_fields(adjustment: stock_adjustment_pb2.StockAdjustment) -> list[tuple[str, object]]:
    a = adjustment
    pairs: list[tuple[str, object]] = [
        ("Id", a.id),
        ("Product", a.product_id),
        ("Batch", a.batch_id or "-"),
        ("Type", adjustment_type(a.type)),
        ("Status", adjustment_status(a.status)),
        ("Change", f"{a.quantity_change:+d}"),
        ("Before / after", f"{optional(a, 'quantity_before')} / {optional(a, 'quantity_after')}"),
        ("Cost impact", money(a.cost_impact)),
        ("Needs approval", yes_no(a.requires_approval)),
        ("Reason", a.reason),
        ("Notes", a.notes or "-"),
        ("Reference", a.reference_number or "-"),
        ("Created", f"{when(a.create_time)} by {a.created_by}"),
    ]
    if a.decided_by:
        pairs.append(("Decided", f"{when(a.decide_time)} by {a.decided_by}"))
        pairs.append(("Decision notes", a.decision_notes or "-"))
    if a.inventory_count_id:
        pairs.append(("Count", a.inventory_count_id))
    return pairs
