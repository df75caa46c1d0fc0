"""`inventory-client products`: the catalog (list, show, create, import FILE.csv, movements)."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
from google.type import money_pb2

from inventory.v1 import catalog_pb2
from inventory_client.cli.context import (
    PLACE_HELP,
    PRODUCT_HELP,
    App,
    InputError,
    json_option,
    limit_options,
    location_selector,
    page_size,
    pass_app,
    product_id,
    product_selector,
    show_list,
)
from inventory_client.cli.imports import ImportRow, csv_rows, request_id, run_import
from inventory_client.cli.render import (
    LEDGER_COLUMNS,
    LEVEL_COLUMNS,
    PLACED_LEVEL_COLUMNS,
    PRODUCT_COLUMNS,
    SITE_STOCK_COLUMNS,
    money,
    tracking,
    when,
    yes_no,
)

# Rows of one import get request ids derived from their content, so running an import again
# (after a crash, or on a file that grew) creates nothing twice (AIP-155).
IMPORT_NAMESPACE = uuid.UUID("5b0b6f0e-3c1e-4d7a-9a55-1f3c8e3b2d10")
IMPORT_COLUMNS = ("sku", "name", "unit_cost", "barcode", "opening_quantity")
TRACKING = {"none": catalog_pb2.TRACKING_MODE_NONE, "lot": catalog_pb2.TRACKING_MODE_LOT}


@click.group()
def products() -> None:
    """The catalog: products, their stock and its ledger."""


def unit_cost(text: str) -> money_pb2.Money:
    """A decimal amount in the service currency: 2.5, 0.125."""
    try:
        amount = Decimal(text)
    except InvalidOperation as error:
        raise ValueError(f"{text!r} is not an amount") from error
    if not amount.is_finite():
        raise ValueError(f"{text!r} is not an amount")
    units = int(amount)
    nanos = int((amount - units) * 1_000_000_000)
    return money_pb2.Money(units=units, nanos=nanos)


def _show_product(app: App, product: catalog_pb2.Product) -> None:
    def show() -> None:
        app.output.fields(
            f"Product {product.sku}",
            [
                ("Id", product.id),
                ("SKU", product.sku),
                ("Barcode", product.barcode or "-"),
                ("Name", product.name),
                ("Unit cost", money(product.unit_cost)),
                ("Active", yes_no(product.active)),
                ("Tracking", tracking(product.tracking)),
                ("Stock", product.stock_quantity),
                ("Created", when(product.create_time)),
                ("Updated", when(product.update_time)),
            ],
        )
        app.output.table(product.stock_levels, LEVEL_COLUMNS, title="Stock levels")
        if product.site_stocks:
            app.output.table(product.site_stocks, SITE_STOCK_COLUMNS, title="Stock by site")
        if product.location_levels:
            app.output.table(
                product.location_levels, PLACED_LEVEL_COLUMNS, title="Stock by location"
            )

    app.output.result(product, show)


@products.command("list")
@click.option("--inactive", is_flag=True, help="Include inactive products.")
@limit_options
@json_option
@pass_app
def list_products(app: App, inactive: bool, limit: int, all_pages: bool) -> None:
    """Products by SKU, with their stock."""
    request = catalog_pb2.ListProductsRequest(
        show_inactive=inactive, page_size=page_size(limit, all_pages)
    )
    found = app.client.iter_products(request)
    show_list(app, found, PRODUCT_COLUMNS, title="Products", limit=limit, all_pages=all_pages)


@products.command("show", epilog=PRODUCT_HELP)
@click.argument("product")
@click.option("--site", help="Only this site's stock (its code).")
@json_option
@pass_app
def show_product(app: App, product: str, site: str | None) -> None:
    """One product with its stock: per lot, per site and per location."""
    request = catalog_pb2.GetProductRequest(product=product_selector(product))
    if site:
        request.site.code = site
    _show_product(app, app.client.get_product(request).product)


@products.command("levels", epilog=f"{PRODUCT_HELP} {PLACE_HELP}")
@click.argument("product", required=False)
@click.option("--site", help="Only this site's levels (its code).")
@click.option("--at", "place", metavar="PLACE", help="Only this location's levels.")
@click.option("--zone", help="Only levels in locations of this zone.")
@click.option("--empty", is_flag=True, help="Include levels holding nothing.")
@limit_options
@json_option
@pass_app
def levels(
    app: App,
    product: str | None,
    site: str | None,
    place: str | None,
    zone: str | None,
    empty: bool,
    limit: int,
    all_pages: bool,
) -> None:
    """Stock by location: every level (of one product, when named) with its site and location,
    by site, location, SKU and lot."""
    request = catalog_pb2.ListStockLevelsRequest(
        zone=zone or "", include_empty=empty, page_size=min(page_size(limit, all_pages), 1000)
    )
    if product:
        request.product.CopyFrom(product_selector(product))
    if site:
        request.site.code = site
    if place:
        request.location.CopyFrom(location_selector(place))
    found = app.client.iter_stock_levels(request)
    title = f"Stock levels of {product}" if product else "Stock levels"
    show_list(app, found, PLACED_LEVEL_COLUMNS, title=title, limit=limit, all_pages=all_pages)


@products.command("create")
@click.option("--sku", required=True)
@click.option("--name", required=True)
@click.option("--cost", "cost", required=True, help="Unit cost, e.g. 2.50 (service currency).")
@click.option("--barcode", default="", help="GTIN (8, 12, 13 or 14 digits).")
@click.option(
    "--opening", default=0, type=click.IntRange(min=0), help="Units on hand now (unbatched)."
)
@click.option(
    "--tracking",
    "tracking_name",
    type=click.Choice(sorted(TRACKING)),
    default="none",
    show_default=True,
    help="lot: every unit in a batch (create them with their stock: no --opening).",
)
@click.option("--at", "place", metavar="PLACE", help="Where the opening stock sits.")
@json_option
@pass_app
def create_product(
    app: App,
    sku: str,
    name: str,
    cost: str,
    barcode: str,
    opening: int,
    tracking_name: str,
    place: str | None,
) -> None:
    """Creates a product (admins)."""
    try:
        price = unit_cost(cost)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--cost") from error
    request = catalog_pb2.CreateProductRequest(
        product=catalog_pb2.Product(
            sku=sku,
            name=name,
            barcode=barcode,
            unit_cost=price,
            tracking=TRACKING[tracking_name],
        ),
        opening_quantity=opening,
        opening_location=location_selector(place),
    )
    _show_product(app, app.client.create_product(request).product)


def import_rows(path: Path) -> list[ImportRow[catalog_pb2.CreateProductRequest]]:
    """Columns sku, name, unit_cost, and optional barcode, opening_quantity."""
    rows = []
    for line, values in csv_rows(path, IMPORT_COLUMNS, {"sku", "name", "unit_cost"}):
        try:
            price = unit_cost(values["unit_cost"])
            opening = int(values["opening_quantity"] or 0)
        except ValueError as error:
            raise InputError(f"{path}:{line}: {error}") from error
        request = catalog_pb2.CreateProductRequest(
            product=catalog_pb2.Product(
                sku=values["sku"], name=values["name"], barcode=values["barcode"], unit_cost=price
            ),
            opening_quantity=opening,
            request_id=request_id(IMPORT_NAMESPACE, values),
        )
        rows.append(ImportRow(line, values["sku"], request))
    return rows


@products.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_app
def import_products(app: App, file: Path) -> int:
    """Creates the products of a CSV file (admins).

    Columns: sku, name, unit_cost, and optionally barcode, opening_quantity. A row imported
    before (same values) is not created again, so an import can simply be run again.
    """
    return run_import(
        app,
        file,
        import_rows(file),
        lambda request: app.client.create_product(request).product,
        name="sku",
        resource="product",
    )


@products.command("movements", epilog=f"{PRODUCT_HELP} {PLACE_HELP}")
@click.argument("product")
@click.option("--batch-id", default="", help="Only this batch's entries.")
@click.option("--site", help="Only this site's entries (its code).")
@click.option("--at", "place", metavar="PLACE", help="Only this location's entries.")
@limit_options
@json_option
@pass_app
def movements(
    app: App,
    product: str,
    batch_id: str,
    site: str | None,
    place: str | None,
    limit: int,
    all_pages: bool,
) -> None:
    """A product's stock ledger, oldest first: every change of its stock, where and why."""
    request = catalog_pb2.ListStockMovementsRequest(
        product_id=product_id(app, product),
        batch_id=batch_id,
        page_size=page_size(limit, all_pages),
    )
    if site:
        request.site.code = site
    if place:
        request.location.CopyFrom(location_selector(place))
    entries = app.client.iter_stock_movements(request)
    title = f"Ledger of {product}"
    show_list(app, entries, LEDGER_COLUMNS, title=title, limit=limit, all_pages=all_pages)
