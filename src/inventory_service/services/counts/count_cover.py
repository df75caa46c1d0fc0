"""The locations a new count covers, by the rules of domain/count_places.py: its site's active
locations, or (CYCLE and SPOT) the locations and zones named; and the counts in progress that
already hold some of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inventory_service.db.count_repository import LocationRow
from inventory_service.db.unit_of_work import UnitOfWork
from inventory_service.domain.count_places import (
    CountPlaces,
    SharedLocation,
    location_inactive,
    location_not_in_site,
    no_active_location,
    site_inactive,
    unique,
    zone_not_found,
)
from inventory_service.domain.identity import Caller
from inventory_service.domain.places import LocationKey, SiteKey, SiteRef, location_not_found
from inventory_service.domain.site_access import ensure_site_allowed
from inventory_service.services.counts.count_access import allowed_site
from inventory_service.services.places import find_site, site_code_of


@dataclass(frozen=True)
class CountCover:
    site: SiteRef
    # Covered location id -> code.
    locations: dict[str, str]
    zones: tuple[str, ...]
    # It covers the site's default location alone (as every count of a one-location site).
    default_only: bool = False


def cover_of(uow: UnitOfWork, caller: Caller, places: CountPlaces) -> CountCover:
    """The site (which the caller may use, and active) and the locations a start covers."""
    site = allowed_site(uow, caller, places.site)
    if not site.active:
        raise site_inactive(site.id, site.code)
    if not places.named:
        rows = uow.counts.site_locations(site.id)
    else:
        rows = named_locations(uow, caller, site, places.locations, "scope_locations")
        for row in rows:
            if not row.active:
                raise location_inactive(row.id, row.code)
        zones = unique(places.zones)
        if zones:
            in_zones = uow.counts.site_locations(site.id, zones=zones)
            found = {row.zone for row in in_zones}
            missing = [zone for zone in zones if zone not in found]
            if missing:
                raise zone_not_found(missing[0])
            rows += in_zones
    if not rows:
        raise no_active_location(site.code)
    return CountCover(
        site,
        {row.id: row.code for row in rows},
        tuple(unique(places.zones)),
        default_only=len(rows) == 1 and rows[0].is_default,
    )


def named_locations(
    uow: UnitOfWork,
    caller: Caller,
    site: SiteRef,
    keys: Sequence[LocationKey],
    field_name: str,
) -> list[LocationRow]:
    """The locations keys name (in their order), each a location of the count's site: a
    location of another site is INVALID_ARGUMENT (LOCATION_NOT_IN_SITE), or SITE_NOT_ALLOWED
    when the caller may not use that site."""
    if not keys:
        return []
    ids = [key.id for key in keys if key.id]
    codes = [key.code for key in keys if key.code and key.site_code in ("", site.code)]
    by_id = {row.id: row for row in uow.counts.locations_by_ids(ids)}
    by_code = {row.code: row for row in uow.counts.locations_by_codes(site.id, codes)}
    rows = []
    for i, key in enumerate(keys):
        where = f"{field_name}[{i}]"
        if key.site_code and key.site_code != site.code:
            other = find_site(uow, SiteKey(code=key.site_code))
            ensure_site_allowed(caller, other.code)
            raise location_not_in_site(where, key.label(), site.code)
        if key.id:
            row = by_id.get(key.id)
        elif key.code:
            row = by_code.get(key.code)
        else:  # the site's code alone: its default location
            row = uow.counts.default_location(site.id)
        if row is None:
            raise location_not_found(key)
        if row.site_id != site.id:
            ensure_site_allowed(caller, site_code_of(uow, row.site_id))
            raise location_not_in_site(where, row.code, site.code)
        rows.append(row)
    return rows


def shared_locations(uow: UnitOfWork, cover: CountCover) -> list[SharedLocation]:
    """The covered locations counts in progress hold."""
    held = uow.counts.holding(list(cover.locations))
    return [
        SharedLocation(location_id, cover.locations[location_id], count)
        for location_id, count in held.items()
    ]
