"""What well-formed sites and locations are, and when one may be deactivated.

Codes are ASCII, taken in upper case (domain/places.ascii_upper): a site code is 1 to 32
characters of A-Z 0-9 - _ . ; a location code 1 to 64 of A-Z 0-9 - _ . / . The default site
and each site's default location are never deactivated; nor is a place holding stock or
covered by a count in progress."""

from __future__ import annotations

import re
from dataclasses import dataclass

from inventory_service.domain.errors import (
    ErrorCollector,
    FailedPrecondition,
    PreconditionViolation,
)

SITE_CODE = re.compile(r"[A-Z0-9_.\-]{1,32}")
LOCATION_CODE = re.compile(r"[A-Z0-9_.\-/]{1,64}")
MAX_NAME = 200
MAX_ZONE = 100


@dataclass(frozen=True)
class SiteDraft:
    """Site fields as a caller gives them (codes already in upper case). None: not given."""

    code: str | None = None
    name: str | None = None
    active: bool | None = None


@dataclass(frozen=True)
class LocationDraft:
    """Location fields as a caller gives them (codes already in upper case). None: not given."""

    code: str | None = None
    name: str | None = None
    zone: str | None = None
    active: bool | None = None


def check_site(draft: SiteDraft, errors: ErrorCollector, *, creating: bool) -> None:
    """Adds the violations of the fields given (code and name are required when creating)."""
    if draft.code is not None or creating:
        if not draft.code:
            errors.add("site.code", "required")
        elif not SITE_CODE.fullmatch(draft.code):
            errors.add("site.code", "1-32 characters of A-Z, 0-9, '-', '_' and '.'")
    if draft.name is not None or creating:
        if not draft.name or not draft.name.strip():
            errors.add("site.name", "required")
        elif len(draft.name) > MAX_NAME:
            errors.add("site.name", f"at most {MAX_NAME} characters")


def check_location(draft: LocationDraft, errors: ErrorCollector, *, creating: bool) -> None:
    """Adds the violations of the fields given (the code is required when creating)."""
    if draft.code is not None or creating:
        if not draft.code:
            errors.add("location.code", "required")
        elif not LOCATION_CODE.fullmatch(draft.code):
            errors.add("location.code", "1-64 characters of A-Z, 0-9, '-', '_', '.' and '/'")
    if draft.name is not None and len(draft.name) > MAX_NAME:
        errors.add("location.name", f"at most {MAX_NAME} characters")
    if draft.zone is not None and len(draft.zone) > MAX_ZONE:
        errors.add("location.zone", f"at most {MAX_ZONE} characters")


def _refused(message: str, reason: str, subject: str) -> FailedPrecondition:
    return FailedPrecondition(
        message,
        reason=reason,
        violations=[PreconditionViolation(reason, subject, message)],
    )


def check_site_deactivation(
    site_id: str, code: str, *, is_default: bool, holds_stock: bool, in_count: bool
) -> None:
    """FAILED_PRECONDITION unless the site may be deactivated."""
    subject = f"sites/{site_id}"
    if is_default:
        raise _refused(f"site {code} is the default site: it stays active", "DEFAULT_SITE", subject)
    if holds_stock:
        raise _refused(
            f"site {code} holds stock: move or write it off first", "SITE_HOLDS_STOCK", subject
        )
    if in_count:
        raise _refused(f"site {code} has an inventory count in progress", "SITE_IN_COUNT", subject)


def check_location_deactivation(
    location_id: str, label: str, *, is_default: bool, holds_stock: bool, in_count: bool
) -> None:
    """FAILED_PRECONDITION unless the location may be deactivated."""
    subject = f"locations/{location_id}"
    if is_default:
        raise _refused(
            f"location {label} is its site's default location: it stays active",
            "DEFAULT_LOCATION",
            subject,
        )
    if holds_stock:
        raise _refused(
            f"location {label} holds stock: move or write it off first",
            "LOCATION_HOLDS_STOCK",
            subject,
        )
    if in_count:
        raise _refused(
            f"location {label} is covered by an inventory count in progress",
            "LOCATION_IN_COUNT",
            subject,
        )


def location_inactive(location_id: str, label: str) -> FailedPrecondition:
    """A stock change into or out of an inactive location."""
    return _refused(
        f"location {label} is inactive: it takes no stock changes",
        "LOCATION_INACTIVE",
        f"locations/{location_id}",
    )


def site_inactive(site_id: str, code: str) -> FailedPrecondition:
    return _refused(
        f"site {code} is inactive: it takes no stock changes or counts",
        "SITE_INACTIVE",
        f"sites/{site_id}",
    )
