"""The `sites` claim over every RPC of the contract, walked from the service descriptors: an RPC
added later fails here until someone writes what a site-limited token gets from it.

The shape of a case (shared with tests/site_claim_count_cases.py, which holds the
InventoryCountService cases):

- a module of cases exports `CASES: dict[str, Case]`, keyed "<Service>.<Method>" as the
  README's roles table names RPCs (e.g. "InventoryCountService.StartInventoryCount");
- `Case = Callable[[SiteWorld], None]` (tests/site_claim_support.py): it gets a fresh world of
  three sites on a live server (each backend), MAIN (the default site), `world.here` (NORTH)
  and `world.there` (SOUTH), each of the last two with locations DEFAULT and A-1; the tokens
  `world.staff`, `world.manager`, `world.admin` are limited to NORTH (`sites: ["NORTH"]`), and
  tests/helpers' ADMIN, MANAGER, STAFF are unrestricted for setting up;
- a case calls its RPC with a limited token and asserts both sides: what NORTH holds is
  served (or the write in NORTH done) and SOUTH's data is left out of reads, or the call is
  refused with `site_not_allowed(call, request, metadata)` (PERMISSION_DENIED,
  SITE_NOT_ALLOWED) when it writes in SOUTH, names SOUTH or one of its records, or names no
  site and so implies MAIN.

test_every_rpc_has_a_case fails for an RPC of the contract without a case (or a case for an RPC
that is not in it); test_the_sites_claim runs each case."""

from __future__ import annotations

import pytest
from google.protobuf.descriptor import MethodDescriptor

from inventory_service.api.server import SERVICES
from tests.site_claim_support import Case, SiteWorld, site_world

__all__ = ["site_world"]  # the fixture, used by name

RPCS: list[MethodDescriptor] = [method for service in SERVICES for method in service.methods]


def rpc_name(method: MethodDescriptor) -> str:
    return f"{method.containing_service.name}.{method.name}"


CASES: dict[str, Case] = {}


def test_every_rpc_has_a_case() -> None:
    contract = {rpc_name(method) for method in RPCS}
    missing = sorted(contract - set(CASES))
    unknown = sorted(set(CASES) - contract)
    assert not missing, f"no `sites` claim case for {missing}"
    assert not unknown, f"cases for RPCs that are not in the contract: {unknown}"


@pytest.mark.parametrize("method", RPCS, ids=rpc_name)
def test_the_sites_claim(site_world: SiteWorld, method: MethodDescriptor) -> None:
    case = CASES.get(rpc_name(method))
    assert case is not None, f"no `sites` claim case for {rpc_name(method)}"
    case(site_world)
