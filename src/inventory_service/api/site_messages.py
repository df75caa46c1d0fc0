"""SiteService messages <-> site and location read models and inputs."""

from __future__ import annotations

from collections.abc import Set

from inventory.v1 import site_pb2
from inventory_service.api.convert import to_timestamp
from inventory_service.domain.places import ascii_upper
from inventory_service.domain.site_rules import LocationDraft, SiteDraft
from inventory_service.services.sites.site_views import LocationView, SiteView


def site_draft(site: site_pb2.Site, fields: Set[str]) -> SiteDraft:
    """The fields of site named in fields; the others are 'not given'."""
    return SiteDraft(
        code=ascii_upper(site.code) if "code" in fields else None,
        name=site.name if "name" in fields else None,
        active=site.active if "active" in fields else None,
    )


def location_draft(location: site_pb2.Location, fields: Set[str]) -> LocationDraft:
    return LocationDraft(
        code=ascii_upper(location.code) if "code" in fields else None,
        name=location.name if "name" in fields else None,
        zone=location.zone if "zone" in fields else None,
        active=location.active if "active" in fields else None,
    )


def site_message(view: SiteView) -> site_pb2.Site:
    return site_pb2.Site(
        id=view.id,
        code=view.code,
        name=view.name,
        active=view.active,
        default_site=view.is_default,
        default_location_id=view.default_location_id,
        create_time=to_timestamp(view.created_at),
        update_time=to_timestamp(view.updated_at),
    )


def location_message(view: LocationView) -> site_pb2.Location:
    return site_pb2.Location(
        id=view.id,
        site_id=view.site_id,
        site_code=view.site_code,
        code=view.code,
        name=view.name,
        zone=view.zone,
        active=view.active,
        default_location=view.is_default,
        create_time=to_timestamp(view.created_at),
        update_time=to_timestamp(view.updated_at),
    )
