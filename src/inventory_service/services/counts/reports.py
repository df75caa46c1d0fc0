"""Reports over counts: the summary figures and the review list of significant discrepancies."""

from __future__ import annotations

from datetime import datetime

from inventory_service.db.unit_of_work import UnitOfWorkFactory
from inventory_service.domain.count_entries import count_not_found
from inventory_service.domain.count_rules import sees_blind_figures
from inventory_service.domain.cycle_plan import CyclePlan
from inventory_service.domain.enums import CountStatus
from inventory_service.domain.errors import InvalidArgument
from inventory_service.domain.identity import Caller
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.services.base import Service
from inventory_service.services.counts.count_views import CountLineView, Summary, line_views
from inventory_service.services.counts.cycle_plans import class_accuracy


class CountReports(Service):
    def __init__(self, uow_factory: UnitOfWorkFactory, plan: CyclePlan | None = None) -> None:
        super().__init__(uow_factory)
        self.plan = plan or CyclePlan()

    def summary(
        self,
        caller: Caller,
        *,
        started_from: datetime | None,
        started_to: datetime | None,
        status: CountStatus | None = None,
    ) -> Summary:
        """Figures over the counts started in [from, to] (of one status, when given); the lines
        of blind counts count only for callers who may see their figures."""
        if started_from and started_to and started_from > started_to:
            raise InvalidArgument.one("start_time_to", "must not be before start_time_from")
        with self.uow_factory(read_only=True) as uow:
            overall, by_type = uow.count_reports.summary(
                started_from=started_from,
                started_to=started_to,
                include_blind_lines=sees_blind_figures(caller),
                status=status,
            )
            by_abc_class = class_accuracy(
                uow,
                self.plan,
                started_from=started_from,
                started_to=started_to,
                include_blind_lines=sees_blind_figures(caller),
                status=status,
            )
            return Summary(overall, by_type, by_abc_class)

    def discrepancies(self, count_id: str, page: PageRequest) -> Page[CountLineView]:
        """Significant discrepancies, most recently counted first; of one count, or of all."""
        with self.uow_factory(read_only=True) as uow:
            if count_id and uow.counts.get(count_id) is None:
                raise count_not_found(count_id)
            result = uow.count_reports.discrepancies_page(count_id or None, page)
            return Page(line_views(uow, result.items), result.next_key)
