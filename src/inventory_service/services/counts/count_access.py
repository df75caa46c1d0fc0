"""The `sites` claim over counts (domain/site_access.py): a count belongs to one site, so a
caller whose token names other sites may not read or change it (SITE_NOT_ALLOWED), and lists
show only the counts of the caller's sites."""

from __future__ import annotations

from collections.abc import Set

from inventory_service.db.models import InventoryCount
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.count_entries import count_not_found
from inventory_service.domain.identity import Caller
from inventory_service.domain.places import SiteKey, SiteRef
from inventory_service.domain.site_access import ensure_site_allowed
from inventory_service.services.counts.count_views import CountView, count_views
from inventory_service.services.places import find_site, site_code_of


def ensure_count_allowed(uow: UnitOfWork, caller: Caller, count: InventoryCount) -> None:
    if caller.sites is not None:
        ensure_site_allowed(caller, site_code_of(uow, count.site_id))


def allowed_count(uow: UnitOfWork, caller: Caller, count_id: str) -> InventoryCount:
    """The count, which must exist (NOT_FOUND) and be of a site the caller may use."""
    count = uow.counts.get(count_id)
    if count is None:
        raise count_not_found(count_id)
    ensure_count_allowed(uow, caller, count)
    return count


def allowed_count_view(uow: UnitOfWork, caller: Caller, count_id: str) -> CountView:
    """The count's read model, as allowed_count allows it (also what a replayed request_id
    answers: a token of another site learns nothing by replaying one)."""
    return count_views(uow, [allowed_count(uow, caller, count_id)])[0]


def allowed_site(uow: UnitOfWork, caller: Caller, key: SiteKey) -> SiteRef:
    """The site a key names (the default site for an empty key), which the caller may use."""
    site = find_site(uow, key)
    ensure_site_allowed(caller, site.code)
    return site


def visible_sites(uow: UnitOfWork, caller: Caller, key: SiteKey | None) -> Set[str] | None:
    """The ids of the sites a list shows: the site named (which the caller must be allowed),
    else the caller's sites; None: every site."""
    if key is not None and key.given:
        return frozenset({allowed_site(uow, caller, key).id})
    if caller.sites is None:
        return None
    return frozenset(uow.count_entries.site_ids(sorted(caller.sites)).values())
