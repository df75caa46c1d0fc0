"""CatalogService: products, batches, opening balances and stock movements."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from inventory_service.db.models import Batch, LedgerEntry, Product, StockLevel
from inventory_service.db.paging import Page, PageRequest
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from inventory_service.domain.enums import LedgerSource
from inventory_service.domain.errors import ErrorCollector, InvalidArgument, NotFound
from inventory_service.domain.gtin import gtin_problem
from inventory_service.domain.identity import Caller
from inventory_service.domain.money import is_micro_exact
from inventory_service.domain.quantities import TOO_LARGE, out_of_range
from inventory_service.services.idempotency import run_once
from inventory_service.services.stock_ledger import LedgerCause, StockLedger

SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")
MAX_NAME = 200
MAX_LOT = 64
MAX_TEXT = 500
MAX_MOVEMENTS = 1000


@dataclass(frozen=True)
class ProductDraft:
    """Product fields as a caller gives them. None means 'not given'."""

    sku: str | None = None
    barcode: str | None = None
    name: str | None = None
    unit_cost: Decimal | None = None
    active: bool | None = None


@dataclass(frozen=True)
class LevelView:
    level: StockLevel
    lot_number: str


@dataclass(frozen=True)
class ProductView:
    product: Product
    levels: list[LevelView] = field(default_factory=list)

    @property
    def stock_quantity(self) -> int:
        return sum(view.level.quantity for view in self.levels)


@dataclass(frozen=True)
class BatchView:
    batch: Batch
    quantity: int


@dataclass(frozen=True)
class MovementInput:
    product_id: str
    batch_id: str | None
    quantity_delta: int
    source_reference: str
    reason: str


@dataclass(frozen=True)
class ProductKey:
    """Exactly one of id, sku, barcode."""

    id: str = ""
    sku: str = ""
    barcode: str = ""


def find_product(uow: UnitOfWork, key: ProductKey, *, field_name: str = "product") -> Product:
    """The product a ProductKey names; NOT_FOUND or INVALID_ARGUMENT otherwise."""
    if key.id:
        product = uow.products.get(key.id)
        name = key.id
    elif key.sku:
        product = uow.products.by_sku(key.sku)
        name = f"sku:{key.sku}"
    elif key.barcode:
        product = uow.products.by_barcode(key.barcode)
        name = f"barcode:{key.barcode}"
    else:
        raise InvalidArgument.one(field_name, "give a product id, sku or barcode")
    if product is None:
        raise NotFound("product", name)
    return product


def find_batch(
    uow: UnitOfWork, product: Product, *, batch_id: str = "", lot_number: str = ""
) -> Batch | None:
    """The batch of product given by id or lot number; None when neither is given."""
    if batch_id:
        batch = uow.batches.get(batch_id)
        if batch is None or batch.product_id != product.id:
            raise NotFound("batch", batch_id)
        return batch
    if lot_number:
        batch = uow.batches.by_lot(product.id, lot_number)
        if batch is None:
            raise NotFound("batch", f"{product.sku}/lot:{lot_number}")
        return batch
    return None


class CatalogService:
    def __init__(self, uow_factory: UnitOfWorkFactory, *, currency: str = "USD") -> None:
        self.uow_factory = uow_factory
        self.currency = currency

    # -- products -------------------------------------------------------------------------

    def create_product(
        self,
        caller: Caller,
        draft: ProductDraft,
        *,
        opening_quantity: int = 0,
        request_id: str = "",
    ) -> ProductView:
        errors = ErrorCollector()
        self._check_product_fields(draft, errors, creating=True)
        if opening_quantity < 0:
            errors.add("opening_quantity", "must not be negative")
        elif out_of_range(opening_quantity):
            errors.add("opening_quantity", TOO_LARGE)
        errors.raise_if_any()

        def perform(uow: UnitOfWork) -> str:
            product = Product(
                sku=draft.sku,
                barcode=draft.barcode or None,
                name=draft.name,
                unit_cost=draft.unit_cost,
                active=True if draft.active is None else draft.active,
            )
            uow.products.add(product)
            uow.flush()
            StockLedger(uow).open_level(product.id, None, opening_quantity, actor=caller.user_id)
            return product.id

        return run_once(
            self.uow_factory,
            operation="CreateProduct",
            request_id=request_id,
            actor=caller.user_id,
            perform=perform,
            load=self._load_product,
        )

    def get_product(self, key: ProductKey) -> ProductView:
        with self.uow_factory(read_only=True) as uow:
            return self._view(uow, find_product(uow, key))

    def list_products(self, page: PageRequest, *, show_inactive: bool = False) -> Page[ProductView]:
        with self.uow_factory(read_only=True) as uow:
            result = uow.products.list_page(page, show_inactive=show_inactive)
            views = self._views(uow, result.items)
            return Page(views, result.next_key)

    def update_product(self, caller: Caller, product_id: str, draft: ProductDraft) -> ProductView:
        errors = ErrorCollector()
        self._check_product_fields(draft, errors, creating=False)
        errors.raise_if_any()
        with self.uow_factory() as uow:
            product = find_product(uow, ProductKey(id=product_id), field_name="product.id")
            if draft.sku is not None:
                product.sku = draft.sku
            if draft.barcode is not None:
                product.barcode = draft.barcode or None
            if draft.name is not None:
                product.name = draft.name
            if draft.unit_cost is not None:
                product.unit_cost = draft.unit_cost
            if draft.active is not None:
                product.active = draft.active
            product.updated_at = utcnow()
            uow.flush()
            view = self._view(uow, product)
            uow.commit()
            return view

    def _check_product_fields(
        self, draft: ProductDraft, errors: ErrorCollector, *, creating: bool
    ) -> None:
        if draft.sku is not None or creating:
            if not draft.sku:
                errors.add("product.sku", "required")
            elif not SKU_PATTERN.match(draft.sku):
                errors.add(
                    "product.sku",
                    "1-64 letters, digits or . _ - /, starting with a letter or digit",
                )
        if draft.barcode:
            problem = gtin_problem(draft.barcode)
            if problem:
                errors.add("product.barcode", f"not a GTIN: {problem}")
        if draft.name is not None or creating:
            if not draft.name or not draft.name.strip():
                errors.add("product.name", "required")
            elif len(draft.name) > MAX_NAME:
                errors.add("product.name", f"at most {MAX_NAME} characters")
        if draft.unit_cost is not None or creating:
            if draft.unit_cost is None:
                errors.add("product.unit_cost", "required")
            elif draft.unit_cost < 0:
                errors.add("product.unit_cost", "must not be negative")
            elif not is_micro_exact(draft.unit_cost):
                errors.add("product.unit_cost", "at most 6 decimal places")

    def _load_product(self, uow: UnitOfWork, product_id: str) -> ProductView:
        return self._view(uow, find_product(uow, ProductKey(id=product_id)))

    def _view(self, uow: UnitOfWork, product: Product) -> ProductView:
        return self._views(uow, [product])[0]

    def _views(self, uow: UnitOfWork, products: Sequence[Product]) -> list[ProductView]:
        levels = uow.stock_levels.for_products([p.id for p in products])
        batch_ids = [lv.batch_id for lvs in levels.values() for lv in lvs if lv.batch_id]
        lots = uow.stock_levels.lot_numbers(batch_ids)
        return [
            ProductView(p, [LevelView(lv, lots.get(lv.batch_id or "", "")) for lv in levels[p.id]])
            for p in products
        ]

    # -- batches --------------------------------------------------------------------------

    def create_batch(
        self,
        caller: Caller,
        *,
        product_id: str,
        lot_number: str,
        expiry_date: date | None,
        opening_quantity: int = 0,
        request_id: str = "",
    ) -> BatchView:
        errors = ErrorCollector()
        if not product_id:
            errors.add("batch.product_id", "required")
        if not lot_number.strip():
            errors.add("batch.lot_number", "required")
        elif len(lot_number) > MAX_LOT:
            errors.add("batch.lot_number", f"at most {MAX_LOT} characters")
        if opening_quantity < 0:
            errors.add("opening_quantity", "must not be negative")
        elif out_of_range(opening_quantity):
            errors.add("opening_quantity", TOO_LARGE)
        errors.raise_if_any()

        def perform(uow: UnitOfWork) -> str:
            product = find_product(uow, ProductKey(id=product_id), field_name="batch.product_id")
            batch = Batch(product_id=product.id, lot_number=lot_number, expiry_date=expiry_date)
            uow.batches.add(batch)
            uow.flush()
            StockLedger(uow).open_level(
                product.id, batch.id, opening_quantity, actor=caller.user_id
            )
            return batch.id

        return run_once(
            self.uow_factory,
            operation="CreateBatch",
            request_id=request_id,
            actor=caller.user_id,
            perform=perform,
            load=self._load_batch,
        )

    def list_batches(self, product_id: str, page: PageRequest) -> Page[BatchView]:
        with self.uow_factory(read_only=True) as uow:
            product = find_product(uow, ProductKey(id=product_id), field_name="product_id")
            result = uow.batches.list_page(product.id, page)
            return Page([self._batch_view(uow, b) for b in result.items], result.next_key)

    def _load_batch(self, uow: UnitOfWork, batch_id: str) -> BatchView:
        batch = uow.batches.get(batch_id)
        if batch is None:
            raise NotFound("batch", batch_id)
        return self._batch_view(uow, batch)

    def _batch_view(self, uow: UnitOfWork, batch: Batch) -> BatchView:
        level = uow.stock_levels.get(batch.product_id, batch.id)
        return BatchView(batch, level.quantity if level else 0)

    # -- stock movements ------------------------------------------------------------------

    def record_movements(
        self, caller: Caller, movements: Sequence[MovementInput], *, request_id: str = ""
    ) -> list[LedgerEntry]:
        errors = ErrorCollector()
        if not movements:
            errors.add("movements", "at least one movement")
        if len(movements) > MAX_MOVEMENTS:
            errors.add("movements", f"at most {MAX_MOVEMENTS} per call")
        for i, m in enumerate(movements):
            if not m.product_id:
                errors.add(f"movements[{i}].product_id", "required")
            if m.quantity_delta == 0:
                errors.add(f"movements[{i}].quantity_delta", "must not be zero")
            elif out_of_range(m.quantity_delta):
                errors.add(f"movements[{i}].quantity_delta", TOO_LARGE)
            if not m.source_reference.strip():
                errors.add(f"movements[{i}].source_reference", "required")
            elif len(m.source_reference) > 200:
                errors.add(f"movements[{i}].source_reference", "at most 200 characters")
            if len(m.reason) > MAX_TEXT:
                errors.add(f"movements[{i}].reason", f"at most {MAX_TEXT} characters")
        errors.raise_if_any()

        def perform(uow: UnitOfWork) -> str:
            operation_id = str(uuid.uuid4())
            ledger = StockLedger(uow)
            # Lock in a fixed order so two calls touching the same levels cannot deadlock.
            keys = sorted({(m.product_id, m.batch_id or "") for m in movements})
            levels = {}
            for product_id, batch_id in keys:
                product = find_product(uow, ProductKey(id=product_id))
                batch = find_batch(uow, product, batch_id=batch_id)
                levels[(product_id, batch_id)] = ledger.lock_level(
                    product.id, batch.id if batch else None
                )
            for m in movements:
                cause = LedgerCause(
                    LedgerSource.MOVEMENT,
                    caller.user_id,
                    reason=m.reason,
                    source_reference=m.source_reference,
                    operation_id=operation_id,
                )
                ledger.apply(levels[(m.product_id, m.batch_id or "")], m.quantity_delta, cause)
            uow.flush()
            return operation_id

        return run_once(
            self.uow_factory,
            operation="RecordStockMovements",
            request_id=request_id,
            actor=caller.user_id,
            perform=perform,
            load=lambda uow, operation_id: uow.ledger.by_operation(operation_id),
        )

    def list_movements(
        self, product_id: str, batch_id: str, page: PageRequest
    ) -> Page[LedgerEntry]:
        with self.uow_factory(read_only=True) as uow:
            product = find_product(uow, ProductKey(id=product_id), field_name="product_id")
            batch = find_batch(uow, product, batch_id=batch_id)
            return uow.ledger.list_page(product.id, batch.id if batch else None, page)
