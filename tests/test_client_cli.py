"""`inventory-client` as a stock controller uses it, against a real server: a stock-take from
import to completion, approvals, errors as one line with an exit code, --json for scripts."""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import openpyxl
import pytest

from inventory_client.cli.app import main
from inventory_service.domain.identity import Role
from tests.balancer_support import Balancer, Fault
from tests.helpers import ServerThread, token

CONSOLE_SCRIPT = Path(sys.executable).parent / "inventory-client"


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


Terminal = Callable[..., Run]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Terminal:
    """terminal(port, role, "counts show ID --json"): runs the command in-process as that role
    (None: no token); the words are split as a shell would."""
    for key in list(os.environ):
        if key.startswith("INVENTORY_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("COLUMNS", "200")

    def run(port: int, role: Role | None, command: str, sub: str | None = None) -> Run:
        capsys.readouterr()
        auth = ["--token", token(role, sub or f"{role.name.lower()}-cli")] if role else []
        code = main(["--address", f"127.0.0.1:{port}", *auth, *shlex.split(command)])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_stock_take_from_the_terminal(
    server: ServerThread, terminal: Terminal, tmp_path: Path
) -> None:
    port = server.port
    catalog = write(
        tmp_path / "catalog.csv",
        "sku,name,unit_cost,opening_quantity\n"
        "SALT-1,Sea salt 500 g,2.50,100\n"
        "PEPPER-1,Black pepper 50 g,4.00,20\n",
    )
    imported = terminal(port, Role.ADMIN, f"products import {catalog} --json")
    assert imported.code == 0, imported.err
    assert [row["sku"] for row in imported.json()] == ["SALT-1", "PEPPER-1"]
    # Running the same import again creates nothing twice.
    again = terminal(port, Role.ADMIN, f"products import {catalog} --json")
    assert again.code == 0, again.err
    assert [r["product"]["id"] for r in again.json()] == [
        r["product"]["id"] for r in imported.json()
    ]

    started = terminal(port, Role.MANAGER, "counts start 'Aisle 1' --type cycle --json")
    assert started.code == 0, started.err
    count_id = started.json()["id"]

    shelf = write(
        tmp_path / "shelf.csv",
        "sku,quantity,mode\nSALT-1,95,set\nPEPPER-1,10,add\nPEPPER-1,12,add\nNOPE-9,1,add\n",
    )
    scanned = terminal(port, Role.STAFF, f"counts scan {count_id} {shelf} --json")
    assert scanned.code == 8  # partly done: one row rejected
    report = scanned.json()
    assert (report["entries"], report["stored"]) == (4, 3)
    [rejected] = report["rejected"]
    assert rejected["line"] == 5
    assert rejected["error"]["reason"] == "PRODUCT_NOT_FOUND"
    assert f"{shelf}:5: rejected: NOT_FOUND [PRODUCT_NOT_FOUND]" in scanned.err

    recount = terminal(port, Role.STAFF, f"counts add {count_id} PEPPER-1 21 --location B2")
    assert recount.code == 0, recount.err
    items = terminal(port, Role.STAFF, f"counts items {count_id} --json").json()
    assert {(i["sku"], i["countedQuantity"], i["variance"]) for i in items} == {
        ("SALT-1", "95", "-5"),
        ("PEPPER-1", "21", "1"),
    }
    table = terminal(port, Role.STAFF, f"counts items {count_id}")
    assert "SALT-1" in table.out
    assert "-5" in table.out

    completed = terminal(port, Role.MANAGER, f"counts complete {count_id} --apply --json")
    assert completed.code == 0, completed.err
    result = completed.json()
    assert result["inventoryCount"]["status"] == "INVENTORY_COUNT_STATUS_COMPLETED"
    assert sorted(a["quantityChange"] for a in result["adjustments"]) == ["-5", "1"]

    salt = terminal(port, Role.STAFF, "products show SALT-1 --json").json()
    assert salt["stockQuantity"] == "95"
    ledger = terminal(port, Role.STAFF, "products movements SALT-1 --json").json()
    assert [(e["source"], e["quantityDelta"]) for e in ledger] == [
        ("LEDGER_SOURCE_OPENING_BALANCE", "100"),
        ("LEDGER_SOURCE_COUNT", "-5"),
    ]
    summary = terminal(port, Role.STAFF, "counts summary --json").json()
    assert summary["overall"]["completedCounts"] == "1"
    assert summary["overall"]["itemsCounted"] == "2"
    listed = terminal(port, Role.STAFF, "counts list --status completed --json")
    assert [c["id"] for c in listed.json()] == [count_id]


def test_adjustments_wait_for_a_manager_who_did_not_create_them(
    sqlite_server: ServerThread, terminal: Terminal
) -> None:
    port = sqlite_server.port
    created = terminal(
        port, Role.ADMIN, "products create --sku GIN-1 --name Gin --cost 12.00 --opening 30"
    )
    assert created.code == 0, created.err

    def adjust(role: Role, sub: str, kind: str, change: int) -> dict[str, Any]:
        command = f"adjustments create GIN-1 --type {kind} --change {change} --reason x --json"
        run = terminal(port, role, command, sub=sub)
        assert run.code == 0, run.err
        result: dict[str, Any] = run.json()
        return result

    damage = adjust(Role.STAFF, "sam", "damage", -1)
    assert damage["status"] == "STOCK_ADJUSTMENT_STATUS_APPLIED"
    theft = adjust(Role.STAFF, "sam", "theft", -2)
    assert theft["status"] == "STOCK_ADJUSTMENT_STATUS_PENDING"
    pending = terminal(port, Role.MANAGER, "adjustments pending --json").json()
    assert [a["id"] for a in pending] == [theft["id"]]

    refused = terminal(port, Role.STAFF, f"adjustments approve {theft['id']}", sub="sam")
    assert refused.code == 6
    assert refused.error_lines == [
        "error: PERMISSION_DENIED [ROLE_TOO_LOW]: ApproveStockAdjustment needs role manager; "
        "caller has staff"
    ]
    approved = terminal(port, Role.MANAGER, f"adjustments approve {theft['id']} --json")
    assert approved.json()["status"] == "STOCK_ADJUSTMENT_STATUS_APPLIED"

    own = adjust(Role.MANAGER, "mia", "theft", -3)
    self_approval = terminal(port, Role.MANAGER, f"adjustments approve {own['id']}", sub="mia")
    assert self_approval.code == 6
    assert "[SELF_APPROVAL_FORBIDDEN]" in self_approval.err
    rejected = terminal(
        port, Role.MANAGER, f"adjustments reject {own['id']} --notes 'found it'", sub="max"
    )
    assert rejected.code == 0, rejected.err
    assert "rejected" in rejected.out

    listed = terminal(port, Role.STAFF, "adjustments list --product GIN-1 --json")
    assert {a["status"] for a in listed.json()} == {
        "STOCK_ADJUSTMENT_STATUS_APPLIED",
        "STOCK_ADJUSTMENT_STATUS_REJECTED",
    }
    gin = terminal(port, Role.STAFF, "products show GIN-1 --json").json()
    assert gin["stockQuantity"] == "27"  # 30 - 1 (damage) - 2 (approved theft)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_each_failure_is_one_line_with_its_reason_and_an_exit_code_that_says_what_failed(
    sqlite_server: ServerThread, terminal: Terminal, tmp_path: Path
) -> None:
    port = sqlite_server.port
    create_salt = "products create --sku SALT-1 --name Salt --cost 2.50 --opening 10"
    assert terminal(port, Role.ADMIN, create_salt).code == 0
    count_id = terminal(port, Role.MANAGER, "counts start A --type spot --json").json()["id"]
    no_quantity = write(tmp_path / "bad.csv", "sku\nSALT-1\n")
    cases: list[tuple[Role | None, str, int, str]] = [
        (Role.STAFF, "counts show no-such-count", 3, "[INVENTORY_COUNT_NOT_FOUND]"),
        (
            Role.STAFF,
            "adjustments create SALT-1 --type damage --change 3 --reason x",
            4,
            "[QUANTITY_SIGN_MISMATCH]",
        ),
        (Role.STAFF, f"counts scan {count_id} {no_quantity}", 4, "needs a quantity column"),
        (Role.MANAGER, "counts start B --type spot", 5, "[COUNT_IN_PROGRESS]"),
        (Role.ADMIN, create_salt, 5, "[SKU_TAKEN]"),
        (Role.STAFF, f"counts cancel {count_id}", 6, "[ROLE_TOO_LOW]"),
        (None, "products list", 6, "[TOKEN_MISSING]"),
        (Role.STAFF, f"counts add {count_id} SALT-1 -1", 2, "-1 reads as an option"),
        (Role.STAFF, f"counts add {count_id} SALT-1 -- -1", 2, "-1 is negative"),
        (Role.STAFF, f"counts add {count_id} SALT-1 {10**20}", 2, f"{10**20} is too large"),
        (Role.STAFF, f"products move SALT-1 --change {-(10**20)} --reference R", 2, "too large"),
        (Role.STAFF, "counts frobnicate", 2, "No such command"),
        (Role.ADMIN, "products create --sku X --name X --cost cheap", 2, "is not an amount"),
    ]
    for role, command, code, says in cases:
        run = terminal(port, role, command)
        assert (run.code, says in run.err) == (code, True), (command, run.err)
        assert "Traceback" not in run.err
        if code != 2:  # usage errors also print click's usage lines
            assert len(run.error_lines) == 1, run.err
            assert run.error_lines[0].startswith("error: ")
    closed = _closed_port()
    unreachable = terminal(closed, Role.STAFF, "--timeout 2 products list")
    assert unreachable.code == 7
    [line] = unreachable.error_lines
    assert line.startswith("error: UNAVAILABLE")
    assert line.endswith(
        f"(is the server running at 127.0.0.1:{closed}? set INVENTORY_ADDRESS or --address)"
    )

    as_json = terminal(port, Role.STAFF, "counts show no-such-count --json")
    assert as_json.code == 3
    assert json.loads(as_json.err)["error"] == {
        "code": "NOT_FOUND",
        "message": "inventory count 'no-such-count' not found",
        "reason": "INVENTORY_COUNT_NOT_FOUND",
        "domain": "inventory.v1",
        "resourceType": "inventory count",
        "resourceName": "no-such-count",
    }
    health = terminal(port, None, "health")
    assert (health.code, health.out.strip()) == (0, f"127.0.0.1:{port} (server): SERVING")


