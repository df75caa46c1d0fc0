"""The rules of where a count counts and of count tasks (domain/count_places.py,
domain/count_tasks.py), without a database or gRPC."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from inventory_service.api.status import to_status_proto
from inventory_service.domain.count_places import (
    MAX_SCOPE_LOCATIONS,
    CountPlaces,
    SharedLocation,
    check_places,
    overlap_error,
)
from inventory_service.domain.count_tasks import (
    MAX_ASSIGNEES,
    TaskRequest,
    check_task_request,
    check_task_total,
)
from inventory_service.domain.enums import CountType
from inventory_service.domain.errors import DomainError, ErrorCollector, InvalidArgument
from inventory_service.domain.places import LocationKey, SiteKey

A01 = LocationKey(code="A-01")


def violations(places: CountPlaces, count_type: CountType) -> dict[str, str]:
    errors = ErrorCollector()
    check_places(places, count_type, errors)
    return {v.field: v.description for v in errors.violations}


@pytest.mark.parametrize("count_type", [CountType.FULL, CountType.ANNUAL])
def test_a_whole_site_count_takes_no_locations_or_zones(count_type: CountType) -> None:
    assert "scope_locations" in violations(CountPlaces(locations=(A01,)), count_type)
    assert "scope_zones" in violations(CountPlaces(zones=("Aisle A",)), count_type)
    assert violations(CountPlaces(site=SiteKey(code="STORE-12")), count_type) == {}


@pytest.mark.parametrize("count_type", [CountType.CYCLE, CountType.SPOT])
def test_a_cycle_or_spot_count_may_name_locations_and_zones(count_type: CountType) -> None:
    assert violations(CountPlaces(locations=(A01,), zones=("Aisle A",)), count_type) == {}


def test_what_a_start_may_not_name() -> None:
    found = violations(
        CountPlaces(
            locations=(A01, LocationKey(), LocationKey(id="x", code="A-01")),
            zones=("Aisle A", " ", "z" * 101, "two\nlines"),
        ),
        CountType.CYCLE,
    )
    assert set(found) == {
        "scope_locations[1]",
        "scope_locations[2]",
        "scope_zones[1]",
        "scope_zones[2]",
        "scope_zones[3]",
    }
    too_many = CountPlaces(locations=(A01,) * (MAX_SCOPE_LOCATIONS + 1))
    assert violations(too_many, CountType.CYCLE) == {
        "scope_locations": f"at most {MAX_SCOPE_LOCATIONS} locations"
    }


@dataclass(frozen=True)
class Count:
    id: str
    name: str
    started_by: str = "mia"
    started_at: datetime = datetime(2025, 1, 1, tzinfo=UTC)


def shared(count: Count, *codes: str) -> list[SharedLocation]:
    return [SharedLocation(f"loc-{code}", code, count) for code in codes]


def test_a_start_of_one_location_gets_the_released_answer() -> None:
    """On an installation where nobody made a location, every count covers DEFAULT alone, and
    a second start is refused as it always was: one violation, naming the count."""
    running = Count("c-1", "Aisle 3 cycle count")
    error = overlap_error(shared(running, "DEFAULT"), default_only=True)
    assert error.reason == "COUNT_IN_PROGRESS"
    assert error.message == (
        "inventory count 'Aisle 3 cycle count' (c-1) is in progress; complete or cancel it "
        "before starting another"
    )
    [violation] = error.violations
    assert violation.subject == "inventoryCounts/c-1"
    assert "Aisle 3 cycle count" in violation.description
    assert error.metadata == {"inventory_count_id": "c-1", "inventory_count_name": running.name}


def test_an_overlap_names_the_counts_then_the_shared_locations_by_code() -> None:
    aisle = Count("c-1", "Aisle A")
    fridge = Count("c-2", "Fridges")
    error = overlap_error(shared(aisle, "A-02", "A-01") + shared(fridge, "F-1"), default_only=False)
    assert [v.subject for v in error.violations] == [
        "inventoryCounts/c-1",
        "inventoryCounts/c-2",
        "locations/loc-A-01",
        "locations/loc-A-02",
        "locations/loc-F-1",
    ]
    assert [v.description for v in error.violations[2:]] == ["A-01", "A-02", "F-1"]
    assert "covers 3 of these locations (A-01, A-02, F-1)" in error.message
    assert error.metadata["shared_locations"] == "3"


def test_an_overlap_names_at_most_50_locations_and_lists_the_rest_as_a_number() -> None:
    codes = [f"B-{i:03d}" for i in range(120)]
    error = overlap_error(shared(Count("c-1", "Depot"), *codes), default_only=False)
    located = [v.description for v in error.violations if v.subject.startswith("locations/")]
    assert located == codes[:50]
    assert "B-009 and 110 more" in error.message


def trailer_bytes(error: DomainError) -> int:
    """What the error takes of the trailer: grpc-status-details-bin (base64) and grpc-message
    (percent-encoded)."""
    status = to_status_proto(error)
    return len(base64.b64encode(status.SerializeToString())) + len(quote(status.message))


@pytest.mark.parametrize("code_length", [1, 8, 20, 64])
def test_an_overlap_error_fits_the_trailer_a_client_accepts(code_length: int) -> None:
    """Clients refuse trailers beyond 8 KiB by default: at the longest names and codes the
    error still leaves room for the other headers, naming fewer locations if it must."""
    count = Count(str(uuid.uuid4()), "N" * 200, started_by="u" * 200)
    codes = [f"{i:0{code_length}d}"[-code_length:] + str(i) for i in range(200)]
    locations = [SharedLocation(str(uuid.uuid4()), code[:64], count) for code in codes]
    error = overlap_error(locations, default_only=False)
    assert trailer_bytes(error) < 7_200
    named = [v for v in error.violations if v.subject.startswith("locations/")]
    assert len(named) >= 25


def test_a_task_request_needs_a_count_and_counters_first() -> None:
    with pytest.raises(InvalidArgument) as empty:
        check_task_request(TaskRequest("", ()), assigning=True)
    # The required fields alone: nothing about locations until those are there.
    assert {v.field for v in empty.value.violations} == {"inventory_count_id", "assignees"}


def test_what_a_task_request_may_not_name() -> None:
    with pytest.raises(InvalidArgument) as nothing:
        check_task_request(TaskRequest("c-1", ("sam",)), assigning=True)
    assert {v.field for v in nothing.value.violations} == {"locations"}
    check_task_request(TaskRequest("c-1", ("sam",)), assigning=False)  # unassign: all of them
    with pytest.raises(InvalidArgument) as bad:
        check_task_request(
            TaskRequest(
                "c-1",
                ("sam", "", "x" * 201),
                locations=(A01, LocationKey()),
                zones=("",),
            ),
            assigning=True,
        )
    assert {v.field for v in bad.value.violations} == {
        "assignees[1]",
        "assignees[2]",
        "locations[1]",
        "zones[0]",
    }
    crowd = tuple(f"user-{i}" for i in range(MAX_ASSIGNEES + 1))
    with pytest.raises(InvalidArgument) as many:
        check_task_request(TaskRequest("c-1", crowd, locations=(A01,)), assigning=True)
    assert {v.field for v in many.value.violations} == {"assignees"}


def test_one_call_assigns_at_most_5000_tasks() -> None:
    check_task_total(50, 100)
    with pytest.raises(InvalidArgument):
        check_task_total(50, 101)


def test_a_start_of_one_location_that_is_not_a_default_one_names_it() -> None:
    error = overlap_error(shared(Count("c-1", "Fridges"), "FRIDGE-1"), default_only=False)
    assert [v.subject for v in error.violations] == [
        "inventoryCounts/c-1",
        "locations/loc-FRIDGE-1",
    ]
    assert "FRIDGE-1" in error.message
