"""Finding the site and location a request names, inside a unit of work, with the rules of
domain/places.py (a location left out lands on the default location of the implied site) and
domain/site_access.py (the caller's `sites` claim)."""

from __future__ import annotations

from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.identity import Caller
from inventory_service.domain.places import (
    LocationKey,
    LocationRef,
    SiteKey,
    SiteRef,
    location_not_found,
    site_not_found,
)
from inventory_service.domain.site_access import ensure_site_allowed


def find_site(uow: UnitOfWork, key: SiteKey) -> SiteRef:
    """The site a key names; the default site for an empty key. NOT_FOUND (SITE_NOT_FOUND)."""
    if key.id:
        found = uow.sites.ref_by_id(key.id)
    elif key.code:
        found = uow.sites.ref_by_code(key.code)
    else:
        return uow.sites.default_ref()
    if found is None:
        raise site_not_found(key)
    return found


def find_location(uow: UnitOfWork, key: LocationKey, *, site: SiteRef | None = None) -> LocationRef:
    """The location a key names; site: the site the call implies (the default site when
    None), where a key without id or site code looks. NOT_FOUND (LOCATION_NOT_FOUND)."""
    if key.id:
        found = uow.locations.ref_by_id(key.id)
    else:
        if key.site_code:
            site = find_site(uow, SiteKey(code=key.site_code))
        elif site is None:
            site = uow.sites.default_ref()
        if key.code:
            found = uow.locations.ref_by_code(site.id, key.code)
        else:
            found = uow.locations.default_ref(site.id)
    if found is None:
        raise location_not_found(key)
    return found


def site_code_of(uow: UnitOfWork, site_id: str) -> str:
    found = uow.sites.ref_by_id(site_id)
    return found.code if found else ""


def allowed_location(
    uow: UnitOfWork, caller: Caller, key: LocationKey, *, site: SiteRef | None = None
) -> LocationRef:
    """find_location, refused (SITE_NOT_ALLOWED) when the caller's token does not allow the
    location's site."""
    location = find_location(uow, key, site=site)
    ensure_site_allowed(caller, site_code_of(uow, location.site_id))
    return location