def test_lists_show_a_limit_and_all_on_request(
    sqlite_server: ServerThread, terminal: Terminal, tmp_path: Path
) -> None:
    port = sqlite_server.port
    rows = "".join(f"P-{i:02d},Product {i},1.00,5\n" for i in range(7))
    catalog = write(tmp_path / "c.csv", "sku,name,unit_cost,opening_quantity\n" + rows)
    assert terminal(port, Role.ADMIN, f"products import {catalog}").code == 0
    first = terminal(port, Role.STAFF, "products list --limit 3 --json")
    assert [p["sku"] for p in first.json()] == ["P-00", "P-01", "P-02"]
    assert "first 3 shown" in first.err
    everything = terminal(port, Role.STAFF, "products list --all --json")
    assert len(everything.json()) == 7
    assert everything.err == ""
    table = terminal(port, Role.STAFF, "products list")
    assert all(f"P-{i:02d}" in table.out for i in range(7))


def test_an_import_with_bad_rows_imports_nothing_and_says_what_each_row_did(
    server: ServerThread, terminal: Terminal, tmp_path: Path
) -> None:
    port = server.port
    header = "sku,name,unit_cost,opening_quantity,tracking,lot_number,expiry_date\n"
    good = "SALT-1,Sea salt,2.50,100,,,\nAMOX-1,Amoxicillin,4.10,12,lot,A1,2030-06-30\n"
    bad = write(tmp_path / "bad.csv", header + good + 'BAD-4,"Cost 1,50",1,50,3,,,\n')

    refused = terminal(port, Role.ADMIN, f"products import {bad}")
    assert refused.code == 4
    assert f"{bad}: row 4: 8 fields where the header has 7" in refused.err
    assert "1 bad row(s), nothing imported" in refused.err
    listed = terminal(port, Role.STAFF, "products list --json").json()
    assert listed == []

    skipped = terminal(port, Role.ADMIN, f"products import {bad} --skip-bad-rows --json")
    assert skipped.code == 8
    assert [(r["sku"], r["result"]) for r in skipped.json()] == [
        ("SALT-1", "created"),
        ("AMOX-1", "lot added"),
    ]
    amox = terminal(port, Role.STAFF, "products show AMOX-1 --json").json()
    assert (amox["tracking"], amox["stockQuantity"]) == ("TRACKING_MODE_LOT", "12")

    changed = write(tmp_path / "catalog.csv", header + good.replace("2.50", "2.75"))
    again = terminal(port, Role.ADMIN, f"products import {changed} --json")
    assert again.code == 0, again.err
    assert [(r["sku"], r["result"]) for r in again.json()] == [
        ("SALT-1", "updated"),
        ("AMOX-1", "lot exists"),
    ]
    third = terminal(port, Role.ADMIN, f"products import {changed}")
    assert "1 unchanged, 1 lot exists" in third.out
    salt = terminal(port, Role.STAFF, "products show SALT-1 --json").json()
    assert salt["unitCost"]["units"] == "2"
    assert salt["unitCost"]["nanos"] == 750000000
    assert salt["stockQuantity"] == "100"  # stock changes only through the ledger


