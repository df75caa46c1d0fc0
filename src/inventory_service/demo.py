"""A small demo catalog, loaded on the first start of `make run`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from inventory_service.domain.catalog_rules import ProductDraft
from inventory_service.domain.enums import TrackingMode
from inventory_service.domain.gtin import with_check_digit
from inventory_service.domain.identity import Caller, Role
from inventory_service.domain.paging import PageRequest
from inventory_service.services.catalog.batches import BatchService
from inventory_service.services.catalog.products import ProductService

DEMO_CALLER = Caller("demo-loader", Role.ADMIN)

# sku, name, unit cost, unbatched opening stock, batches (lot, expiry, quantity); a product with
# batches is lot-tracked (all its stock in lots), the others hold unbatched stock.
DEMO_PRODUCTS: list[tuple[str, str, str, int, list[tuple[str, date, int]]]] = [
    (
        "PAR-500-24",
        "Paracetamol 500 mg, 24 tablets",
        "1.85",
        0,
        [("L2401", date(2027, 3, 31), 120), ("L2407", date(2027, 9, 30), 80)],
    ),
    ("IBU-200-16", "Ibuprofen 200 mg, 16 tablets", "2.40", 0, [("L2403", date(2027, 5, 31), 60)]),
    ("BND-ELAS-8", "Elastic bandage 8 cm", "3.10", 45, []),
    ("GLV-NIT-M", "Nitrile gloves M, box of 100", "7.95", 30, []),
    ("THERM-DIG", "Digital thermometer", "12.50", 12, []),
    ("SAN-GEL-500", "Hand sanitiser gel 500 ml", "4.20", 64, []),
]


def load_demo_catalog(products: ProductService, batches: BatchService) -> int:
    """Creates the demo products unless the catalog already has products; returns how many."""
    if products.list(DEMO_CALLER, PageRequest(size=1), show_inactive=True).items:
        return 0
    for i, (sku, name, cost, opening, lots) in enumerate(DEMO_PRODUCTS):
        view = products.create(
            DEMO_CALLER,
            ProductDraft(
                sku=sku,
                name=name,
                unit_cost=Decimal(cost),
                barcode=with_check_digit(f"400638133{i:03d}"),
                tracking=TrackingMode.LOT if lots else TrackingMode.NONE,
            ),
            opening_quantity=opening,
        )
        for lot, expiry, quantity in lots:
            batches.create(
                DEMO_CALLER,
                product_id=view.id,
                lot_number=lot,
                expiry_date=expiry,
                opening_quantity=quantity,
            )
    return len(DEMO_PRODUCTS)
