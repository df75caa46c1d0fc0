"""Where stock sits: a location inside a site. A stock change that names no location lands on
the default location of its site, the default site when it names none either. A count entry
names the location it was counted in, unless its count covers only one."""

from __future__ import annotations

from dataclasses import dataclass

from inventory_service.domain.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
)

DEFAULT_SITE_CODE = "MAIN"
DEFAULT_LOCATION_CODE = "DEFAULT"
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def ascii_upper(code: str) -> str:
    """A site or location code as stored: ASCII letters in upper case, nothing else changed
    (str.upper maps some non-ASCII letters onto ASCII ones, matching a code never written)."""
    return code.translate(_UPPER)


@dataclass(frozen=True, slots=True)
class Place:
    """A location and its site (the pair every stock level and ledger row carries)."""

    location_id: str
    site_id: str


@dataclass(frozen=True, slots=True)
class LocationKey:
    """How a caller names a location (the contract's LocationSelector): id; or code within a
    site (site_code, or the site the call implies); or a site's default location (site_code
    alone). All empty: the default location of the site the call implies."""

    id: str = ""
    site_code: str = ""
    code: str = ""

    @property
    def given(self) -> bool:
        return bool(self.id or self.site_code or self.code)

    def label(self) -> str:
        """The key as a caller would recognise it in a message."""
        if self.id:
            return self.id
        if self.code:
            return f"{self.site_code}/{self.code}" if self.site_code else self.code
        return f"{self.site_code} (default location)"


NO_LOCATION = LocationKey()


@dataclass(frozen=True, slots=True)
class SiteKey:
    """How a caller names a site (the contract's SiteSelector): id or code; neither: the
    default site."""

    id: str = ""
    code: str = ""

    @property
    def given(self) -> bool:
        return bool(self.id or self.code)


DEFAULT_SITE = SiteKey()


@dataclass(frozen=True, slots=True)
class SiteRef:
    """What a stock change or a count needs of a site."""

    id: str
    code: str
    is_default: bool = False
    active: bool = True


@dataclass(frozen=True, slots=True)
class LocationRef:
    """What an entry or a stock change needs of a location."""

    id: str
    site_id: str
    code: str
    is_default: bool = False
    active: bool = True

    @property
    def place(self) -> Place:
        return Place(self.id, self.site_id)


def site_not_found(key: SiteKey) -> NotFound:
    return NotFound("site", key.id or key.code, reason="SITE_NOT_FOUND")


def check_location_key(key: LocationKey, field_name: str) -> InvalidArgument | None:
    """An id goes alone: with a code or site code too, the key is ambiguous."""
    if key.id and (key.site_code or key.code):
        return InvalidArgument.one(field_name, "give a location id, or a (site code and) code")
    return None


def location_not_found(key: LocationKey) -> NotFound:
    return NotFound("location", key.label(), reason="LOCATION_NOT_FOUND")


def location_required(count_id: str) -> InvalidArgument:
    return InvalidArgument.one(
        "stock_location",
        f"inventory count {count_id} covers several locations: name the one counted",
        reason="LOCATION_REQUIRED",
    )


def location_out_of_scope(count_id: str, location_id: str, label: str) -> FailedPrecondition:
    """An entry for a location the count does not cover."""
    return FailedPrecondition(
        f"location {label!r} ({location_id}) is not covered by inventory count {count_id}",
        reason="OUT_OF_SCOPE",
        violations=[
            PreconditionViolation(
                "OUT_OF_SCOPE",
                f"locations/{location_id}",
                f"count {count_id} covers only the locations of its scope",
            )
        ],
        metadata={"inventory_count_id": count_id, "location_id": location_id},
    )
