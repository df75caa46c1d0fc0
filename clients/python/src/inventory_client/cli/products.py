"""`inventory-client products`: the catalog (list, show, create, import FILE.csv, movements)."""

from __future__ import annotations

import uuid
from collections import Counter, deque
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
from google.protobuf import field_mask_pb2
from google.type import date_pb2, money_pb2

from inventory.v1 import catalog_pb2
from inventory_client.catalog_file import CatalogRow, read_catalog
from inventory_client.cli.context import (
    EXIT_OK,
    EXIT_PARTIAL,
    PRODUCT_HELP,
    QUANTITY,
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
    LEDGER_COLUMNS,
    LEVEL_COLUMNS,
    PRODUCT_COLUMNS,
    money,
    to_json,
    tracking,
    when,
    yes_no,
)
from inventory_client.errors import AlreadyExists, InventoryError, NotFound

# Rows of one import get request ids derived from their content, so running an import again
# (after a crash, or on a file that grew) creates nothing twice (AIP-155).
IMPORT_NAMESPACE = uuid.UUID("5b0b6f0e-3c1e-4d7a-9a55-1f3c8e3b2d10")
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
@json_option
@pass_app
def show_product(app: App, product: str) -> None:
    """One product with its stock levels."""
    request = catalog_pb2.GetProductRequest(product=product_selector(product))
    _show_product(app, app.client.get_product(request).product)


@products.command("create")
@click.option("--sku", required=True)
@click.option("--name", required=True)
@click.option("--cost", "cost", required=True, help="Unit cost, e.g. 2.50 (service currency).")
@click.option("--barcode", default="", help="GTIN (8, 12, 13 or 14 digits).")
@click.option("--opening", default=0, type=QUANTITY, help="Units on hand now (unbatched).")
@click.option(
    "--tracking",
    "tracking_name",
    type=click.Choice(sorted(TRACKING)),
    default="none",
    show_default=True,
    help="lot: every unit in a batch (create them with their stock: no --opening).",
)
@json_option
@pass_app
def create_product(
    app: App, sku: str, name: str, cost: str, barcode: str, opening: int, tracking_name: str
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
    )
    _show_product(app, app.client.create_product(request).product)


@dataclass
class ImportResult:
    line: int
    sku: str
    lot: str
    outcome: str  # created, updated, unchanged, lot added, lot exists, rejected
    product: catalog_pb2.Product | None = None
    error: InventoryError | None = None

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "line": self.line,
            "sku": self.sku,
            "lotNumber": self.lot,
            "result": self.outcome,
        }
        if self.product is not None:
            data["product"] = to_json(self.product)
        if self.error is not None:
            data["error"] = self.error.as_dict()
        return data


def _request_id(*values: object) -> str:
    """The same row gets the same request id in every run (AIP-155)."""
    return str(uuid.uuid5(IMPORT_NAMESPACE, "|".join(str(v) for v in values)))


def _money(amount: Decimal) -> money_pb2.Money:
    return unit_cost(str(amount))


def _product_of(row: CatalogRow) -> catalog_pb2.Product:
    return catalog_pb2.Product(
        sku=row.sku,
        name=row.name,
        barcode=row.barcode,
        unit_cost=_money(row.unit_cost),
        tracking=TRACKING[row.tracking],
    )


def _apply_product(app: App, row: CatalogRow) -> tuple[str, catalog_pb2.Product]:
    """Creates the row's product, or updates what differs: (outcome, product)."""
    wanted = _product_of(row)
    try:
        found = app.client.get_product(
            catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(sku=row.sku))
        ).product
    except NotFound:
        request = catalog_pb2.CreateProductRequest(
            product=wanted,
            opening_quantity=0 if row.lot_number else row.opening_quantity,
            request_id=_request_id(row.sku, row.name, row.unit_cost, row.barcode, row.tracking),
        )
        return "created", app.client.create_product(request).product
    changed = [
        name
        for name in ("name", "barcode", "tracking")
        if getattr(found, name) != getattr(wanted, name)
    ]
    cost = (found.unit_cost.units, found.unit_cost.nanos)
    if cost != (wanted.unit_cost.units, wanted.unit_cost.nanos):  # the currency is the server's
        changed.append("unit_cost")
    if not changed:
        return "unchanged", found
    wanted.id = found.id
    update = catalog_pb2.UpdateProductRequest(
        product=wanted, update_mask=field_mask_pb2.FieldMask(paths=changed)
    )
    return "updated", app.client.update_product(update).product


def _lot_numbers(app: App, product: catalog_pb2.Product) -> set[str]:
    request = catalog_pb2.ListBatchesRequest(product_id=product.id, page_size=500)
    return {batch.lot_number for batch in app.client.iter_batches(request)}


