"""The rules of recounts, as pure functions: which lines must be counted again, who may count
them, how a recount changes the line, what staff may see of the first figure, and when a count
with recounts pending may complete.

A line moves COUNTED -> RECOUNT_REQUESTED (a manager's RequestRecount, or, on a count started
with recount_significant, the transaction that leaves it a significant discrepancy) ->
RECOUNTED (its first entry after the request). Every entry after the request is a recount
entry: it must come from a user with no entry on the line from before the request."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from inventory_service.domain.count_rules import combined_count
from inventory_service.domain.enums import CountItemStatus, CountMode
from inventory_service.domain.errors import (
    ErrorCollector,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
    PreconditionViolation,
)
from inventory_service.domain.identity import Caller, Role

MAX_LINES_PER_REQUEST = 1000
MAX_REASON = 500
MAX_FORCE_REASON = 2000
# Who asks for the recounts of a count started with recount_significant: no person did.
SYSTEM = "system"
SIGNIFICANT_REASON = "significant discrepancy"
# PreconditionFailure violations listed when completion is refused: an error's details travel
# in a trailer, which clients cap (8 KiB by default); the message and metadata give the total.
MAX_LISTED_PENDING = 50

COUNTED = CountItemStatus.COUNTED.value
REQUESTED = CountItemStatus.RECOUNT_REQUESTED.value
RECOUNTED = CountItemStatus.RECOUNTED.value


def is_recount(status: str) -> bool:
    """An entry on a line in this state is a recount entry (recount=true in its history)."""
    return status in (REQUESTED, RECOUNTED)


def recount_by_same_counter(line_id: str, user_id: str) -> PermissionDenied:
    return PermissionDenied(
        f"{user_id} counted line {line_id} before its recount was requested; "
        "the recount must come from someone else",
        reason="RECOUNT_BY_SAME_COUNTER",
        metadata={"count_item_id": line_id},
    )


def check_recounter(
    line_id: str, status: str, first_counters: Collection[str], user_id: str
) -> PermissionDenied | None:
    """Refuses a recount entry from a user who counted the line before the request."""
    if is_recount(status) and user_id in first_counters:
        return recount_by_same_counter(line_id, user_id)
    return None


def first_counters(status: str, last_counter: str, stored: Collection[str]) -> frozenset[str]:
    """Who counted a line before its recount was requested: the users of its entries stored
    before the request, and, while the recount is awaited, its last counter (entries of
    AddCountItem calls made before every entry was kept left no row)."""
    if status == REQUESTED:
        return frozenset(stored) | {last_counter}
    return frozenset(stored)


def counted_after(status: str, counted: int | None, quantity: int, mode: CountMode) -> int:
    """The line's counted quantity after an entry: the first recount entry replaces the first
    figure whatever its mode; otherwise SET replaces and ADD adds."""
    if status == REQUESTED:
        return quantity
    return combined_count(counted, quantity, mode)


def status_after_entry(status: str) -> str:
    return RECOUNTED if status == REQUESTED else status


def flags_for_recount(status: str, *, significant: bool, recount_significant: bool) -> bool:
    """Whether a line, as a transaction leaves it, is now marked for recount by the system:
    a significant discrepancy on a count started with recount_significant, counted only once
    (a recount's figure stands; a requested recount is already requested)."""
    return recount_significant and significant and status == COUNTED


def requested_at(now: datetime, last_counted_at: datetime) -> datetime:
    """When a recount counts as requested: never before the line's last entry (another
    replica's clock may be ahead). Once the line is recounted, its entries stored by then are
    the first counters' (with those not sent as a recount)."""
    return max(now, last_counted_at)


def hides_first_figure(caller: Caller, status: str) -> bool:
    """Staff see neither the first figure nor its variance on a line awaiting its recount:
    the recounter counts blind. Managers see everything."""
    return status == REQUESTED and not caller.at_least(Role.MANAGER)


def hides_count_statistics(caller: Caller, pending_recounts: int) -> bool:
    """Nor do staff see a count's statistics while recounts are pending: its totals would
    give the first figures away."""
    return pending_recounts > 0 and not caller.at_least(Role.MANAGER)


def check_recount_request(count_id: str, line_ids: Sequence[str], reason: str) -> list[str]:
    """The distinct line ids of a RequestRecount, in the order given; INVALID_ARGUMENT with
    every field violation otherwise."""
    errors = ErrorCollector()
    if not count_id:
        errors.add("inventory_count_id", "required")
    if not line_ids:
        errors.add("count_item_ids", "at least one line")
    elif len(line_ids) > MAX_LINES_PER_REQUEST:
        errors.add("count_item_ids", f"at most {MAX_LINES_PER_REQUEST} lines")
    elif not all(line_ids):
        errors.add("count_item_ids", "an id is empty")
    if len(reason) > MAX_REASON:
        errors.add("reason", f"at most {MAX_REASON} characters")
    errors.raise_if_any()
    return list(dict.fromkeys(line_ids))


def check_force_reason(force_reason: str) -> None:
    if len(force_reason) > MAX_FORCE_REASON:
        raise InvalidArgument.one("force_reason", f"at most {MAX_FORCE_REASON} characters")


def recounts_pending(count_id: str, pending_line_ids: Sequence[str]) -> FailedPrecondition:
    listed = pending_line_ids[:MAX_LISTED_PENDING]
    more = len(pending_line_ids) - len(listed)
    return FailedPrecondition(
        f"inventory count {count_id} has {len(pending_line_ids)} line(s) waiting for their "
        "recount; recount them, or complete with a force_reason"
        + (f" ({len(listed)} listed)" if more else ""),
        reason="RECOUNTS_PENDING",
        violations=[
            PreconditionViolation(
                "RECOUNT_PENDING",
                f"countItems/{line_id}",
                f"line {line_id} must be counted again by someone who has not counted it",
            )
            for line_id in listed
        ],
        metadata={"pending_recounts": str(len(pending_line_ids))},
    )


def forced_completion_reason(
    count_id: str, pending_line_ids: Sequence[str], force_reason: str
) -> str:
    """What completion records as forced_completion_reason ("" when nothing was pending);
    FAILED_PRECONDITION RECOUNTS_PENDING when recounts are pending and no reason is given."""
    if not pending_line_ids:
        return ""
    if not force_reason.strip():
        raise recounts_pending(count_id, pending_line_ids)
    return force_reason
