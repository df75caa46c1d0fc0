"""`inventory-client sites` and `locations`: the places stock sits in (list, create, update,
deactivate; locations also import FILE.csv)."""

from __future__ import annotations

import uuid
from pathlib import Path

import click
import grpc
from google.protobuf import field_mask_pb2

from inventory.v1 import site_pb2
from inventory_client.cli.context import (
    PLACE_HELP,
    App,
    json_option,
    limit_options,
    page_size,
    pass_app,
    show_list,
)
from inventory_client.cli.imports import ImportRow, csv_rows, request_id, run_import
from inventory_client.cli.render import LOCATION_COLUMNS, SITE_COLUMNS
from inventory_client.errors import NotFound

# As for products: rows of one import get request ids derived from their content, so running
# an import again creates nothing twice (AIP-155).
IMPORT_NAMESPACE = uuid.UUID("8a7f3c52-1d0e-4c59-b1f4-6f2a0e9d4c31")
IMPORT_COLUMNS = ("site", "code", "name", "zone")


@click.group()
def sites() -> None:
    """Sites: warehouses, stores, pharmacies (each with its default location DEFAULT)."""


@click.group()
def locations() -> None:
    """Locations: the places inside a site where stock sits (bins, shelves, fridges)."""


def _active_option(command: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--active/--inactive",
        "active",
        default=None,
        help="Reactivate, or deactivate (refused while it holds stock or is being counted).",
    )(command)


def _show_sites(app: App, found: list[site_pb2.Site], title: str) -> None:
    app.output.results(found, lambda: app.output.table(found, SITE_COLUMNS, title=title))


def find_site(app: App, code: str) -> site_pb2.Site:
    """The site with this code (inactive ones too)."""
    wanted = code.upper()
    request = site_pb2.ListSitesRequest(show_inactive=True, page_size=500)
    for site in app.client.iter_sites(request):
        if site.code == wanted:
            return site
    raise NotFound(grpc.StatusCode.NOT_FOUND, f"site {code!r} not found", reason="SITE_NOT_FOUND")


@sites.command("list")
@click.option("--inactive", is_flag=True, help="Include inactive sites.")
@limit_options
@json_option
@pass_app
def list_sites(app: App, inactive: bool, limit: int, all_pages: bool) -> None:
    """Sites by code."""
    request = site_pb2.ListSitesRequest(
        show_inactive=inactive, page_size=page_size(limit, all_pages)
    )
    found = app.client.iter_sites(request)
    show_list(app, found, SITE_COLUMNS, title="Sites", limit=limit, all_pages=all_pages)


@sites.command("create")
@click.argument("code")
@click.option("--name", required=True)
@json_option
@pass_app
def create_site(app: App, code: str, name: str) -> None:
    """Creates a site, with its default location DEFAULT (admins)."""
    request = site_pb2.CreateSiteRequest(site=site_pb2.Site(code=code, name=name))
    _show_sites(app, [app.client.create_site(request).site], "Created")


@sites.command("update")
@click.argument("code")
@click.option("--code", "new_code", help="A new code.")
@click.option("--name")
@_active_option
@json_option
@pass_app
def update_site(
    app: App, code: str, new_code: str | None, name: str | None, active: bool | None
) -> None:
    """Renames or (de)activates a site (admins). The default site stays active."""
    site = site_pb2.Site(id=find_site(app, code).id)
    paths = _set(site, code=new_code, name=name, active=active)
    request = site_pb2.UpdateSiteRequest(
        site=site, update_mask=field_mask_pb2.FieldMask(paths=paths)
    )
    _show_sites(app, [app.client.update_site(request).site], "Updated")


def _set(message: site_pb2.Site | site_pb2.Location, **values: object) -> list[str]:
    """Sets the values given (not None) on message; their names, for an update mask."""
    paths = [name for name, value in values.items() if value is not None]
    if not paths:
        raise click.UsageError("nothing to change: give at least one option")
    for name in paths:
        setattr(message, name, values[name])
    return paths


def _show_locations(app: App, found: list[site_pb2.Location], title: str) -> None:
    app.output.results(found, lambda: app.output.table(found, LOCATION_COLUMNS, title=title))


