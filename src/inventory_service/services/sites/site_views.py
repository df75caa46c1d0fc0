"""Read models of sites and locations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SiteView:
    id: str
    code: str
    name: str
    active: bool
    is_default: bool
    default_location_id: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class LocationView:
    id: str
    site_id: str
    site_code: str
    code: str
    name: str
    zone: str
    active: bool
    is_default: bool
    created_at: datetime
    updated_at: datetime
