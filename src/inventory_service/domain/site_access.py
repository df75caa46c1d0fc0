"""Who may act where: a token's `sites` claim limits its holder to those sites. Reads show only
their data; a write elsewhere, or a read that names another site or one of its records, is
PERMISSION_DENIED with reason SITE_NOT_ALLOWED."""

from __future__ import annotations

from inventory_service.domain.errors import PermissionDenied
from inventory_service.domain.identity import Caller


def site_not_allowed(site_code: str) -> PermissionDenied:
    return PermissionDenied(
        f"this token does not allow site {site_code!r}", reason="SITE_NOT_ALLOWED"
    )


def ensure_site_allowed(caller: Caller, site_code: str) -> None:
    if not caller.may_use_site(site_code):
        raise site_not_allowed(site_code)