def _apply_lot(app: App, row: CatalogRow, product: catalog_pb2.Product, lots: set[str]) -> str:
    """Adds the row's lot to the product unless it has it (lots: the product's lot numbers)."""
    if row.lot_number in lots:
        return "lot exists"
    batch = catalog_pb2.Batch(product_id=product.id, lot_number=row.lot_number)
    if row.expiry_date is not None:
        batch.expiry_date.CopyFrom(
            date_pb2.Date(
                year=row.expiry_date.year, month=row.expiry_date.month, day=row.expiry_date.day
            )
        )
    request = catalog_pb2.CreateBatchRequest(
        batch=batch,
        opening_quantity=row.opening_quantity,
        request_id=_request_id(product.id, row.lot_number, row.expiry_date, row.opening_quantity),
    )
    try:
        app.client.create_batch(request)
    except AlreadyExists:  # added meanwhile by someone else
        return "lot exists"
    lots.add(row.lot_number)
    return "lot added"


@products.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-bad-rows", is_flag=True, help="Import the good rows even when some rows are bad."
)
@json_option
@pass_app
def import_products(app: App, file: Path, skip_bad_rows: bool) -> int:
    """Creates or updates the products (and lots) of a CSV file (admins).

    \b
    Columns: sku, name, unit_cost; optionally barcode, opening_quantity,
    tracking (none or lot), lot_number, expiry_date (YYYY-MM-DD). A row with a lot_number is
    a lot of a lot-tracked product, its opening_quantity that lot's stock.

    The whole file is checked first: every bad row is reported, and nothing is imported unless
    --skip-bad-rows. Each row then says created, updated or unchanged (a product that exists
    gets the file's name, barcode, cost and tracking; its stock changes only through the
    ledger), so an import can simply be run again.
    """
    catalog = read_catalog(file)
    if catalog.header_problem:
        raise InputError(f"{file}: {catalog.header_problem}")
    for problem in catalog.problems:
        app.output.note(f"{file}: {problem}")
    if catalog.problems and not skip_bad_rows:
        raise InputError(
            f"{file}: {len(catalog.problems)} bad row(s), nothing imported "
            "(fix them, or import the rest with --skip-bad-rows)"
        )
    results: list[ImportResult] = []
    products_done: dict[str, tuple[str, catalog_pb2.Product]] = {}
    lots_of: dict[str, set[str]] = {}
    with app.output.progress("importing", len(catalog.rows)) as advance:
        for row in catalog.rows:
            result = ImportResult(row.line, row.sku, row.lot_number, "rejected")
            try:
                if row.sku not in products_done:
                    products_done[row.sku] = _apply_product(app, row)
                outcome, result.product = products_done[row.sku]
                if row.lot_number:
                    if row.sku not in lots_of:
                        lots_of[row.sku] = _lot_numbers(app, result.product)
                    result.outcome = _apply_lot(app, row, result.product, lots_of[row.sku])
                else:
                    result.outcome = outcome
            except InventoryError as error:
                result.error = error
                app.output.note(f"{file}: row {row.line}, {row.sku}: {error.summary()}")
            results.append(result)
            advance()
    rejected = sum(1 for r in results if r.error is not None) + len(catalog.problems)
    if app.output.as_json:
        app.output.json([r.as_json() for r in results])
    else:
        tally = Counter(r.outcome for r in results)
        app.output.table(
            results,
            [
                ("Row", lambda r: r.line),
                ("SKU", lambda r: r.sku),
                ("Lot", lambda r: r.lot or "-"),
                ("Result", lambda r: r.error.reason if r.error else r.outcome),
            ],
            title=f"Import of {file.name}",
        )
        summary = ", ".join(f"{n} {outcome}" for outcome, n in tally.items())
        app.output.console.print(f"{len(results)} rows: {summary}", markup=False)
    return EXIT_PARTIAL if rejected else EXIT_OK


@products.command("movements", epilog=PRODUCT_HELP)
@click.argument("product")
@click.option("--batch-id", default="", help="Only this batch's entries.")
@limit_options
@json_option
@pass_app
def movements(app: App, product: str, batch_id: str, limit: int, all_pages: bool) -> None:
    """A product's stock ledger, oldest first: every change of its stock and why (--limit N:
    the newest N)."""
    request = catalog_pb2.ListStockMovementsRequest(
        product_id=product_id(app, product), batch_id=batch_id, page_size=500
    )
    entries = app.client.iter_stock_movements(request)
    if all_pages:
        newest = list(entries)
    else:
        kept: deque[catalog_pb2.LedgerEntry] = deque(maxlen=limit)
        total = 0
        for entry in entries:
            kept.append(entry)
            total += 1
        newest = list(kept)
        if total > limit:
            app.output.note(f"(newest {limit} of {total} shown; --limit N or --all for more)")
    title = f"Ledger of {product}"
    app.output.results(newest, lambda: app.output.table(newest, LEDGER_COLUMNS, title=title))
