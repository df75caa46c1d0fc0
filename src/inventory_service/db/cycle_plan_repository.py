"""Cycle-count plans in SQL (SQLite and PostgreSQL alike): each active product's ABC class by
consumption value (window functions, the rule of domain/cycle_plan.py), when it is due for
counting, the scopes of counts, and record accuracy per class."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Subquery,
    and_,
    case,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy import type_coerce as coerce
from sqlalchemy.orm import Session

from inventory_service.db.keyset import check_key
from inventory_service.db.models import (
    CountItem,
    CountScopeProduct,
    InventoryCount,
    LedgerEntry,
    Product,
)
from inventory_service.db.sql_time import days_ago, epoch_seconds
from inventory_service.domain.cycle_plan import SECONDS_PER_DAY, CyclePlan
from inventory_service.domain.enums import AbcClass, CountStatus, LedgerSource
from inventory_service.domain.paging import Page, PageRequest

# Lists of ids go to the database in chunks: SQLite takes at most 32,766 parameters.
CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class PlannedProduct:
    """A row of the plan: an active product, its class and when it is next due."""

    product_id: str
    sku: str
    name: str
    value_micros: int
    abc_class: AbcClass
    last_counted_at: datetime | None
    due_seconds: int


def _class_case(plan: CyclePlan, value: Any, before: Any, total: Any) -> ColumnElement[str]:
    """domain/cycle_plan.abc_class in SQL, in exact integer arithmetic (before x den < total x
    num for a share num/den)."""
    a, b = plan.a_limit, plan.b_limit
    return case(
        (value <= 0, AbcClass.C.value),
        (before * a.denominator < total * a.numerator, AbcClass.A.value),
        (before * b.denominator < total * b.numerator, AbcClass.B.value),
        else_=AbcClass.C.value,
    )


def classes_query(plan: CyclePlan) -> Subquery:
    """product_id, value (micros), abc_class of every active product (narrow rows: the window
    sorts them all)."""
    # Literal (not bound) conditions: they match the partial index ix_stock_ledger_consumption.
    outbound = select(
        LedgerEntry.product_id, func.sum(-LedgerEntry.quantity_delta).label("units")
    ).where(
        LedgerEntry.source == literal_column(f"'{LedgerSource.MOVEMENT.value}'"),
        LedgerEntry.quantity_delta < literal_column("0"),
        LedgerEntry.created_at >= days_ago(plan.window_days),
    )
    consumed = outbound.group_by(LedgerEntry.product_id).subquery("consumed")
    # Money columns hold integer micros: their products stay exact integers.
    value = func.coalesce(consumed.c.units, 0) * coerce(Product.unit_cost, BigInteger)
    valued = (
        select(Product.id.label("product_id"), value.label("value"))
        .outerjoin(consumed, consumed.c.product_id == Product.id)
        .where(Product.active.is_(True))
        .subquery("valued")
    )
    ahead = func.sum(valued.c.value).over(
        order_by=(valued.c.value.desc(), valued.c.product_id), rows=(None, -1)
    )
    before = func.coalesce(ahead, 0)
    total = func.sum(valued.c.value).over()
    return select(
        valued.c.product_id,
        valued.c.value,
        _class_case(plan, valued.c.value, before, total).label("abc_class"),
    ).subquery("classes")


def _last_counted() -> Subquery:
    """Each product's latest line counted_at in a COMPLETED count."""
    return (
        select(CountItem.product_id, func.max(CountItem.counted_at).label("last_counted"))
        .join(InventoryCount, InventoryCount.id == CountItem.inventory_count_id)
        .where(InventoryCount.status == CountStatus.COMPLETED.value)
        .group_by(CountItem.product_id)
        .subquery("last_counted")
    )


def plan_query(plan: CyclePlan) -> Subquery:
    """product_id, sku, name, value, abc_class, last_counted, due_seconds (a product never
    counted is due since it was created; otherwise its class's frequency after its last
    count)."""
    classes = classes_query(plan)
    last = _last_counted()
    frequency = case(
        *[
            (classes.c.abc_class == abc.value, days * SECONDS_PER_DAY)
            for abc, days in plan.frequency_days.items()
        ],
        else_=0,
    )
    due = case(
        (last.c.last_counted.is_(None), epoch_seconds(Product.created_at)),
        else_=epoch_seconds(last.c.last_counted) + frequency,
    )
    return (
        select(
            classes.c.product_id,
            Product.sku,
            Product.name,
            classes.c.value,
            classes.c.abc_class,
            last.c.last_counted,
            due.label("due_seconds"),
        )
        .join(Product, Product.id == classes.c.product_id)
        .outerjoin(last, last.c.product_id == classes.c.product_id)
        .subquery("plan")
    )


def _planned(row: Any) -> PlannedProduct:
    last = row.last_counted
    if isinstance(last, str):  # SQLite returns max() of a time column as its text
        last = datetime.fromisoformat(last)
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return PlannedProduct(
        row.product_id,
        row.sku,
        row.name,
        int(row.value),
        AbcClass(row.abc_class),
        last,
        int(row.due_seconds),
    )


# PostgreSQL settings for the rest of a transaction that computes classes. The consumption
# index is read in order, as SSDs read it: at the default random_page_cost (4, for spinning
# disks) the planner judged a full scan of the ledger about as cheap, and took it on some
# loads (twice as slow at 5,000,000 rows). The window sorts every active product: in memory.
PLANNER_SETTINGS = ("SET LOCAL random_page_cost = 1.1", "SET LOCAL work_mem = '16MB'")


class CyclePlanRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _plan_queries(self) -> None:
        if self.session.get_bind().dialect.name == "postgresql":
            for statement in PLANNER_SETTINGS:
                self.session.execute(text(statement))

    def classes(self, plan: CyclePlan) -> dict[str, tuple[int, AbcClass]]:
        """product id -> (consumption value in micros, class), every active product."""
        self._plan_queries()
        q = classes_query(plan)
        rows = self.session.execute(select(q.c.product_id, q.c.value, q.c.abc_class))
        return {row[0]: (int(row[1]), AbcClass(row[2])) for row in rows}

    def due_page(
        self,
        plan: CyclePlan,
        now: datetime,
        page: PageRequest,
        *,
        abc: AbcClass | None,
        include_not_due: bool,
    ) -> Page[PlannedProduct]:
        """The plan by due time (most overdue first), product id breaking ties."""
        self._plan_queries()
        q = plan_query(plan)
        stmt = select(q).where(*self._due_filters(q, now, abc, include_not_due))
        columns = [q.c.due_seconds, q.c.product_id]
        if page.after is not None:
            check_key(columns, page.after)
            due, product_id = page.after
            later = and_(q.c.due_seconds == due, q.c.product_id > product_id)
            stmt = stmt.where(or_(q.c.due_seconds > due, later))
        found = self.session.execute(stmt.order_by(*columns).limit(page.size + 1))
        rows = [_planned(r) for r in found]
        if len(rows) > page.size:
            rows = rows[: page.size]
            return Page(rows, (rows[-1].due_seconds, rows[-1].product_id))
        return Page(rows, None)

    @staticmethod
    def _due_filters(
        q: Subquery, now: datetime, abc: AbcClass | None, include_not_due: bool
    ) -> list[ColumnElement[bool]]:
        filters = []
        if abc is not None:
            filters.append(q.c.abc_class == abc.value)
        if not include_not_due:
            filters.append(q.c.due_seconds <= int(now.timestamp()))
        return filters

    # -- scopes ---------------------------------------------------------------------------

    def scope_due_products(
        self, count_id: str, plan: CyclePlan, now: datetime, abc: AbcClass | None
    ) -> int:
        """Puts the products due now (of class abc) in the count's scope, in one statement;
        how many."""
        self._plan_queries()
        q = plan_query(plan)
        due = select(literal(count_id), q.c.product_id).where(
            *self._due_filters(q, now, abc, include_not_due=False)
        )
        self.session.execute(
            insert(CountScopeProduct).from_select(["inventory_count_id", "product_id"], due)
        )
        # Counted afterwards: psycopg reports no rowcount for INSERT ... SELECT here.
        return self.scope_sizes([count_id]).get(count_id, 0)

    def existing_products(self, product_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(product_ids), CHUNK):
            chunk = product_ids[start : start + CHUNK]
            found.update(self.session.scalars(select(Product.id).where(Product.id.in_(chunk))))
        return found

    def add_scope(self, count_id: str, product_ids: Sequence[str]) -> None:
        for start in range(0, len(product_ids), CHUNK):
            rows = [
                {"inventory_count_id": count_id, "product_id": p}
                for p in product_ids[start : start + CHUNK]
            ]
            self.session.execute(insert(CountScopeProduct), rows)

    def scope_sizes(self, count_ids: Sequence[str]) -> dict[str, int]:
        """count id -> products in its scope, for the scoped counts among count_ids."""
        if not count_ids:
            return {}
        stmt = (
            select(CountScopeProduct.inventory_count_id, func.count())
            .where(CountScopeProduct.inventory_count_id.in_(set(count_ids)))
            .group_by(CountScopeProduct.inventory_count_id)
        )
        return {count_id: int(n) for count_id, n in self.session.execute(stmt)}

    # -- accuracy -------------------------------------------------------------------------

    def accuracy_by_class(
        self,
        plan: CyclePlan,
        *,
        started_from: datetime | None,
        started_to: datetime | None,
        include_blind_lines: bool,
        status: CountStatus | None = None,
    ) -> dict[AbcClass, tuple[int, int]]:
        """class -> (lines counted, lines within tolerance) over the counts started in
        [from, to], each line classed by its product's class now (inactive products have
        none and are left out)."""
        self._plan_queries()
        classes = classes_query(plan)
        within = func.sum(case((CountItem.significant.is_(False), 1), else_=0))
        stmt = (
            select(classes.c.abc_class, func.count(CountItem.id), within)
            .select_from(CountItem)
            .join(InventoryCount, InventoryCount.id == CountItem.inventory_count_id)
            .join(classes, classes.c.product_id == CountItem.product_id)
            .group_by(classes.c.abc_class)
        )
        if started_from is not None:
            stmt = stmt.where(InventoryCount.started_at >= started_from)
        if started_to is not None:
            stmt = stmt.where(InventoryCount.started_at <= started_to)
        if not include_blind_lines:
            stmt = stmt.where(InventoryCount.blind.is_(False))
        if status is not None:
            stmt = stmt.where(InventoryCount.status == status.value)
        figures = {abc: (0, 0) for abc in AbcClass}
        for abc, counted, ok in self.session.execute(stmt):
            figures[AbcClass(abc)] = (int(counted or 0), int(ok or 0))
        return figures