def test_exports_a_spreadsheet_reads_money_as_numbers_and_products_by_sku(
    server: ServerThread, terminal: Terminal, tmp_path: Path
) -> None:
    port = server.port
    catalog = write(
        tmp_path / "catalog.csv",
        "sku,name,unit_cost,opening_quantity\nOIL-1,Olive oil,5.25,10\nSALT-1,Salt,2.00,4\n",
    )
    assert terminal(port, Role.ADMIN, f"products import {catalog}").code == 0
    count_id = terminal(port, Role.MANAGER, "counts start Shelf --type spot --json").json()["id"]
    assert terminal(port, Role.STAFF, f"counts add {count_id} OIL-1 8 --location A1").code == 0
    assert terminal(port, Role.STAFF, f"counts add {count_id} SALT-1 4").code == 0

    as_csv = terminal(port, Role.MANAGER, f"counts export {count_id}")
    assert as_csv.code == 0, as_csv.err
    rows = list(csv.DictReader(io.StringIO(as_csv.out)))
    assert [(r["SKU"], r["Name"], r["Location"], r["Variance"], r["Value"]) for r in rows] == [
        ("OIL-1", "Olive oil", "A1", "-2", "-10.50"),
        ("SALT-1", "Salt", "", "0", "0.00"),
    ]

    sheet = tmp_path / "count.xlsx"
    written = terminal(
        port, Role.MANAGER, f"counts export {count_id} --format xlsx --output {sheet}"
    )
    assert written.code == 0, written.err
    assert "2 lines written" in written.err
    book = openpyxl.load_workbook(sheet)
    [[header, *lines]] = [list(ws.iter_rows(values_only=True)) for ws in book.worksheets]
    value = header.index("Value")
    assert [line[value] for line in lines] == [-10.5, 0]  # numbers, not text
    assert book.worksheets[0].cell(row=2, column=value + 1).number_format == "#,##0.00"

    assert terminal(port, Role.MANAGER, f"counts complete {count_id} --apply").code == 0
    adjustments = terminal(port, Role.STAFF, "adjustments list --csv")
    assert adjustments.code == 0, adjustments.err
    [adjustment] = list(csv.DictReader(io.StringIO(adjustments.out)))
    assert (adjustment["SKU"], adjustment["Change"], adjustment["Cost impact"]) == (
        "OIL-1",
        "-2",
        "-10.50",
    )
    ledger = terminal(port, Role.STAFF, "ledger export --product OIL-1")
    assert ledger.code == 0, ledger.err
    entries = list(csv.DictReader(io.StringIO(ledger.out)))
    assert [(e["SKU"], e["Source"], e["Change"], e["After"]) for e in entries] == [
        ("OIL-1", "opening-balance", "10", "10"),
        ("OIL-1", "count", "-2", "8"),
    ]
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    none_yet = terminal(port, Role.STAFF, f"ledger export --from {tomorrow}")
    assert none_yet.out.splitlines()[1:] == []


