"""Recounts from the terminal, against a real server, as the README's example runs them: a
count that flags significant lines, a recount by a second counter, a manager's request, a
line's history, completion refused and then forced."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.domain.identity import Role
from tests.helpers import MANAGER, TEST_SECRET, ServerThread, clients, list_items, stock_of
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


def readme_example(section: str) -> str:
    """The shell block of a README section, as a person would paste it."""
    text = (Path(__file__).parents[1] / "README.md").read_text()
    body = text.split(f"### {section}\n", 1)[1].split("\n### ", 1)[0]
    return body.split("```sh\n", 1)[1].split("```", 1)[0]


def test_the_readme_recount_example_runs_as_written(sqlite_server: ServerThread) -> None:
    """Pasted into a shell set up as the README's first example says (a manager's token, inv
    defined), against a server: the refusals it promises, and the recount's figure applied."""
    root = Path(__file__).parents[1]
    script = (
        "export INVENTORY_TOKEN=$(.venv/bin/inventory-service token --dev --sub alice"
        " --role manager)\n"
        'inv() { .venv/bin/inventory-client "$@"; }\n' + readme_example("Recounts")
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")},
        "INVENTORY_ADDRESS": f"127.0.0.1:{sqlite_server.port}",
        "INVENTORY_JWT_SECRET": TEST_SECRET,
        "COLUMNS": "200",
    }
    shell = subprocess.run(
        ["bash", "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=240
    )
    assert "error: PERMISSION_DENIED [RECOUNT_BY_SAME_COUNTER]" in shell.stderr, shell.stderr
    assert "error: FAILED_PRECONDITION [RECOUNTS_PENDING]" in shell.stderr
    assert shell.returncode == 0, shell.stderr  # the last command, the forced completion
    with clients(sqlite_server.port) as api:
        [count] = api.counts.ListInventoryCounts(
            pb.ListInventoryCountsRequest(), metadata=MANAGER
        ).inventory_counts
        assert count.forced_completion_reason == "aisle closing; recount next cycle"
        assert count.status == pb.INVENTORY_COUNT_STATUS_COMPLETED
        [line] = list_items(api, count.id)
        assert (line.counted_by, line.counted_quantity, line.status) == (
            "carol",
            49,
            pb.COUNT_ITEM_STATUS_RECOUNT_REQUESTED,
        )
        assert line.sku == "TAPE-25"
        assert stock_of(api, line.product_id) == 49
