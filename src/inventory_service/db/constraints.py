"""Database constraint violations, turned into the domain errors callers understand.

The service layer checks these rules first for a friendly message; the constraints are what
hold under races between threads and replicas."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

from inventory_service.domain.errors import Aborted, AlreadyExists, DomainError, FailedPrecondition

# Reasons of the races a batch of count entries can lose; it is then recorded again.
ENTRY_STORED_MEANWHILE = "ENTRY_STORED_MEANWHILE"
LINE_CREATED_MEANWHILE = "LINE_CREATED_MEANWHILE"

# Constraint (PostgreSQL name, or SQLite's "table.column" list) -> error to raise.
_KNOWN: list[tuple[tuple[str, ...], Callable[[], DomainError]]] = [
    (
        ("pk_idempotency_keys", "idempotency_keys.operation"),
        lambda: Aborted("a request with this request_id is in flight", reason="DUPLICATE_REQUEST"),
    ),
    (
        ("pk_count_entries", "count_entries.entry_id"),
        lambda: Aborted("a count entry was stored meanwhile", reason=ENTRY_STORED_MEANWHILE),
    ),
    (
        (
            "uq_count_items_inventory_count_id_product_id_batch_id",
            "uq_count_items_unbatched",
            "count_items.inventory_count_id, count_items.product_id",
        ),
        lambda: Aborted("a count line was created meanwhile", reason=LINE_CREATED_MEANWHILE),
    ),
    (
        ("uq_products_sku", "products.sku"),
        lambda: AlreadyExists(
            "a product with this SKU already exists", reason="SKU_TAKEN", field_name="sku"
        ),
    ),
    (
        ("uq_products_barcode", "products.barcode"),
        lambda: AlreadyExists(
            "a product with this barcode already exists",
            reason="BARCODE_TAKEN",
            field_name="barcode",
        ),
    ),
    (
        ("uq_batches_product_id_lot_number", "batches.product_id, batches.lot_number"),
        lambda: AlreadyExists(
            "this product already has a batch with this lot number",
            reason="LOT_NUMBER_TAKEN",
            field_name="lot_number",
        ),
    ),
    (
        ("uq_sites_code", "sites.code"),
        lambda: AlreadyExists(
            "a site with this code already exists", reason="SITE_CODE_TAKEN", field_name="code"
        ),
    ),
    (
        ("uq_locations_site_id_code", "locations.site_id, locations.code"),
        lambda: AlreadyExists(
            "this site already has a location with this code",
            reason="LOCATION_CODE_TAKEN",
            field_name="code",
        ),
    ),
    (
        ("pk_location_holds", "location_holds.location_id"),
        lambda: FailedPrecondition(
            "another inventory count in progress covers these locations",
            reason="COUNT_IN_PROGRESS",
        ),
    ),
    (
        ("ck_stock_levels_quantity_not_negative", "quantity_not_negative", "after_not_negative"),
        lambda: FailedPrecondition("stock cannot go below zero", reason="INSUFFICIENT_STOCK"),
    ),
]


def constraint_name(error: IntegrityError) -> str:
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name if isinstance(name, str) else str(error.orig)


def translate_integrity_error(error: IntegrityError) -> DomainError | IntegrityError:
    """The domain error for a known constraint; the IntegrityError itself otherwise."""
    name = constraint_name(error)
    for markers, make_error in _KNOWN:
        if any(marker in name for marker in markers):
            return make_error()
    return error
