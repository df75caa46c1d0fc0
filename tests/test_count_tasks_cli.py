"""`inventory-client counts` by place, against a real server: a count of some locations and a
zone, tasks for counters, what is left, entries at a location, progress, and the simulator
spreading its scanners over the count's locations."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from inventory_service.domain.identity import Role
from tests.helpers import ServerThread, clients, create_product
from tests.place_support import Places
from tests.test_client_cli import CONSOLE_SCRIPT, Terminal, terminal  # noqa: F401 (the fixture)


@pytest.fixture
def shop(sqlite_server: ServerThread) -> Iterator[int]:
    """The server's port; MAIN with A-01, A-02 (zone Aisle A) and FRIDGE-1; SOAP with 10 in
    A-01 and 4 in A-02."""
    places = Places(sqlite_server.settings.database_url)
    try:
        main = places.main()
        a1 = places.location(main, "A-01", zone="Aisle A")
        a2 = places.location(main, "A-02", zone="Aisle A")
        places.location(main, "FRIDGE-1", zone="Cold chain")
        with clients(sqlite_server.port) as api:
            soap = create_product(api, "SOAP", cost="2.00").id
        places.stock(soap, a1, 10)
        places.stock(soap, a2, 4)
        yield sqlite_server.port
    finally:
        places.engine.dispose()


def test_a_count_by_place_from_the_terminal(shop: int, terminal: Terminal) -> None:  # noqa: F811
    port = shop
    started = terminal(
        port, Role.MANAGER, "counts start Aisles --type cycle --zone 'Aisle A' --json"
    )
    assert started.code == 0, started.err
    count = started.json()
    assert (count["siteCode"], count["locationCount"], count["scopeZones"]) == (
        "MAIN",
        "2",
        ["Aisle A"],
    )
    count_id = count["id"]
    busy = terminal(port, Role.MANAGER, "counts start Again --type spot --location A-02")
    assert busy.code == 5
    assert "[COUNT_IN_PROGRESS]" in busy.err
    assert "A-02" in busy.err

    assigned = terminal(port, Role.MANAGER, f"counts assign {count_id} sam --zone 'Aisle A' --json")
    assert assigned.code == 0, assigned.err
    assert [t["locationCode"] for t in assigned.json()] == ["A-01", "A-02"]

    mine = terminal(port, Role.STAFF, "counts tasks --json", sub="sam")
    assert [(t["locationCode"], t["levelsExpected"]) for t in mine.json()] == [
        ("A-01", "1"),
        ("A-02", "1"),
    ]
    left = terminal(port, Role.STAFF, f"counts left {count_id}", sub="sam")
    assert left.code == 0, left.err
    assert "SOAP" in left.out
    assert "A-01" in left.out

    unplaced = terminal(port, Role.STAFF, f"counts add {count_id} SOAP 9", sub="sam")
    assert unplaced.code == 4
    assert "[LOCATION_REQUIRED]" in unplaced.err
    added = terminal(
        port, Role.STAFF, f"counts add {count_id} SOAP 9 --at A-01 --location 'top shelf' --json"
    )
    assert added.code == 0, added.err
    assert (added.json()["locationCode"], added.json()["location"]) == ("A-01", "top shelf")
    left = terminal(port, Role.STAFF, f"counts left {count_id} --json", sub="sam")
    assert [lv["locationCode"] for lv in left.json()] == ["A-02"]

    progress = terminal(port, Role.MANAGER, f"counts progress {count_id} --json")
    assert progress.code == 0, progress.err
    figures = progress.json()
    assert (figures["levelsExpected"], figures["levelsCounted"], figures["locationsDone"]) == (
        "2",
        "1",
        "1",
    )
    table = terminal(port, Role.MANAGER, f"counts progress {count_id}")
    assert "1 of 2" in table.out  # levels counted, over the count

    removed = terminal(port, Role.MANAGER, f"counts unassign {count_id} sam --json")
    assert [t["locationCode"] for t in removed.json()] == ["A-01", "A-02"]
    assert terminal(port, Role.STAFF, "counts tasks --json", sub="sam").json() == []
    listed = terminal(port, Role.STAFF, "counts list --site MAIN --json")
    assert [c["id"] for c in listed.json()] == [count_id]


def test_simulated_scanners_spread_over_the_count_s_locations(
    shop: int,
    terminal: Terminal,  # noqa: F811
) -> None:
    port = shop
    count_id = terminal(
        port, Role.MANAGER, "counts start Aisles --type cycle --zone 'Aisle A' --json"
    ).json()["id"]
    # A manager's token reads the count's locations: one scanner in each.
    command = f"simulate --count-id {count_id} --scanners 2 --random 40 --quiet --seed 1"
    run = terminal(port, Role.MANAGER, command)
    assert run.code == 0, run.err
    assert (json.loads(run.out)["acked"], json.loads(run.out)["rejected"]) == (40, 0)
    items = terminal(port, Role.MANAGER, f"counts items {count_id} --all --json").json()
    assert {item["locationCode"] for item in items} == {"A-01", "A-02"}
    # A staff token names them.
    command += " --location A-02"
    run = terminal(port, Role.STAFF, command)
    assert run.code == 0, run.err
    # Without any, a count of several locations refuses every entry.
    run = terminal(port, Role.STAFF, command.replace(" --location A-02", ""))
    assert run.code == 8
    assert "LOCATION_REQUIRED" in run.err


def test_the_console_script_lists_the_count_task_commands() -> None:
    listing = subprocess.run(
        [str(CONSOLE_SCRIPT), "counts", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    for name in ("assign", "unassign", "tasks", "left", "progress"):
        assert f"  {name} " in listing, name
    start = subprocess.run(
        [str(CONSOLE_SCRIPT), "counts", "start", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    for option in ("--site", "--location", "--zone"):
        assert option in start
