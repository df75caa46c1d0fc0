"""Where a stock change lands: the location its selector names (the default location of the
default site when it names none), which must be in a site the caller's `sites` claim allows
(SITE_NOT_ALLOWED), active, in an active site (LOCATION_INACTIVE, SITE_INACTIVE).

Each place is found once per transaction and its row and its site's locked FOR KEY SHARE until
the transaction ends, so deactivating it (FOR UPDATE) waits for the change in flight, and sees
the stock it left. KEY SHARE is what the ledger row's foreign-key checks take on those rows
anyway: the lock costs the transaction nothing more than taking it earlier."""

from __future__ import annotations

from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.identity import Caller
from inventory_service.domain.places import (
    LocationKey,
    LocationRef,
    SiteKey,
    check_location_key,
    location_not_found,
    site_not_found,
)
from inventory_service.domain.site_access import ensure_site_allowed
from inventory_service.domain.site_rules import location_inactive, site_inactive


class StockPlaces:
    """The places the stock changes of one unit of work name."""

    def __init__(self, uow: UnitOfWork, caller: Caller) -> None:
        self.uow = uow
        self.caller = caller
        self._found: dict[LocationKey, tuple[LocationRef, str]] = {}

    def of(self, key: LocationKey, field_name: str) -> LocationRef:
        return self.with_site_code(key, field_name)[0]

    def with_site_code(self, key: LocationKey, field_name: str) -> tuple[LocationRef, str]:
        """The location and its site's code."""
        found = self._found.get(key)
        if found is None:
            found = self._find(key, field_name)
            self._found[key] = found
        return found

    def _find(self, key: LocationKey, field_name: str) -> tuple[LocationRef, str]:
        problem = check_location_key(key, field_name)
        if problem is not None:
            raise problem
        place = self.uow.locations.place(key, lock=True)
        if place is None:
            if key.site_code and self.uow.sites.ref_by_code(key.site_code) is None:
                raise site_not_found(SiteKey(code=key.site_code))
            raise location_not_found(key)
        location, site = place
        ensure_site_allowed(self.caller, site.code)
        if not site.active:
            raise site_inactive(site.id, site.code)
        if not location.active:
            raise location_inactive(location.id, f"{site.code}/{location.code}")
        return location, site.code
