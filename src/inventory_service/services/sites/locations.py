"""Locations inside sites: created, listed (by site, zone, active) as the caller's `sites` claim
allows, renamed, moved between zones, deactivated (never a site's default location, nor one
holding stock or covered by a count in progress)."""

from __future__ import annotations

from typing import Any

from inventory_service.db.models import Location
from inventory_service.db.types import utcnow
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.errors import ErrorCollector, InvalidArgument, NotFound
from inventory_service.domain.identity import Caller
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.domain.places import LocationKey, SiteKey, location_not_found
from inventory_service.domain.site_access import ensure_site_allowed
from inventory_service.domain.site_rules import (
    LocationDraft,
    check_location,
    check_location_deactivation,
)
from inventory_service.services.base import Service
from inventory_service.services.idempotency import run_once
from inventory_service.services.places import find_site
from inventory_service.services.read_models import from_row
from inventory_service.services.site_scope import ensure_sites_allowed, readable_sites
from inventory_service.services.sites.site_views import LocationView


def location_view(row: Any) -> LocationView:
    """row: a location's columns with site_code (LocationRepository.row, list_page)."""
    return from_row(LocationView, row)


class LocationService(Service):
    def create(
        self, caller: Caller, site: SiteKey, draft: LocationDraft, *, request_id: str = ""
    ) -> LocationView:
        """A new (active) location in the site named (the default site when none is)."""
        errors = ErrorCollector()
        check_location(draft, errors, creating=True)
        errors.raise_if_any()
        assert draft.code is not None
        code = draft.code

        def perform(uow: UnitOfWork) -> str:
            found = find_site(uow, site)
            ensure_site_allowed(caller, found.code)
            location = Location(
                site_id=found.id,
                code=code,
                name=draft.name or "",
                zone=draft.zone or "",
                active=True,
                is_default=False,
            )
            uow.locations.add(location)
            uow.flush()
            return location.id

        def load(uow: UnitOfWork, location_id: str) -> LocationView:
            view = _load(uow, location_id)
            ensure_sites_allowed(caller, [view.site_code])
            return view

        return run_once(
            self.uow_factory,
            "CreateLocation",
            request_id,
            caller,
            perform,
            load,
            content=(site, draft),
        )

    def list(
        self,
        caller: Caller,
        page: PageRequest,
        *,
        site: SiteKey,
        zone: str | None,
        show_inactive: bool,
    ) -> Page[LocationView]:
        with self.uow_factory(read_only=True) as uow:
            site_ids = readable_sites(uow, caller, site)
            found = uow.locations.list_page(
                page, site_ids=site_ids, zone=zone, show_inactive=show_inactive
            )
            return found.map(location_view)

    def update(self, caller: Caller, location_id: str, draft: LocationDraft) -> LocationView:
        if not location_id:
            raise InvalidArgument.one("location.id", "required")
        errors = ErrorCollector()
        check_location(draft, errors, creating=False)
        errors.raise_if_any()
        with self.uow_factory() as uow:
            location = uow.locations.get_for_update(location_id)
            if location is None:
                raise location_not_found(LocationKey(id=location_id))
            site_code = _load(uow, location.id).site_code
            ensure_site_allowed(caller, site_code)
            if draft.code is not None:
                location.code = draft.code
            if draft.name is not None:
                location.name = draft.name
            if draft.zone is not None:
                location.zone = draft.zone
            if draft.active is False and location.active:
                check_location_deactivation(
                    location.id,
                    f"{site_code}/{location.code}",
                    is_default=location.is_default,
                    holds_stock=uow.locations.holds_stock(location.id),
                    in_count=uow.locations.in_count(location.id),
                )
            if draft.active is not None:
                location.active = draft.active
            location.updated_at = utcnow()
            uow.flush()
            view = _load(uow, location.id)
            uow.commit()
            return view


def _load(uow: UnitOfWork, location_id: str) -> LocationView:
    row = uow.locations.row(location_id)
    if row is None:
        raise NotFound("location", location_id, reason="LOCATION_NOT_FOUND")
    return location_view(row)