def ascii_upper(code: str) -> str:
    """A code as the service keeps it: ASCII letters in upper case, nothing else changed."""
    return "".join(c.upper() if "a" <= c <= "z" else c for c in code)


def _split(place: str) -> tuple[str, str]:
    """SITE:CODE -> (site, code); CODE alone: in the default site ("")."""
    site, colon, code = place.partition(":")
    return (site, code) if colon else ("", place)


@locations.command("list")
@click.option("--site", help="Only this site's (its code).")
@click.option("--zone", help="Only this zone's.")
@click.option("--inactive", is_flag=True, help="Include inactive locations.")
@limit_options
@json_option
@pass_app
def list_locations(
    app: App, site: str | None, zone: str | None, inactive: bool, limit: int, all_pages: bool
) -> None:
    """Locations by site, then code."""
    request = site_pb2.ListLocationsRequest(
        zone=zone or "", show_inactive=inactive, page_size=page_size(limit, all_pages)
    )
    if site:
        request.site.code = site
    found = app.client.iter_locations(request)
    show_list(app, found, LOCATION_COLUMNS, title="Locations", limit=limit, all_pages=all_pages)


@locations.command("create", epilog=PLACE_HELP)
@click.argument("place")
@click.option("--name", default="")
@click.option("--zone", default="", help='A label grouping locations: "Aisle A", "Cold chain".')
@json_option
@pass_app
def create_location(app: App, place: str, name: str, zone: str) -> None:
    """Creates the location PLACE (SITE:CODE, or CODE in the default site) (admins)."""
    site, code = _split(place)
    request = site_pb2.CreateLocationRequest(
        location=site_pb2.Location(site_code=site, code=code, name=name, zone=zone)
    )
    _show_locations(app, [app.client.create_location(request).location], "Created")


def find_location(app: App, place: str) -> site_pb2.Location:
    """The location PLACE names (inactive ones too), found in its site's list."""
    site, code = _split(place)
    request = site_pb2.ListLocationsRequest(show_inactive=True, page_size=1000)
    if site:
        request.site.code = site
    else:  # the default site's
        listed = app.client.iter_sites(site_pb2.ListSitesRequest(show_inactive=True))
        request.site.code = next((s.code for s in listed if s.default_site), "")
    for location in app.client.iter_locations(request):
        if location.code == ascii_upper(code):
            return location
    raise NotFound(
        grpc.StatusCode.NOT_FOUND, f"location {place!r} not found", reason="LOCATION_NOT_FOUND"
    )


@locations.command("update", epilog=PLACE_HELP)
@click.argument("place")
@click.option("--code", "new_code", help="A new code.")
@click.option("--name")
@click.option("--zone")
@_active_option
@json_option
@pass_app
def update_location(
    app: App,
    place: str,
    new_code: str | None,
    name: str | None,
    zone: str | None,
    active: bool | None,
) -> None:
    """Renames, rezones or (de)activates a location (admins). Refused to deactivate a site's
    default location, one holding stock, or one a count in progress covers."""
    location = site_pb2.Location(id=find_location(app, place).id)
    paths = _set(location, code=new_code, name=name, zone=zone, active=active)
    request = site_pb2.UpdateLocationRequest(
        location=location, update_mask=field_mask_pb2.FieldMask(paths=paths)
    )
    _show_locations(app, [app.client.update_location(request).location], "Updated")


def import_rows(path: Path) -> list[ImportRow[site_pb2.CreateLocationRequest]]:
    """Columns site, code, and optional name, zone."""
    rows = []
    for line, values in csv_rows(path, IMPORT_COLUMNS, {"site", "code"}):
        request = site_pb2.CreateLocationRequest(
            location=site_pb2.Location(
                site_code=values["site"],
                code=values["code"],
                name=values["name"],
                zone=values["zone"],
            ),
            request_id=request_id(IMPORT_NAMESPACE, values),
        )
        rows.append(ImportRow(line, f"{values['site']}:{values['code']}", request))
    return rows


@locations.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_app
def import_locations(app: App, file: Path) -> int:
    """Creates the locations of a CSV file (admins).

    Columns: site, code, and optionally name, zone. A row imported before (same values) is not
    created again, so an import can simply be run again.
    """
    return run_import(
        app,
        file,
        import_rows(file),
        lambda request: app.client.create_location(request).location,
        name="place",
        resource="location",
    )
