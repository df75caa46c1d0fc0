"""`inventory-client counts assign | unassign | tasks | left | progress`: who counts which
location of a count, what is left to count there, and the progress per location."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import click

from inventory.v1 import inventory_count_pb2 as counts_pb2
from inventory.v1 import site_pb2
from inventory_client.cli.context import (
    App,
    json_option,
    limit_options,
    page_size,
    pass_app,
    show_list,
)
from inventory_client.cli.render import Column, day, when

LOCATION_HELP = (
    "A LOCATION is a location's code in the count's site (A-01), or SITE:CODE, or SITE: for "
    "the site's default location."
)


def count_location(ref: str) -> site_pb2.LocationSelector:
    """A location of a count as typed on a command line (LOCATION_HELP). Codes hold no ':', so
    the first one splits the site from the location."""
    site, colon, code = ref.partition(":")
    if not colon:
        return site_pb2.LocationSelector(code=ref)
    return site_pb2.LocationSelector(site_code=site, code=code)


location_option = click.option(
    "--location",
    "locations",
    multiple=True,
    metavar="LOCATION",
    help="A location of the count (repeat).",
)
zone_option = click.option(
    "--zone", "zones", multiple=True, help="Every location of the count in this zone (repeat)."
)

TASK_COLUMNS: list[Column[counts_pb2.CountTask]] = [
    ("Count", lambda t: t.inventory_count_name),
    ("Location", lambda t: t.location_code),
    ("Zone", lambda t: t.zone or "-"),
    ("Counter", lambda t: t.assignee),
    ("Levels", lambda t: f"{t.levels_counted} of {t.levels_expected}"),
    ("Assigned", lambda t: f"{when(t.assign_time)} by {t.assigned_by}"),
    ("Count id", lambda t: t.inventory_count_id),
]

LEFT_COLUMNS: list[Column[counts_pb2.LevelToCount]] = [
    ("Location", lambda lv: lv.location_code),
    ("Zone", lambda lv: lv.zone or "-"),
    ("SKU", lambda lv: lv.sku),
    ("Name", lambda lv: lv.name),
    ("Lot", lambda lv: lv.lot_number or "-"),
    ("Expiry", lambda lv: day(lv.expiry_date)),
    ("System", lambda lv: lv.system_quantity if lv.HasField("system_quantity") else "-"),
]

PROGRESS_COLUMNS: list[Column[counts_pb2.LocationProgress]] = [
    ("Location", lambda p: p.location_code),
    ("Zone", lambda p: p.zone or "-"),
    ("Counted", lambda p: f"{p.levels_counted} of {p.levels_expected}"),
    ("Lines", lambda p: p.lines),
    ("Counted by", lambda p: ", ".join(p.counted_by) or "-"),
    ("Last counted", lambda p: when(p.last_count_time) if p.HasField("last_count_time") else "-"),
    ("Assigned to", lambda p: ", ".join(p.assignees) or "-"),
]


def task_command(name: str) -> Callable[[Callable[..., None]], click.Command]:
    """assign and unassign: COUNT_ID, ASSIGNEES..., --location, --zone."""

    def decorate(function: Callable[..., None]) -> click.Command:
        command: Any = function
        for option in (
            pass_app,
            json_option,
            zone_option,
            location_option,
            click.argument("assignees", nargs=-1, required=True),
            click.argument("count_id"),
            click.command(name, epilog=LOCATION_HELP),
        ):
            command = option(command)
        return cast(click.Command, command)

    return decorate


def _show_tasks(app: App, found: Sequence[counts_pb2.CountTask], title: str) -> None:
    tasks = list(found)
    app.output.results(tasks, lambda: app.output.table(tasks, TASK_COLUMNS, title=title))


@task_command("assign")
def assign(
    app: App,
    count_id: str,
    assignees: tuple[str, ...],
    locations: tuple[str, ...],
    zones: tuple[str, ...],
) -> None:
    """Assigns locations (--location) and zones (--zone) of count COUNT_ID to the counters
    ASSIGNEES (user ids; managers)."""
    request = counts_pb2.AssignCountTasksRequest(
        inventory_count_id=count_id,
        assignees=assignees,
        locations=[count_location(ref) for ref in locations],
        zones=zones,
    )
    _show_tasks(app, app.client.assign_count_tasks(request).tasks, "Tasks")


@task_command("unassign")
def unassign(
    app: App,
    count_id: str,
    assignees: tuple[str, ...],
    locations: tuple[str, ...],
    zones: tuple[str, ...],
) -> None:
    """Takes tasks of count COUNT_ID back from ASSIGNEES: those of the locations and zones
    given, or all of theirs (managers)."""
    request = counts_pb2.UnassignCountTasksRequest(
        inventory_count_id=count_id,
        assignees=assignees,
        locations=[count_location(ref) for ref in locations],
        zones=zones,
    )
    _show_tasks(app, app.client.unassign_count_tasks(request).tasks, "Removed")


@click.command("tasks")
@click.argument("count_id", required=False, default="")
@click.option("--assignee", default="", help="Whose tasks (default: yours).")
@limit_options
@json_option
@pass_app
def tasks(app: App, count_id: str, assignee: str, limit: int, all_pages: bool) -> None:
    """Your count tasks (or --assignee's) with the levels counted of those expected: of
    COUNT_ID, or of every count in progress."""
    request = counts_pb2.ListCountTasksRequest(
        inventory_count_id=count_id,
        assignee=assignee,
        page_size=page_size(limit, all_pages),
    )
    found = app.client.iter_count_tasks(request)
    show_list(app, found, TASK_COLUMNS, title="Tasks", limit=limit, all_pages=all_pages)


@click.command("left", epilog=LOCATION_HELP)
@click.argument("count_id")
@click.option("--location", default="", metavar="LOCATION", help="Only this location.")
@limit_options
@json_option
@pass_app
def left(app: App, count_id: str, location: str, limit: int, all_pages: bool) -> None:
    """The levels count COUNT_ID has not counted yet: in your tasks' locations (or in
    --location, or in all of the count's when you have none)."""
    request = counts_pb2.ListLevelsToCountRequest(
        inventory_count_id=count_id,
        location=count_location(location) if location else None,
        page_size=page_size(limit, all_pages),
    )
    found = app.client.iter_levels_to_count(request)
    show_list(app, found, LEFT_COLUMNS, title="Left to count", limit=limit, all_pages=all_pages)


@click.command("progress")
@click.argument("count_id")
@click.option("--zone", default="", help="Only the locations of this zone.")
@limit_options
@json_option
@pass_app
def progress(app: App, count_id: str, zone: str, limit: int, all_pages: bool) -> None:
    """Count COUNT_ID's progress per location, and over all of them (managers)."""
    request = counts_pb2.GetCountProgressRequest(
        inventory_count_id=count_id, zone=zone, page_size=page_size(limit, all_pages)
    )
    first = app.client.get_count_progress(request)

    def show() -> None:
        found = app.client.iter_count_progress(request)
        show_list(app, found, PROGRESS_COLUMNS, title="Progress", limit=limit, all_pages=all_pages)
        app.output.fields(
            "Over the count" + (f" (zone {zone})" if zone else ""),
            [
                ("Levels counted", f"{first.levels_counted} of {first.levels_expected}"),
                ("Locations done", f"{first.locations_done} of {first.location_count}"),
            ],
        )

    app.output.result(first, show)


COUNT_TASK_COMMANDS: list[click.Command] = [assign, unassign, tasks, left, progress]
