"""`inventory-client counts due`, and what the other count commands show of cycle-count plans:
ABC classes, scopes and record accuracy per class."""

from __future__ import annotations

import itertools

import click

from inventory.v1 import inventory_count_pb2 as counts_pb2
from inventory_client.cli.context import App, choice_of, json_option, pass_app
from inventory_client.cli.render import Column, enum_name, money, when

CLASSES = {"a": counts_pb2.ABC_CLASS_A, "b": counts_pb2.ABC_CLASS_B, "c": counts_pb2.ABC_CLASS_C}
class_option = click.option(
    "--class", "abc", type=choice_of(CLASSES), help="Only products of this ABC class."
)


def abc_name(value: counts_pb2.AbcClass.ValueType) -> str:
    return enum_name("ABC_CLASS_", counts_pb2.AbcClass.Name(value)).upper()


def abc_value(abc: str | None) -> counts_pb2.AbcClass.ValueType:
    return CLASSES[abc.lower()] if abc else counts_pb2.ABC_CLASS_UNSPECIFIED


DUE_COLUMNS: list[Column[counts_pb2.ProductDueForCount]] = [
    ("SKU", lambda p: p.sku),
    ("Name", lambda p: p.name),
    ("Class", lambda p: abc_name(p.abc_class)),
    ("Consumption", lambda p: money(p.consumption_value)),
    ("Last counted", lambda p: when(p.last_count_time)),
    ("Due", lambda p: when(p.due_time)),
    ("Days overdue", lambda p: p.days_overdue),
]

ACCURACY_COLUMNS: list[Column[counts_pb2.AbcClassAccuracy]] = [
    ("Class", lambda c: abc_name(c.abc_class)),
    ("Lines", lambda c: c.items_counted),
    ("Within tolerance", lambda c: c.items_within_tolerance),
    ("Accuracy", lambda c: f"{c.accuracy:.1%}"),
]


@click.command("due")
@class_option
@click.option("--all", "whole_plan", is_flag=True, help="The whole plan, also products not due.")
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(min=1), help="At most N."
)
@json_option
@pass_app
def due(app: App, abc: str | None, whole_plan: bool, limit: int) -> None:
    """Products due for a cycle count (ABC classes), most overdue first."""
    request = counts_pb2.ListProductsDueForCountRequest(
        abc_class=abc_value(abc), include_not_due=whole_plan, page_size=min(limit + 1, 500)
    )
    found = list(itertools.islice(app.client.iter_products_due_for_count(request), limit + 1))
    if len(found) > limit:
        app.output.note(f"(first {limit} shown; --limit N for more)")
    found = found[:limit]
    title = "Cycle-count plan" if whole_plan else "Due for counting"
    app.output.results(found, lambda: app.output.table(found, DUE_COLUMNS, title=title))
