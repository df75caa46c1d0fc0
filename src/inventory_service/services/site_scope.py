"""Which sites a read covers: the one the request names (which the caller's `sites` claim must
allow: SITE_NOT_ALLOWED otherwise), else every site the claim allows (every site without one);
the location a read names; and what a replayed write may return."""

from __future__ import annotations

from collections.abc import Iterable

from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.identity import Caller
from inventory_service.domain.places import LocationKey, SiteKey, check_location_key
from inventory_service.domain.site_access import ensure_site_allowed
from inventory_service.services.places import allowed_location, find_site

# The ids of the sites a read covers; None: every site.
SiteIds = frozenset[str] | None


def readable_sites(uow: UnitOfWork, caller: Caller | None, named: SiteKey | None = None) -> SiteIds:
    """named (when given): only that site, NOT_FOUND or SITE_NOT_ALLOWED otherwise. caller
    None: a reader without a claim (the service layer's own callers)."""
    if named is not None and named.given:
        site = find_site(uow, named)
        if caller is not None:
            ensure_site_allowed(caller, site.code)
        return frozenset({site.id})
    if caller is None or caller.sites is None:
        return None
    return frozenset(uow.sites.ids_by_code(caller.sites).values())


def readable_location(uow: UnitOfWork, caller: Caller, key: LocationKey) -> str | None:
    """The id of the location a read is limited to (None when the request names none):
    NOT_FOUND, or SITE_NOT_ALLOWED when the caller's claim does not allow its site."""
    if not key.given:
        return None
    problem = check_location_key(key, "location")
    if problem is not None:
        raise problem
    return allowed_location(uow, caller, key).id


def ensure_sites_allowed(caller: Caller, site_codes: Iterable[str]) -> None:
    """What a write returns must be of sites the caller may use: a request_id repeated by
    another caller replays what the first call made, perhaps in another site."""
    for code in set(site_codes):
        ensure_site_allowed(caller, code)


def ensure_site_readable(uow: UnitOfWork, caller: Caller, site_id: str) -> None:
    """A record of site_id (an adjustment, a location) that the request names: refused with
    SITE_NOT_ALLOWED when the caller's claim does not allow its site."""
    if caller.sites is not None:
        code = uow.sites.codes_by_id([site_id]).get(site_id, "")
        ensure_site_allowed(caller, code)
