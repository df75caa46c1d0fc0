"""Sites: created with their default location, listed as the caller's `sites` claim allows,
renamed, deactivated (never the default site, nor one holding stock or being counted)."""

from __future__ import annotations

from typing import Any

from inventory_service.db.models import Location, Site
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.errors import ErrorCollector, InvalidArgument
from inventory_service.domain.identity import Caller
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.domain.places import DEFAULT_LOCATION_CODE, SiteKey, site_not_found
from inventory_service.domain.site_access import ensure_site_allowed
from inventory_service.domain.site_rules import SiteDraft, check_site, check_site_deactivation
from inventory_service.services.base import Service
from inventory_service.services.idempotency import run_once
from inventory_service.services.read_models import from_row
from inventory_service.services.site_scope import ensure_sites_allowed, readable_sites
from inventory_service.services.sites.site_views import SiteView


def site_view(row: Any) -> SiteView:
    """row: a site's columns with default_location_id (SiteRepository.row, list_page)."""
    return from_row(SiteView, row, default_location_id=row.default_location_id or "")


class SiteService(Service):
    def create(self, caller: Caller, draft: SiteDraft, *, request_id: str = "") -> SiteView:
        """A new site (active) with its default location DEFAULT."""
        errors = ErrorCollector()
        check_site(draft, errors, creating=True)
        errors.raise_if_any()
        assert draft.code is not None
        assert draft.name is not None
        code, name = draft.code, draft.name
        ensure_site_allowed(caller, code)

        def perform(uow: UnitOfWork) -> str:
            site = Site(code=code, name=name, active=True, is_default=False)
            uow.sites.add(site)
            uow.flush()
            uow.locations.add(
                Location(
                    site_id=site.id,
                    code=DEFAULT_LOCATION_CODE,
                    name="Default location",
                    zone="",
                    active=True,
                    is_default=True,
                )
            )
            uow.flush()
            return site.id

        def load(uow: UnitOfWork, site_id: str) -> SiteView:
            view = _load(uow, site_id)
            ensure_sites_allowed(caller, [view.code])
            return view

        return run_once(
            self.uow_factory, "CreateSite", request_id, caller, perform, load, content=draft
        )

    def list(self, caller: Caller, page: PageRequest, *, show_inactive: bool) -> Page[SiteView]:
        with self.uow_factory(read_only=True) as uow:
            site_ids = readable_sites(uow, caller)
            found = uow.sites.list_page(page, site_ids=site_ids, show_inactive=show_inactive)
            return found.map(site_view)

    def update(self, caller: Caller, site_id: str, draft: SiteDraft) -> SiteView:
        if not site_id:
            raise InvalidArgument.one("site.id", "required")
        errors = ErrorCollector()
        check_site(draft, errors, creating=False)
        errors.raise_if_any()
        with self.uow_factory() as uow:
            site = uow.sites.get_for_update(site_id)
            if site is None:
                raise site_not_found(SiteKey(id=site_id))
            ensure_site_allowed(caller, site.code)
            if draft.code is not None:
                ensure_site_allowed(caller, draft.code)  # a token keeps the sites it names
                site.code = draft.code
            if draft.name is not None:
                site.name = draft.name
            if draft.active is False and site.active:
                check_site_deactivation(
                    site.id,
                    site.code,
                    is_default=site.is_default,
                    holds_stock=uow.sites.holds_stock(site.id),
                    in_count=uow.sites.in_count(site.id),
                )
            if draft.active is not None:
                site.active = draft.active
            site.updated_at = utcnow()
            uow.flush()
            view = _load(uow, site.id)
            uow.commit()
            return view


def _load(uow: UnitOfWork, site_id: str) -> SiteView:
    row = uow.sites.row(site_id)
    if row is None:
        raise site_not_found(SiteKey(id=site_id))
    return site_view(row)