def test_a_large_completion_prints_a_summary_and_points_to_the_export(
    server: ServerThread, terminal: Terminal, tmp_path: Path
) -> None:
    port = server.port
    rows = "".join(f"P-{i:02d},Product {i},1.00,{i + 1}\n" for i in range(14))
    catalog = write(tmp_path / "catalog.csv", "sku,name,unit_cost,opening_quantity\n" + rows)
    assert terminal(port, Role.ADMIN, f"products import {catalog}").code == 0
    count_id = terminal(port, Role.MANAGER, "counts start All --type full --json").json()["id"]
    for i in range(12):  # each counted 0; P-12 and P-13 never counted
        assert terminal(port, Role.STAFF, f"counts add {count_id} P-{i:02d} 0").code == 0

    done = terminal(port, Role.MANAGER, f"counts complete {count_id} --apply --zero-uncounted")
    assert done.code == 0, done.err
    out = done.out
    # 1 + 2 + ... + 12 counted as 0, then 13 + 14 zeroed: 14 adjustments
    assert "14 adjustments applied, -105 units net" in out
    assert "The largest adjustments (of 14)" in out
    assert "... and 4 more" in out
    assert "Never counted, now set to zero" in out
    assert f"inventory-client counts export {count_id}" in out


def test_running_a_scan_file_again_stores_only_what_was_not_stored(
    server: ServerThread, terminal: Terminal, tmp_path: Path
) -> None:
    """Fixing the rejected rows and running the file again is the natural habit: the rows that
    went through the first time are not counted twice (ADD rows included)."""
    port = server.port
    catalog = write(tmp_path / "catalog.csv", "sku,name,unit_cost\nOIL-1,Olive oil,5.00\n")
    assert terminal(port, Role.ADMIN, f"products import {catalog}").code == 0
    count_id = terminal(port, Role.MANAGER, "counts start Shelf --type spot --json").json()["id"]
    rows = "sku,quantity,mode\nOIL-1,4,add\nOIL-1,4,add\nOIL-1,2,add\n"
    shelf = write(tmp_path / "shelf.csv", rows + "OIL-9,1,add\n")

    first = terminal(port, Role.STAFF, f"counts scan {count_id} {shelf} --json")
    assert first.code == 8  # the last row names no product
    assert (first.json()["stored"], first.json()["storedBefore"]) == (3, 0)

    write(shelf, rows + "OIL-1,1,add\n")  # the bad row fixed
    again = terminal(port, Role.STAFF, f"counts scan {count_id} {shelf}")
    assert again.code == 0, again.err
    assert "4 rows: 3 stored before, 1 now" in again.out

    [line] = terminal(port, Role.STAFF, f"counts items {count_id} --json").json()
    assert line["countedQuantity"] == "11"  # 4 + 4 + 2 + 1, each row once
    third = terminal(port, Role.STAFF, f"counts scan {count_id} {shelf} --json").json()
    assert (third["stored"], third["storedBefore"]) == (4, 4)


