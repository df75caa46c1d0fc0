"""Count tasks (PRODUCT.md, "Count tasks"): a manager assigns locations of a count in progress
to counters, who list what is left to count in them; managers follow the progress per location.

A location's expected levels are the stock levels a completion would call uncounted if nobody
counted them: the levels of the count's active (and, for a scoped count, in-scope) products in
the location. A level is counted once the count has a line for it; found stock without a level
makes a line but no expected level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inventory_service.domain.count_places import check_location_keys, check_zones
from inventory_service.domain.errors import (
    ErrorCollector,
    FailedPrecondition,
    InvalidArgument,
    PreconditionViolation,
)
from inventory_service.domain.places import LocationKey

MAX_ASSIGNEES = 50
MAX_ASSIGNEE = 200  # a token subject, as stored with every record
MAX_TASK_LOCATIONS = 1_000
# Tasks one call may assign (or that its answer may list).
MAX_TASKS = 5_000


@dataclass(frozen=True)
class TaskRequest:
    """What AssignCountTasks and UnassignCountTasks name."""

    inventory_count_id: str
    assignees: tuple[str, ...]
    locations: tuple[LocationKey, ...] = ()
    zones: tuple[str, ...] = ()

    @property
    def names_places(self) -> bool:
        return bool(self.locations or self.zones)


def check_task_request(request: TaskRequest, *, assigning: bool) -> None:
    """INVALID_ARGUMENT naming every bad field; the required ones alone when one is missing."""
    errors = ErrorCollector()
    if not request.inventory_count_id:
        errors.add("inventory_count_id", "required")
    if not request.assignees:
        errors.add("assignees", "name at least one counter")
    errors.raise_if_any()
    if len(request.assignees) > MAX_ASSIGNEES:
        errors.add("assignees", f"at most {MAX_ASSIGNEES} counters")
    for i, assignee in enumerate(request.assignees):
        if not assignee.strip():
            errors.add(f"assignees[{i}]", "a counter's user id is required")
        elif len(assignee) > MAX_ASSIGNEE:
            errors.add(f"assignees[{i}]", f"at most {MAX_ASSIGNEE} characters")
    check_location_keys(request.locations, "locations", MAX_TASK_LOCATIONS, errors)
    check_zones(request.zones, "zones", errors)
    if assigning and not request.names_places:
        errors.add("locations", "name at least one location or zone to assign")
    errors.raise_if_any()


def check_task_total(assignees: int, locations: int) -> None:
    if assignees * locations > MAX_TASKS:
        raise InvalidArgument.one(
            "locations",
            f"{assignees} counters x {locations} locations is more than the {MAX_TASKS} tasks "
            "one call may assign; assign fewer at a time",
        )


def zone_out_of_scope(count_id: str, zone: str) -> FailedPrecondition:
    """A zone none of the count's locations carries."""
    return FailedPrecondition(
        f"no location of inventory count {count_id} is in zone {zone!r}",
        reason="OUT_OF_SCOPE",
        violations=[
            PreconditionViolation(
                "OUT_OF_SCOPE", f"zones/{zone}", f"count {count_id} covers no location of it"
            )
        ],
        metadata={"inventory_count_id": count_id, "zone": zone},
    )


def unique_assignees(assignees: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(assignees))
