"""`inventory-client counts due`, scoped `counts start` and accuracy per class in `counts
summary`, against a real server (the README's cycle-count example)."""

from __future__ import annotations

import pytest

from inventory_service.domain.identity import Role
from tests.cycle_plan_support import abc_catalog
from tests.helpers import ServerThread, clients
from tests.test_client_cli import Terminal, terminal  # noqa: F401 (the fixture)


@pytest.fixture
def catalog(sqlite_server: ServerThread) -> tuple[int, dict[str, str]]:
    """The server's port and the ids of the ABC catalog (tests/cycle_plan_support.py) on it."""
    with clients(sqlite_server.port) as api:
        return sqlite_server.port, abc_catalog(api)


def test_a_cycle_count_of_the_due_class_a_products_from_the_terminal(
    catalog: tuple[int, dict[str, str]],
    terminal: Terminal,  # noqa: F811
) -> None:
    port, ids = catalog

    due = terminal(port, Role.STAFF, "counts due --json")
    assert due.code == 0, due.err
    assert len(due.json()) == 6
    class_a = terminal(port, Role.STAFF, "counts due --class a --json").json()
    assert {p["sku"] for p in class_a} == {"ABC-1", "ABC-2"}
    assert {p["abcClass"] for p in class_a} == {"ABC_CLASS_A"}
    table = terminal(port, Role.STAFF, "counts due --class A")
    assert "ABC-1" in table.out
    assert "Days overdue" in table.out

    started = terminal(
        port, Role.MANAGER, "counts start 'Class A' --type cycle --scope-due --class a --json"
    )
    assert started.code == 0, started.err
    count = started.json()
    assert (count["scoped"], count["scopeProductCount"]) == (True, "2")

    assert terminal(port, Role.STAFF, f"counts add {count['id']} ABC-1 750").code == 0
    outside = terminal(port, Role.STAFF, f"counts add {count['id']} ABC-4 1")
    assert outside.code != 0
    assert "FAILED_PRECONDITION [OUT_OF_SCOPE]" in outside.err

    completed = terminal(port, Role.MANAGER, f"counts complete {count['id']} --apply --json")
    assert completed.code == 0, completed.err
    assert [u["productId"] for u in completed.json()["uncountedLevels"]] == [ids["ABC-2"]]

    summary = terminal(port, Role.MANAGER, "counts summary --json").json()
    assert [(c["abcClass"], c["itemsCounted"], c["accuracy"]) for c in summary["byAbcClass"]] == [
        ("ABC_CLASS_A", "1", 1.0),
        ("ABC_CLASS_B", "0", 1.0),
        ("ABC_CLASS_C", "0", 1.0),
    ]
    assert "Accuracy by ABC class" in terminal(port, Role.MANAGER, "counts summary").out

    assert {p["sku"] for p in terminal(port, Role.STAFF, "counts due --json").json()} == {
        "ABC-2",
        "ABC-3",
        "ABC-4",
        "ABC-5",
        "ABC-6",
    }
    assert len(terminal(port, Role.STAFF, "counts due --all --json").json()) == 6


def test_a_count_scoped_to_named_products(
    catalog: tuple[int, dict[str, str]],
    terminal: Terminal,  # noqa: F811
) -> None:
    port, ids = catalog
    started = terminal(
        port,
        Role.MANAGER,
        f"counts start Spot --type spot --product ABC-3 --product id:{ids['ABC-5']} --json",
    )
    assert started.code == 0, started.err
    assert started.json()["scopeProductCount"] == "2"
    shown = terminal(port, Role.STAFF, f"counts show {started.json()['id']}")
    assert "2 products" in shown.out