def test_scan_resumes_a_reset_stream_and_stores_every_entry_once(
    sqlite_server: ServerThread, balancer: Balancer, terminal: Terminal, tmp_path: Path
) -> None:
    port = sqlite_server.port
    terminal(port, Role.ADMIN, "products create --sku SALT-1 --name Salt --cost 2.50")
    count_id = terminal(port, Role.MANAGER, "counts start A --type spot --json").json()["id"]
    shelf = write(tmp_path / "beeps.csv", "sku,quantity,mode\n" + "SALT-1,1,add\n" * 300)
    balancer.fail_next("StreamCountItems", Fault(grpc.StatusCode.CANCELLED, after_responses=0))

    command = f"counts scan {count_id} {shelf} --entries-per-message 10 --json"
    scanned = terminal(balancer.port, Role.STAFF, command)
    assert scanned.code == 0, scanned.err
    report = scanned.json()
    assert report["stored"] == 300
    assert report["reconnects"] >= 1
    assert "reconnecting" in scanned.err
    items = terminal(port, Role.STAFF, f"counts items {count_id} --json").json()
    assert [(i["sku"], i["countedQuantity"]) for i in items] == [("SALT-1", "300")]


def test_scan_gives_up_when_nothing_is_acknowledged(terminal: Terminal, tmp_path: Path) -> None:
    shelf = write(tmp_path / "shelf.csv", "sku,quantity\nSALT-1,1\n")
    command = f"counts scan some-count {shelf} --give-up-after 0.3"
    run = terminal(_closed_port(), Role.STAFF, command)
    assert run.code == 7
    assert "no acknowledgement for 0 s" in run.err
    assert "1 of 1 entries were not stored" in run.err


def test_simulate_streams_random_entries_from_several_scanners(
    sqlite_server: ServerThread, terminal: Terminal
) -> None:
    port = sqlite_server.port
    terminal(port, Role.ADMIN, "products create --sku SALT-1 --name Salt --cost 2.50")
    count_id = terminal(port, Role.MANAGER, "counts start A --type spot --json").json()["id"]
    command = f"simulate --count-id {count_id} --scanners 2 --random 40 --quiet"
    run = terminal(port, Role.STAFF, command)
    assert run.code == 0, run.err
    summary = json.loads(run.out)
    assert (summary["scanners"], summary["acked"], summary["rejected"]) == (2, 40, 0)


def test_the_console_script_documents_its_commands_and_exit_codes() -> None:
    def help_of(*command: str) -> str:
        result = subprocess.run(
            [str(CONSOLE_SCRIPT), *command, "--help"], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    top = help_of()
    for words in ("counts", "adjustments", "products", "health", "simulate", "8  partly done"):
        assert words in top
    commands = {
        "counts": "start list show items add scan recount history discrepancies complete cancel"
        " summary",
        "adjustments": "create list pending approve reject",
        "products": "list show create import movements",
    }
    for group, names in commands.items():
        listing = help_of(group)
        for name in names.split():
            assert f"  {name} " in listing, (group, name)
