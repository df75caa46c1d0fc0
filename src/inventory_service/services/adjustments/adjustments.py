"""AdjustmentService: manual stock adjustments and their manager approval workflow.

The rules themselves (signs, thresholds, who may decide) live in domain/adjustment_rules.py;
this module runs them inside one transaction each and moves stock only through StockLedger."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TypeVar

from inventory_service.db.models import StockAdjustment, new_id
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from inventory_service.domain.adjustment_rules import (
    AdjustmentDraft,
    Decision,
    check_draft,
    check_notes,
    ensure_decidable,
    requires_approval,
)
from inventory_service.domain.enums import AdjustmentStatus, AdjustmentType
from inventory_service.domain.errors import InvalidArgument, NotFound
from inventory_service.domain.identity import Caller
from inventory_service.domain.lot_rules import check_batch_named
from inventory_service.domain.money import line_value
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.domain.places import DEFAULT_SITE, LocationKey, SiteKey
from inventory_service.domain.thresholds import Thresholds
from inventory_service.services.adjustments.adjustment_views import (
    AdjustmentView,
    PendingApprovals,
    adjustment_view,
)
from inventory_service.services.catalog.lookups import find_batch, product_row
from inventory_service.services.idempotency import run_once
from inventory_service.services.site_scope import (
    ensure_site_readable,
    ensure_sites_allowed,
    readable_sites,
)
from inventory_service.services.stock_ledger import StockLedger
from inventory_service.services.stock_places import StockPlaces

T = TypeVar("T")


@dataclass(frozen=True)
class AdjustmentFilter:
    """Conditions of ListStockAdjustments; None means 'any'. Times are inclusive."""

    created_from: datetime | None = None
    created_to: datetime | None = None
    product_id: str | None = None
    type: AdjustmentType | None = None
    status: AdjustmentStatus | None = None
    site: SiteKey = DEFAULT_SITE


def _found(adjustment_id: str, found: T | None) -> T:
    if not adjustment_id:
        raise InvalidArgument.one("stock_adjustment_id", "required")
    if found is None:
        raise NotFound("stock adjustment", adjustment_id, reason="STOCK_ADJUSTMENT_NOT_FOUND")
    return found


def find_adjustment(uow: UnitOfWork, adjustment_id: str, *, lock: bool = False) -> StockAdjustment:
    """The mapped adjustment, to change it (with lock, its row locked)."""
    found = uow.adjustments.get(adjustment_id, lock=lock) if adjustment_id else None
    return _found(adjustment_id, found)


def _load(uow: UnitOfWork, adjustment_id: str) -> AdjustmentView:
    """The adjustment as its lists show it; pending changes must be flushed first."""
    found = uow.adjustments.row(adjustment_id) if adjustment_id else None
    return adjustment_view(_found(adjustment_id, found))


class AdjustmentService:
    def __init__(self, uow_factory: UnitOfWorkFactory, *, thresholds: Thresholds) -> None:
        self.uow_factory = uow_factory
        self.thresholds = thresholds

    def create(
        self, caller: Caller, draft: AdjustmentDraft, *, request_id: str = ""
    ) -> AdjustmentView:
        """APPLIED at once when no approval is needed, else PENDING with stock untouched.
        Either way it must not take stock below zero now."""
        check_draft(draft)
        adjustment_type = draft.type
        assert adjustment_type is not None  # check_draft refuses a draft without one

        def perform(uow: UnitOfWork) -> str:
            product = product_row(uow, draft.product_id, field_name="product_id", lock="share")
            check_batch_named(
                product.tracking,
                product.sku,
                names_batch=bool(draft.batch_id),
                field_name="batch_id",
            )
            batch = find_batch(uow, product, batch_id=draft.batch_id)
            place = StockPlaces(uow, caller).of(draft.location, "location").place
            cost_impact = line_value(draft.quantity_change, product.unit_cost)
            needs_approval = requires_approval(
                adjustment_type, draft.quantity_change, cost_impact, self.thresholds
            )
            adjustment = StockAdjustment(
                id=new_id(),
                product_id=product.id,
                batch_id=batch.id if batch else None,
                type=adjustment_type.value,
                quantity_change=draft.quantity_change,
                reason=draft.reason,
                notes=draft.notes,
                reference_number=draft.reference_number,
                cost_impact=cost_impact,
                requires_approval=needs_approval,
                status=AdjustmentStatus.PENDING.value,
                created_by=caller.user_id,
                location_id=place.location_id,
                site_id=place.site_id,
            )
            uow.adjustments.add(adjustment)
            ledger = StockLedger(uow)
            if needs_approval:
                # Refused now if it could not be applied now; approval checks again later.
                level = ledger.lock_or_create_level(
                    adjustment.product_id, adjustment.batch_id, place
                )
                ledger.check(level, adjustment.quantity_change)
            else:
                ledger.apply_adjustment(adjustment, actor=caller.user_id)
            uow.flush()
            return adjustment.id

        def load(uow: UnitOfWork, adjustment_id: str) -> AdjustmentView:
            view = _load(uow, adjustment_id)
            ensure_sites_allowed(caller, [view.site_code])
            return view

        operation = "CreateStockAdjustment"
        return run_once(
            self.uow_factory, operation, request_id, caller, perform, load, content=draft
        )

    def get(self, caller: Caller, adjustment_id: str) -> AdjustmentView:
        """SITE_NOT_ALLOWED for an adjustment of a site the caller's claim does not allow."""
        with self.uow_factory(read_only=True) as uow:
            found = _load(uow, adjustment_id)
            ensure_site_readable(uow, caller, found.site_id)
            return found

    def list(
        self, caller: Caller, where: AdjustmentFilter, page: PageRequest
    ) -> Page[AdjustmentView]:
        """Newest first, in the site named or those the caller may see."""
        if where.created_from and where.created_to and where.created_from > where.created_to:
            raise InvalidArgument.one("create_time_from", "must not be after create_time_to")
        with self.uow_factory(read_only=True) as uow:
            site_ids = readable_sites(uow, caller, where.site)
            conditions = {k: v for k, v in asdict(where).items() if k != "site"}
            found = uow.adjustments.list_page(page, site_ids=site_ids, **conditions)
            return found.map(adjustment_view)

    def list_pending(
        self, caller: Caller, page: PageRequest, *, site: SiteKey = DEFAULT_SITE
    ) -> Page[AdjustmentView]:
        """Oldest first, in the site named or those the caller may see."""
        with self.uow_factory(read_only=True) as uow:
            site_ids = readable_sites(uow, caller, site)
            found = uow.adjustments.pending_page(page, site_ids=site_ids)
            return found.map(adjustment_view)

    def pending_approvals(self) -> PendingApprovals:
        """How many adjustments wait for a decision, and since when the oldest."""
        with self.uow_factory(read_only=True) as uow:
            return PendingApprovals(*uow.adjustments.pending_summary())

    def list_for_product(
        self, caller: Caller, product_id: str, page: PageRequest
    ) -> Page[AdjustmentView]:
        """One product's adjustments in the sites the caller may see, newest first;
        NOT_FOUND for an unknown product."""
        if not product_id:
            raise InvalidArgument.one("product_id", "required")
        with self.uow_factory(read_only=True) as uow:
            product = product_row(uow, product_id, field_name="product_id")
            site_ids = readable_sites(uow, caller)
            found = uow.adjustments.list_page(page, product_id=product.id, site_ids=site_ids)
            return found.map(adjustment_view)

    def approve(self, caller: Caller, adjustment_id: str, notes: str = "") -> AdjustmentView:
        """Applies a PENDING adjustment now, with before/after taken at this moment, at its
        location (which must still take stock changes)."""
        check_notes(notes, required=False)
        with self.uow_factory() as uow:
            # The row lock makes a racing second approval wait, then see APPLIED.
            adjustment = find_adjustment(uow, adjustment_id, lock=True)
            ensure_site_readable(uow, caller, adjustment.site_id)
            ensure_decidable(adjustment, caller, Decision.APPROVE)
            StockPlaces(uow, caller).of(LocationKey(id=adjustment.location_id), "location")
            StockLedger(uow).apply_adjustment(adjustment, actor=caller.user_id)
            self._record_decision(adjustment, caller, notes)
            uow.flush()
            view = _load(uow, adjustment.id)
            uow.commit()
            return view

    def reject(self, caller: Caller, adjustment_id: str, notes: str) -> AdjustmentView:
        """Closes a PENDING adjustment without touching stock; notes say why."""
        check_notes(notes, required=True)
        with self.uow_factory() as uow:
            adjustment = find_adjustment(uow, adjustment_id, lock=True)
            ensure_site_readable(uow, caller, adjustment.site_id)
            ensure_decidable(adjustment, caller, Decision.REJECT)
            adjustment.status = AdjustmentStatus.REJECTED.value
            self._record_decision(adjustment, caller, notes)
            uow.flush()
            view = _load(uow, adjustment.id)
            uow.commit()
            return view

    @staticmethod
    def _record_decision(adjustment: StockAdjustment, caller: Caller, notes: str) -> None:
        adjustment.decided_by = caller.user_id
        adjustment.decided_at = utcnow()
        adjustment.decision_notes = notes
