"""Who is calling, and what their role allows."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.IntEnum):
    """Each role includes the ones below it."""

    STAFF = 1
    MANAGER = 2
    ADMIN = 3

    @classmethod
    def parse(cls, value: object) -> Role | None:
        """The role named exactly `staff`, `manager` or `admin`; None for anything else. No
        case folding: Unicode upper-casing turns "adm\\u0131n" (a dotless i) into ADMIN."""
        return _BY_NAME.get(value) if isinstance(value, str) else None


_BY_NAME = {role.name.lower(): role for role in Role}


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: Role
    # The site codes of the token's `sites` claim: the caller reads and writes only there.
    # None: no claim, every site.
    sites: frozenset[str] | None = None

    def at_least(self, role: Role) -> bool:
        return self.role >= role

    def may_use_site(self, site_code: str) -> bool:
        return self.sites is None or site_code in self.sites
