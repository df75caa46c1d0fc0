"""Request ids: every call gets one, the caller's `x-request-id` or a new one, logged on every
line of the call (logs.py) and returned in its trailing metadata (and with a stream's headers),
so a caller's log, the server's log and a stored scanner entry name the same call. The
interceptor that sets it is RequestIdInterceptor (api/interceptors.py)."""

from __future__ import annotations

import os
import re

HEADER = "x-request-id"
# Printable ASCII without spaces, at most 64 characters (the column that keeps it): anything
# else is replaced, so a caller cannot put line breaks or megabytes into the log.
_ACCEPTED = re.compile(r"[!-~]{1,64}")


def request_id_from(given: str | None) -> str:
    if given is not None and _ACCEPTED.fullmatch(given):
        return given
    return os.urandom(16).hex()  # as random as a uuid4, without building one on every call


def request_id_metadata(request_id: str | None) -> tuple[tuple[str, str], ...]:
    return ((HEADER, request_id),) if request_id else ()
