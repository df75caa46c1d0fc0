"""Site and location selectors of the contract -> the domain's keys."""

from __future__ import annotations

from inventory.v1 import site_pb2
from inventory_service.domain.places import LocationKey, SiteKey, ascii_upper


def location_key(selector: site_pb2.LocationSelector) -> LocationKey:
    """The key a LocationSelector gives (codes compared in upper case)."""
    return LocationKey(
        id=selector.id, site_code=ascii_upper(selector.site_code), code=ascii_upper(selector.code)
    )


def site_key(selector: site_pb2.SiteSelector) -> SiteKey:
    """The key a SiteSelector gives (the code compared in upper case); unset: the default
    site, or no site filter, as the field says."""
    return SiteKey(id=selector.id, code=ascii_upper(selector.code))
