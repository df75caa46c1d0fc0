"""Where a count counts (PRODUCT.md, "Start"): one site, and a set of its locations that no other
count in progress shares. FULL and ANNUAL counts cover every active location of the site; CYCLE
and SPOT counts the locations and zones named, or the whole site when none is named."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from inventory_service.domain.enums import CountType
from inventory_service.domain.errors import (
    ErrorCollector,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
)
from inventory_service.domain.places import (
    DEFAULT_SITE,
    LocationKey,
    SiteKey,
    check_location_key,
)

MAX_SCOPE_LOCATIONS = 50_000
MAX_SCOPE_ZONES = 1_000
MAX_ZONE = 100
# The shared locations an overlap error names, and the bytes their violations may take: error
# details travel in the trailer, which clients refuse beyond 8 KiB by default (so long codes
# mean fewer locations named); the message lists the first few codes.
MAX_SHARED_NAMED = 50
SHARED_DETAIL_BYTES = 3_800
SHARED_IN_MESSAGE = 10
SHARED_MESSAGE_CODES = 160  # characters of codes in the message
SHORT_NAME = 60
# Types that count a whole site: naming locations or zones would contradict them.
WHOLE_SITE_TYPES = (CountType.FULL, CountType.ANNUAL)


@dataclass(frozen=True)
class CountPlaces:
    """What StartInventoryCount asked to cover: a site (the default one when not given), and
    for CYCLE and SPOT counts locations and zones of it."""

    site: SiteKey = DEFAULT_SITE
    locations: tuple[LocationKey, ...] = ()
    zones: tuple[str, ...] = ()

    @property
    def named(self) -> bool:
        """Locations or zones were named (else the count covers its whole site)."""
        return bool(self.locations or self.zones)


WHOLE_DEFAULT_SITE = CountPlaces()


def check_places(places: CountPlaces, count_type: CountType | None, errors: ErrorCollector) -> None:
    """Adds the violations of the place fields of a start to errors."""
    if places.named and count_type in WHOLE_SITE_TYPES:
        field = "scope_locations" if places.locations else "scope_zones"
        errors.add(
            field,
            f"a {count_type} count covers every active location of its site; "
            "name locations or zones in a CYCLE or SPOT count",
        )
    check_location_keys(places.locations, "scope_locations", MAX_SCOPE_LOCATIONS, errors)
    check_zones(places.zones, "scope_zones", errors)


def check_location_keys(
    keys: Sequence[LocationKey], field_name: str, most: int, errors: ErrorCollector
) -> None:
    """Each key names one location (an id alone, or codes); at most `most` of them."""
    if len(keys) > most:
        errors.add(field_name, f"at most {most} locations")
        return
    for i, key in enumerate(keys):
        problem = check_location_key(key, f"{field_name}[{i}]")
        if problem is not None:
            errors.extend(problem.violations)
        elif not key.given:
            errors.add(f"{field_name}[{i}]", "name a location by id or code")


def check_zones(zones: Sequence[str], field_name: str, errors: ErrorCollector) -> None:
    if len(zones) > MAX_SCOPE_ZONES:
        errors.add(field_name, f"at most {MAX_SCOPE_ZONES} zones")
        return
    for i, zone in enumerate(zones):
        if not zone.strip():
            errors.add(f"{field_name}[{i}]", "a zone is a non-empty label")
        elif "\n" in zone:  # a count keeps its zones one to a line
            errors.add(f"{field_name}[{i}]", "a zone is one line")
        elif len(zone) > MAX_ZONE:
            errors.add(f"{field_name}[{i}]", f"at most {MAX_ZONE} characters")


def unique(values: Sequence[str]) -> list[str]:
    """The values once each, in the order first given."""
    return list(dict.fromkeys(values))


def zone_not_found(zone: str) -> NotFound:
    """A zone no active location of the site (or no location of the count) carries."""
    return NotFound("zone", zone, reason="ZONE_NOT_FOUND")


def location_not_in_site(field_name: str, location_code: str, site_code: str) -> InvalidArgument:
    return InvalidArgument.one(
        field_name,
        f"location {location_code} is not in site {site_code}, the site of the count",
        reason="LOCATION_NOT_IN_SITE",
    )


class HoldingCount(Protocol):
    """What an overlap error says of the count in progress."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def started_by(self) -> str: ...
    @property
    def started_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class SharedLocation:
    """A location the new count would cover that a count in progress holds."""

    location_id: str
    code: str
    count: HoldingCount


