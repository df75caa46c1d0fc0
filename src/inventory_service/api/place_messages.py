"""Site and location selectors of the contract -> the domain's keys."""

from __future__ import annotations

from inventory.v1 import site_pb2
from inventory_service.domain.places import LocationKey, ascii_upper


def location_key(selector: site_pb2.LocationSelector) -> LocationKey:
    """The key a LocationSelector gives (codes compared in upper case)."""
    return LocationKey(
        id=selector.id, site_code=ascii_upper(selector.site_code), code=ascii_upper(selector.code)
    )
