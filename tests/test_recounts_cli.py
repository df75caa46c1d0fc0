"""Recounts from the terminal, against a real server, as the README's example runs them: a
count that flags significant lines, a recount by a second counter, a manager's request, a
line's history, completion refused and then forced."""

from __future__ import annotations

from inventory_service.domain.identity import Role
from tests.helpers import ServerThread
from tests.test_client_cli import Terminal, terminal

__all__ = ["terminal"]  # the fixture


def test_recounts_from_the_terminal(sqlite_server: ServerThread, terminal: Terminal) -> None:
    port = sqlite_server.port

    def run(role: Role, command: str, sub: str | None = None) -> str:
        result = terminal(port, role, command, sub=sub)
        assert result.code == 0, (command, result.err)
        return result.out

    for sku, opening in (("SALT-1", 50), ("PEPPER-1", 20)):
        run(Role.ADMIN, f"products create --sku {sku} --name {sku} --cost 1.00 --opening {opening}")
    started = terminal(
        port, Role.MANAGER, 'counts start "Aisle 7" --type cycle --recount-significant --json'
    )
    count_id = started.json()["id"]
    assert started.json()["recountSignificant"] is True

    run(Role.STAFF, f"counts add {count_id} SALT-1 38", sub="bob")  # 12 short: flagged
    run(Role.STAFF, f"counts add {count_id} PEPPER-1 20", sub="bob")
    lines = {
        i["sku"]: i for i in terminal(port, Role.MANAGER, f"counts items {count_id} --json").json()
    }
    salt, pepper = lines["SALT-1"], lines["PEPPER-1"]
    assert (salt["status"], salt["countedQuantity"]) == (
        "COUNT_ITEM_STATUS_RECOUNT_REQUESTED",
        "38",
    )
    assert pepper["status"] == "COUNT_ITEM_STATUS_COUNTED"
    as_staff = run(Role.STAFF, f"counts items {count_id}", sub="carol")
    assert "recount-requested" in as_staff
    assert " 38 " not in as_staff  # the first figure is hidden from the recounter

    again = terminal(port, Role.STAFF, f"counts add {count_id} SALT-1 40", sub="bob")
    assert again.code == 6
    assert "[RECOUNT_BY_SAME_COUNTER]" in again.err
    recounted = terminal(port, Role.STAFF, f"counts add {count_id} SALT-1 41 --json", sub="carol")
    assert (recounted.json()["status"], recounted.json()["countedQuantity"]) == (
        "COUNT_ITEM_STATUS_RECOUNTED",
        "41",
    )

    asked = terminal(
        port,
        Role.MANAGER,
        f'counts recount {count_id} {pepper["id"]} --reason "box looked light" --json',
    )
    assert [i["recountReason"] for i in asked.json()] == ["box looked light"]
    refused = terminal(port, Role.MANAGER, f"counts complete {count_id} --apply")
    assert refused.code == 5
    assert "[RECOUNTS_PENDING]" in refused.err

    history = terminal(port, Role.MANAGER, f"counts history {count_id} {salt['id']} --json").json()
    assert [(e["countedBy"], e["quantity"], e["recount"]) for e in history] == [
        ("bob", "38", False),
        ("carol", "41", True),
    ]
    assert "carol" in run(Role.MANAGER, f"counts history {count_id} {salt['id']}")

    forced = terminal(
        port,
        Role.MANAGER,
        f'counts complete {count_id} --apply --force-reason "pepper shelf closed" --json',
    )
    assert forced.code == 0, forced.err
    assert forced.json()["inventoryCount"]["forcedCompletionReason"] == "pepper shelf closed"
    shown = run(Role.MANAGER, f"counts show {count_id}")
    assert "pepper shelf closed" in shown
