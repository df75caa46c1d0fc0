"""What goes into the recorder and what comes out: an entry's outcome, and the entry id of an
AddCountItem call."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from inventory_service.domain.errors import DomainError
from inventory_service.services.counts.count_views import CountLineView
from inventory_service.services.idempotency import validate_request_id

ADD_COUNT_ITEM = "AddCountItem"


@dataclass(frozen=True, slots=True)
class EntryOutcome:
    """The answer to one entry: the stored line, or why the entry was rejected."""

    entry_id: str
    line: CountLineView | None = None
    error: DomainError | None = None
    duplicate: bool = False

    def line_or_raise(self) -> CountLineView:
        if self.error is not None:
            raise self.error
        assert self.line is not None
        return self.line


def unary_entry_id(request_id: str) -> str:
    """The entry id of an AddCountItem call. Made from its request_id when it has one, so a
    retry is a resent entry and applies once; a new one otherwise."""
    validate_request_id(request_id)
    if not request_id:
        return uuid.uuid4().hex
    return "request:" + hashlib.sha256(request_id.encode()).hexdigest()[:48]
