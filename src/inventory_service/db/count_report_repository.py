"""Figures over count lines, computed in SQL: a count's live statistics, the summary over many
counts, and the review list of significant discrepancies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, bindparam, case, func, select
from sqlalchemy import type_coerce as coerce
from sqlalchemy.orm import Session

from inventory_service.db.keyset import keyset_page
from inventory_service.db.models import CountItem, InventoryCount
from inventory_service.domain.count_figures import CountStatistics, SummaryFigures
from inventory_service.domain.enums import CountStatus, CountType
from inventory_service.domain.money import from_micros
from inventory_service.domain.paging import Page, PageRequest

# Money columns hold integer micros: summing the raw integers keeps the sums exact everywhere.
_MICROS = coerce(CountItem.variance_value, BigInteger)


def _line_aggregates() -> list[ColumnElement[Any]]:
    return [
        func.count(CountItem.id).label("lines"),
        func.sum(case((CountItem.variance != 0, 1), else_=0)).label("discrepancies"),
        func.sum(case((_MICROS < 0, -_MICROS), else_=0)).label("missing"),
        func.sum(case((_MICROS > 0, _MICROS), else_=0)).label("excess"),
        func.sum(_MICROS).label("net"),
    ]


# Built once (GetInventoryCount runs it on every call): no statement building per call.
_STATISTICS = (
    select(CountItem.inventory_count_id, *_line_aggregates())
    .where(CountItem.inventory_count_id.in_(bindparam("count_ids", expanding=True)))
    .group_by(CountItem.inventory_count_id)
)


def _statistics(
    items: Any, discrepancies: Any, missing: Any, excess: Any, net: Any
) -> CountStatistics:
    return CountStatistics(
        items_counted=int(items or 0),
        items_with_discrepancy=int(discrepancies or 0),
        value_missing=from_micros(int(missing or 0)),
        value_in_excess=from_micros(int(excess or 0)),
        net_variance=from_micros(int(net or 0)),
    )


class CountReportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def statistics(self, count_ids: Sequence[str]) -> dict[str, CountStatistics]:
        """Live figures of each count (counts without lines get zeros), in one query."""
        figures = {count_id: CountStatistics() for count_id in count_ids}
        if not count_ids:
            return figures
        for row in self.session.execute(_STATISTICS, {"count_ids": list(count_ids)}):
            figures[row.inventory_count_id] = _statistics(*row[1:])
        return figures

    def discrepancies_page(self, count_id: str | None, page: PageRequest) -> Page[CountItem]:
        """Lines over the review thresholds, most recently counted first."""
        stmt = select(CountItem).where(CountItem.significant.is_(True))
        if count_id is not None:
            stmt = stmt.where(CountItem.inventory_count_id == count_id)
        order = [CountItem.counted_at, CountItem.id]
        return keyset_page(self.session, stmt, order, page, descending=True)

    def summary(
        self,
        *,
        started_from: datetime | None,
        started_to: datetime | None,
        include_blind_lines: bool,
        status: CountStatus | None = None,
    ) -> tuple[SummaryFigures, dict[CountType, SummaryFigures]]:
        """Figures over the counts started in [from, to] (of one status, when given): overall
        and per type, in SQL.

        Without include_blind_lines, the lines of blind counts are left out of the line figures
        (the counts themselves are still counted)."""
        lines = (
            select(CountItem.inventory_count_id.label("count_id"), *_line_aggregates())
            .group_by(CountItem.inventory_count_id)
            .subquery()
        )
        join_on: ColumnElement[bool] = lines.c.count_id == InventoryCount.id
        if not include_blind_lines:
            join_on = and_(join_on, InventoryCount.blind.is_(False))

        def with_status(status: CountStatus) -> ColumnElement[Any]:
            return func.sum(case((InventoryCount.status == status.value, 1), else_=0))

        figures = [
            func.count(InventoryCount.id),
            with_status(CountStatus.IN_PROGRESS),
            with_status(CountStatus.COMPLETED),
            with_status(CountStatus.CANCELLED),
            func.sum(lines.c.lines),
            func.sum(lines.c.discrepancies),
            func.sum(lines.c.missing),
            func.sum(lines.c.excess),
            func.sum(lines.c.net),
        ]
        base = select(*figures).select_from(InventoryCount).outerjoin(lines, join_on)
        if started_from is not None:
            base = base.where(InventoryCount.started_at >= started_from)
        if started_to is not None:
            base = base.where(InventoryCount.started_at <= started_to)
        if status is not None:
            base = base.where(InventoryCount.status == status.value)

        overall = _summary_figures(self.session.execute(base).one())
        by_type_stmt = base.add_columns(InventoryCount.type).group_by(InventoryCount.type)
        by_type = {
            CountType(row[-1]): _summary_figures(row[:-1])
            for row in self.session.execute(by_type_stmt)
        }
        return overall, by_type


def _summary_figures(row: Sequence[Any]) -> SummaryFigures:
    return SummaryFigures(
        total_counts=int(row[0] or 0),
        in_progress_counts=int(row[1] or 0),
        completed_counts=int(row[2] or 0),
        cancelled_counts=int(row[3] or 0),
        lines=_statistics(*row[4:9]),
    )
