"""Request ids (AIP-155): a request_id names one request. Sent again with the same content it is
a retry, answered with the first result; sent with other content it is a mistake (a reused or
guessed id), refused and changing nothing. A request's content is kept as a fingerprint."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from inventory_service.domain.errors import FailedPrecondition, PreconditionViolation


def _plain(value: Any) -> Any:
    """value as JSON can hold it, the same for equal values (dataclasses as their fields)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in sorted(value.items(), key=str)}
    if isinstance(value, list | tuple | frozenset | set):
        items = [_plain(item) for item in value]
        return sorted(items, key=json.dumps) if isinstance(value, frozenset | set) else items
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def fingerprint(operation: str, content: object) -> str:
    """A digest of what a request asks (its request_id left out), kept with its key."""
    text = json.dumps([operation, _plain(content)], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def request_id_reused(request_id: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"request_id {request_id!r} was sent before with a different request; a retry must "
        "repeat the request exactly, and a new request needs a new request_id",
        reason="REQUEST_ID_REUSED",
        violations=[
            PreconditionViolation(
                "REQUEST_ID",
                "request_id",
                "this request_id was used for a request with other content",
            )
        ],
        metadata={"request_id": request_id},
    )