def overlap_error(shared: Sequence[SharedLocation], *, default_only: bool) -> FailedPrecondition:
    """The error for a start whose locations counts in progress hold (COUNT_IN_PROGRESS): a
    violation naming each such count (the first three), then one per shared location, by code
    (up to 50, as the trailer's size allows), its code in the description.

    A start covering nothing but its site's default location (every start on an installation
    where nobody made a location) gets the released answer: one violation, naming the count."""
    ordered = sorted(shared, key=lambda s: (s.code, s.location_id))
    counts = list({s.count.id: s.count for s in ordered}.values())
    first = counts[0]
    if default_only:
        return FailedPrecondition(
            f"inventory count {first.name!r} ({first.id}) is in progress; complete or cancel it "
            "before starting another",
            reason="COUNT_IN_PROGRESS",
            violations=[
                PreconditionViolation(
                    "COUNT_IN_PROGRESS",
                    f"inventoryCounts/{first.id}",
                    f"count {first.name!r} ({first.id}), started by {first.started_by} at "
                    f"{first.started_at.isoformat()}, is in progress",
                )
            ],
            metadata={"inventory_count_id": first.id, "inventory_count_name": first.name},
        )
    # Several locations: names cut short, so the locations fit in the trailer.
    shown = counts[:3]
    which = " and ".join(f"{_short(c.name)!r} ({c.id})" for c in shown)
    message = (
        f"inventory count {which} in progress already covers {len(ordered)} of these locations "
        f"({_codes(ordered)}); complete or cancel it, or leave those locations out"
    )
    violations = [
        PreconditionViolation(
            "COUNT_IN_PROGRESS",
            f"inventoryCounts/{c.id}",
            f"count {_short(c.name)!r} ({c.id}) is in progress",
        )
        for c in shown
    ]
    violations += [
        PreconditionViolation("LOCATION_HELD", f"locations/{s.location_id}", s.code)
        for s in _within_budget(ordered)
    ]
    metadata = {
        "inventory_count_id": first.id,
        "inventory_count_name": _short(first.name),
        "shared_locations": str(len(ordered)),
    }
    return FailedPrecondition(
        message, reason="COUNT_IN_PROGRESS", violations=violations, metadata=metadata
    )


def _short(name: str) -> str:
    return name if len(name) <= SHORT_NAME else name[: SHORT_NAME - 3] + "..."


def _codes(shared: Sequence[SharedLocation]) -> str:
    """The first codes, as many as fit, and how many more."""
    codes: list[str] = []
    for s in shared[:SHARED_IN_MESSAGE]:
        if sum(len(c) + 2 for c in codes) + len(s.code) > SHARED_MESSAGE_CODES:
            break
        codes.append(s.code)
    more = len(shared) - len(codes)
    return ", ".join(codes) + (f" and {more} more" if more else "")


def _within_budget(shared: Sequence[SharedLocation]) -> list[SharedLocation]:
    named: list[SharedLocation] = []
    used = 0
    for s in shared[:MAX_SHARED_NAMED]:
        # type, subject and description, and a few bytes of framing each
        used += len("LOCATION_HELD") + len("locations/") + len(s.location_id) + len(s.code) + 8
        if used > SHARED_DETAIL_BYTES:
            break
        named.append(s)
    return named


def site_inactive(site_id: str, site_code: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"site {site_code} is inactive: it takes no new counts",
        reason="SITE_INACTIVE",
        violations=[
            PreconditionViolation("SITE_INACTIVE", f"sites/{site_id}", f"site {site_code}")
        ],
    )


def location_inactive(location_id: str, code: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"location {code} is inactive: it is left out of new counts",
        reason="LOCATION_INACTIVE",
        violations=[PreconditionViolation("LOCATION_INACTIVE", f"locations/{location_id}", code)],
    )


def no_active_location(site_code: str) -> FailedPrecondition:
    """A start that would cover nothing (cannot happen while the default location stays
    active, which the rules keep: said plainly all the same)."""
    return FailedPrecondition(
        f"site {site_code} has no active location to count", reason="LOCATION_INACTIVE"
    )
