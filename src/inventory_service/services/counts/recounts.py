"""Recounts: a manager asks for chosen lines to be counted again, and anyone reviewing a line
reads its history. How entries recount a line is the recorder's (services/ingestion), by the
rules of domain/recount_rules.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from inventory_service.db.models import StoredCountEntry
from inventory_service.db.types import utcnow
from inventory_service.domain.enums import CountMode
from inventory_service.domain.errors import InvalidArgument, NotFound
from inventory_service.domain.identity import Caller
from inventory_service.domain.paging import Page, PageRequest
from inventory_service.domain.recount_rules import REQUESTED, check_recount_request, requested_at
from inventory_service.services.base import Service
from inventory_service.services.counts.count_access import allowed_count
from inventory_service.services.counts.count_views import (
    CountLineView,
    line_views,
    require_count_id,
)
from inventory_service.services.counts.lifecycle import count_in_progress
from inventory_service.services.read_models import from_row


@dataclass(frozen=True)
class CountEntryView:
    """One entry that touched a line, and the line's counted quantity after it."""

    entry_id: str
    count_item_id: str
    counted_by: str
    device_id: str
    quantity: int
    mode: CountMode
    scanned_at: datetime | None
    stored_at: datetime
    counted_quantity: int
    recount: bool
    reason: str
    location: str
    # The line's location (an entry counts the line it touched).
    location_id: str = ""
    location_code: str = ""


def line_not_found(line_id: str) -> NotFound:
    return NotFound("count item", line_id)


class RecountService(Service):
    def request(
        self, caller: Caller, count_id: str, line_ids: Sequence[str], *, reason: str = ""
    ) -> list[CountLineView]:
        """Marks the lines RECOUNT_REQUESTED, in one transaction, each row locked: an entry
        recording on a line meanwhile is either before the request or a recount."""
        ids = check_recount_request(count_id, line_ids, reason)
        with self.uow_factory() as uow:
            # FOR SHARE, as entries hold it: a completion (FOR UPDATE) waits for the request.
            count_in_progress(uow, caller, count_id, lock="share")
            lines = {line.id: line for line in uow.recounts.lines_for_update(count_id, ids)}
            missing = [line_id for line_id in ids if line_id not in lines]
            if missing:
                raise line_not_found(missing[0])
            now = utcnow()
            for line in lines.values():
                line.status = REQUESTED
                line.recount_requested_by = caller.user_id
                line.recount_requested_at = requested_at(now, line.counted_at)
                line.recount_reason = reason
            uow.flush()
            views = line_views(uow, [lines[line_id] for line_id in ids])
            uow.commit()
            return views

    def history(
        self, caller: Caller, count_id: str, line_id: str, page: PageRequest
    ) -> Page[CountEntryView]:
        """Every entry stored on the line, oldest first (each in the line's location)."""
        require_count_id(count_id)
        if not line_id:
            raise InvalidArgument.one("count_item_id", "required")
        with self.uow_factory(read_only=True) as uow:
            allowed_count(uow, caller, count_id)
            line = uow.recounts.line(count_id, line_id)
            if line is None:
                raise line_not_found(line_id)
            code, _ = uow.counts.location_labels([line.location_id]).get(line.location_id, ("", ""))
            return uow.recounts.entries_page(line_id, page).map(
                lambda row: _entry_view(row, line.location_id, code)
            )


def _entry_view(row: StoredCountEntry, location_id: str, location_code: str) -> CountEntryView:
    return from_row(
        CountEntryView,
        row,
        mode=CountMode(row.mode),
        location_id=location_id,
        location_code=location_code,
    )
