"""Reports over counts: the summary figures and the review list of significant discrepancies."""

from __future__ import annotations

from datetime import datetime

from inventory_service.db.unit_of_work import UnitOfWorkFactory
from inventory_service.domain.count_rules import sees_blind_figures
from inventory_service.domain.cycle_plan import CyclePlan
from inventory_service.domain.enums import CountStatus
from inventory_service.domain.errors import InvalidArgument
from inventory_service.domain.identity import Caller
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.domain.places import SiteKey
from inventory_service.services.base import Service
from inventory_service.services.counts.count_access import (
    allowed_count,
    allowed_site,
    visible_sites,
)
from inventory_service.services.counts.count_views import (
    CountLineView,
    SiteSummary,
    Summary,
    line_views,
)
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
        site: SiteKey | None = None,
        status: CountStatus | None = None,
    ) -> Summary:
        """Figures over the counts started in [from, to], of one site (accuracy by its own ABC
        classes) or of the sites the caller may use (by the company's); the lines of blind
        counts count only for callers who may see their figures."""
        if started_from and started_to and started_from > started_to:
            raise InvalidArgument.one("start_time_to", "must not be before start_time_from")
        with self.uow_factory(read_only=True) as uow:
            sites = visible_sites(uow, caller, site)
            overall, by_type, by_site = uow.count_reports.summary(
                started_from=started_from,
                started_to=started_to,
                include_blind_lines=sees_blind_figures(caller),
                site_ids=sites,
                status=status,
            )
            by_abc_class = class_accuracy(
                uow,
                self.plan,
                started_from=started_from,
                started_to=started_to,
                include_blind_lines=sees_blind_figures(caller),
                site=allowed_site(uow, caller, site) if site is not None and site.given else None,
                site_ids=sites,
                status=status,
            )
            return Summary(
                overall,
                by_type,
                by_abc_class,
                [SiteSummary(*row) for row in by_site],
            )

    def discrepancies(
        self, caller: Caller, count_id: str, page: PageRequest, *, site: SiteKey | None = None
    ) -> Page[CountLineView]:
        """Significant discrepancies, most recently counted first; of one count, or of all of
        one site's or the caller's sites'."""
        with self.uow_factory(read_only=True) as uow:
            if count_id:
                allowed_count(uow, caller, count_id)
            result = uow.count_reports.discrepancies_page(
                count_id or None, page, site_ids=visible_sites(uow, caller, site)
            )
            return Page(line_views(uow, result.items), result.next_key)
