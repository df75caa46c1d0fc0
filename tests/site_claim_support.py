"""What the `sites` claim cases share (tests/test_site_claims.py runs them; the cases live there
and in tests/site_claim_count_cases.py): a world of three sites, tokens limited to one of them,
and the assertion a refused call makes.

The world, made fresh for each case through the API with unrestricted tokens:
- MAIN, the default site (with its location DEFAULT), which the limited tokens do NOT allow:
  a request that names no site implies MAIN, so from a limited token it is SITE_NOT_ALLOWED;
- `here`: site NORTH, which the limited tokens allow, with locations DEFAULT and A-1;
- `there`: site SOUTH, which they do not, with locations DEFAULT and A-1.
`world.staff`, `world.manager`, `world.admin` are the limited tokens' metadata (`sites:
["NORTH"]`, one user each); tests/helpers.ADMIN, MANAGER, STAFF are unrestricted, for setting
up data in any site."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import grpc
import pytest

from inventory.v1 import site_pb2
from inventory_service.domain.identity import Role
from tests.helpers import ADMIN, Clients, Metadata, error_info, expect_error, token


@dataclass(frozen=True)
class SitePlaces:
    """One site of the world and its two locations."""

    code: str
    id: str
    default_location_id: str
    # A location of its own besides DEFAULT (code A-1).
    location_id: str
    location_code: str = "A-1"

    def location(self) -> site_pb2.LocationSelector:
        """A-1 of this site, by site code and code."""
        return site_pb2.LocationSelector(site_code=self.code, code=self.location_code)

    def selector(self) -> site_pb2.SiteSelector:
        return site_pb2.SiteSelector(code=self.code)


@dataclass(frozen=True)
class SiteWorld:
    api: Clients
    here: SitePlaces  # NORTH: the limited tokens' site
    there: SitePlaces  # SOUTH: a site they may not use
    staff: Metadata
    manager: Metadata
    admin: Metadata


# A case: what one RPC does for a token limited to world.here. It sets up what it needs (with
# the unrestricted tokens), calls the RPC with world.staff/manager/admin, and asserts both
# sides: the allowed site's data is served (or the write in it done), and another site's data
# is left out (reads) or the call is refused with site_not_allowed (writes, and requests that
# name another site or one of its records).
Case = Callable[[SiteWorld], None]


def site_not_allowed(call: Callable[..., object], request: object, metadata: Metadata) -> None:
    """call(request) from metadata is PERMISSION_DENIED, reason SITE_NOT_ALLOWED."""
    error = expect_error(grpc.StatusCode.PERMISSION_DENIED, call, request, metadata=metadata)
    assert error_info(error).reason == "SITE_NOT_ALLOWED", error.details()


def limited(role: Role, site_code: str) -> Metadata:
    """A token of role limited to one site."""
    sub = f"{role.name.lower()}-of-{site_code.lower()}"
    return [("authorization", f"Bearer {token(role, sub, sites=[site_code])}")]


def _site(api: Clients, code: str) -> SitePlaces:
    site = api.sites.CreateSite(
        site_pb2.CreateSiteRequest(site=site_pb2.Site(code=code, name=f"Site {code}")),
        metadata=ADMIN,
    ).site
    location = api.sites.CreateLocation(
        site_pb2.CreateLocationRequest(
            location=site_pb2.Location(site_code=code, code="A-1", name="Aisle 1", zone="Aisle A")
        ),
        metadata=ADMIN,
    ).location
    return SitePlaces(code, site.id, site.default_location_id, location.id)


@pytest.fixture
def site_world(api: Clients) -> SiteWorld:
    return SiteWorld(
        api=api,
        here=_site(api, "NORTH"),
        there=_site(api, "SOUTH"),
        staff=limited(Role.STAFF, "NORTH"),
        manager=limited(Role.MANAGER, "NORTH"),
        admin=limited(Role.ADMIN, "NORTH"),
    )
