"""Cycle-count plans: the products due for counting (ABC classes, domain/cycle_plan.py), the
scope a count starts with, and record accuracy per class."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from inventory_service.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from inventory_service.domain.count_scope import (
    CountScope,
    nothing_due_error,
    unique_ids,
    unknown_products_error,
)
from inventory_service.domain.cycle_plan import ClassAccuracy, CyclePlan, days_overdue
from inventory_service.domain.enums import AbcClass, CountStatus
from inventory_service.domain.money import from_micros
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.services.base import Service


@dataclass(frozen=True)
class ProductDueView:
    product_id: str
    sku: str
    name: str
    abc_class: AbcClass
    consumption_value: Decimal
    last_counted_at: datetime | None
    due_at: datetime
    days_overdue: int


def attach_scope(
    uow: UnitOfWork, count_id: str, scope: CountScope, plan: CyclePlan, now: datetime
) -> None:
    """Writes the scope of a new count (its row flushed): the products named, which must all
    exist, or those due now; nothing due is an error (the start is rolled back)."""
    if scope.product_ids:
        ids = unique_ids(scope.product_ids)
        found = uow.cycle_plans.existing_products(ids)
        unknown = [p for p in ids if p not in found]
        if unknown:
            raise unknown_products_error(unknown, scope.product_ids)
        uow.cycle_plans.add_scope(count_id, ids)
    elif not uow.cycle_plans.scope_due_products(count_id, plan, now, scope.abc_class):
        raise nothing_due_error(scope.abc_class)


class CyclePlans(Service):
    def __init__(self, uow_factory: UnitOfWorkFactory, plan: CyclePlan) -> None:
        super().__init__(uow_factory)
        self.plan = plan

    def due(
        self,
        page: PageRequest,
        *,
        abc_class: AbcClass | None,
        include_not_due: bool,
        now: datetime | None = None,
    ) -> Page[ProductDueView]:
        """Products due for counting (the whole plan with include_not_due), most overdue
        first."""
        now = now or datetime.now(UTC)
        with self.uow_factory(read_only=True) as uow:
            result = uow.cycle_plans.due_page(
                self.plan, now, page, abc=abc_class, include_not_due=include_not_due
            )
        views = []
        for p in result.items:
            due_at = datetime.fromtimestamp(p.due_seconds, UTC)
            views.append(
                ProductDueView(
                    p.product_id,
                    p.sku,
                    p.name,
                    p.abc_class,
                    from_micros(p.value_micros),
                    p.last_counted_at,
                    due_at,
                    days_overdue(due_at, now),
                )
            )
        return Page(views, result.next_key)


def class_accuracy(
    uow: UnitOfWork,
    plan: CyclePlan,
    *,
    started_from: datetime | None,
    started_to: datetime | None,
    include_blind_lines: bool,
    status: CountStatus | None = None,
) -> list[ClassAccuracy]:
    """Record accuracy of A, B and C (in that order) over the matching counts' lines."""
    figures = uow.cycle_plans.accuracy_by_class(
        plan,
        started_from=started_from,
        started_to=started_to,
        include_blind_lines=include_blind_lines,
        status=status,
    )
    return [ClassAccuracy(abc, *figures[abc]) for abc in AbcClass]
