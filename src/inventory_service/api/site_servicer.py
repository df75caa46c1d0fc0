"""SiteService over gRPC: messages in, service-layer calls, messages out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc

from inventory.v1 import site_pb2, site_pb2_grpc
from inventory_service.api.blocking import BlockingRunner
from inventory_service.api.caller import current_caller
from inventory_service.api.field_masks import update_paths
from inventory_service.api.page_tokens import ListPages
from inventory_service.api.place_messages import site_key
from inventory_service.api.site_messages import (
    location_draft,
    location_message,
    site_draft,
    site_message,
)
from inventory_service.domain.errors import InvalidArgument
from inventory_service.domain.places import SiteKey, ascii_upper
from inventory_service.services.sites.locations import LocationService
from inventory_service.services.sites.sites import SiteService

Context = grpc.aio.ServicerContext[Any, Any]
SITE_FIELDS = {"code", "name", "active"}
LOCATION_FIELDS = {"code", "name", "zone", "active"}
MAX_LOCATIONS_PAGE = 1000


@dataclass
class SiteServicer(site_pb2_grpc.SiteServiceServicer):
    sites: SiteService
    locations: LocationService
    run: BlockingRunner
    lists: ListPages

    async def CreateSite(
        self, request: site_pb2.CreateSiteRequest, context: Context
    ) -> site_pb2.CreateSiteResponse:
        # A new site is active: an unset `active` (false) would otherwise make it inactive.
        view = await self.run(
            self.sites.create,
            current_caller(),
            site_draft(request.site, {"code", "name"}),
            request_id=request.request_id,
        )
        return site_pb2.CreateSiteResponse(site=site_message(view))

    async def ListSites(
        self, request: site_pb2.ListSitesRequest, context: Context
    ) -> site_pb2.ListSitesResponse:
        caller = current_caller()
        found, token = await self.lists(
            request,
            lambda page: self.sites.list(caller, page, show_inactive=request.show_inactive),
        )
        return site_pb2.ListSitesResponse(
            sites=[site_message(v) for v in found], next_page_token=token
        )

    async def UpdateSite(
        self, request: site_pb2.UpdateSiteRequest, context: Context
    ) -> site_pb2.UpdateSiteResponse:
        paths = update_paths(request.update_mask, SITE_FIELDS)
        view = await self.run(
            self.sites.update, current_caller(), request.site.id, site_draft(request.site, paths)
        )
        return site_pb2.UpdateSiteResponse(site=site_message(view))

    async def CreateLocation(
        self, request: site_pb2.CreateLocationRequest, context: Context
    ) -> site_pb2.CreateLocationResponse:
        location = request.location
        if location.site_id and location.site_code:
            raise InvalidArgument.one("location.site_id", "give the site's id or its code")
        site = SiteKey(id=location.site_id, code=ascii_upper(location.site_code))
        view = await self.run(
            self.locations.create,
            current_caller(),
            site,
            location_draft(location, {"code", "name", "zone"}),
            request_id=request.request_id,
        )
        return site_pb2.CreateLocationResponse(location=location_message(view))

    async def ListLocations(
        self, request: site_pb2.ListLocationsRequest, context: Context
    ) -> site_pb2.ListLocationsResponse:
        caller = current_caller()
        found, token = await self.lists(
            request,
            lambda page: self.locations.list(
                caller,
                page,
                site=site_key(request.site),
                zone=request.zone or None,
                show_inactive=request.show_inactive,
            ),
            max_size=MAX_LOCATIONS_PAGE,
        )
        return site_pb2.ListLocationsResponse(
            locations=[location_message(v) for v in found], next_page_token=token
        )

    async def UpdateLocation(
        self, request: site_pb2.UpdateLocationRequest, context: Context
    ) -> site_pb2.UpdateLocationResponse:
        paths = update_paths(request.update_mask, LOCATION_FIELDS)
        view = await self.run(
            self.locations.update,
            current_caller(),
            request.location.id,
            location_draft(request.location, paths),
        )
        return site_pb2.UpdateLocationResponse(location=location_message(view))
