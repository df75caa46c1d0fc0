"""`inventory-client` for stock by place, as an admin sets up sites and locations and a stock
controller moves and reads stock by location, against a real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inventory_service.domain.identity import Role
from tests.helpers import ServerThread
from tests.test_client_cli import Terminal, terminal, write

__all__ = ["terminal"]  # the fixture, used by name


def test_sites_locations_and_stock_by_place_from_the_terminal(
    server: ServerThread, terminal: Terminal, tmp_path: Path
) -> None:
    port = server.port

    def ok(role: Role, command: str) -> Any:
        run = terminal(port, role, command)
        assert run.code == 0, (command, run.err)
        return run.json() if "--json" in command else run.out

    ok(Role.ADMIN, "sites create north --name 'North store'")
    places = write(
        tmp_path / "locations.csv",
        "site,code,name,zone\n"
        "NORTH,FRIDGE-1,Vaccine fridge,Cold chain\n"
        "NORTH,A-01/03,,Aisle A\n"
        "MAIN,RECEIVING,Goods in,\n"
        "NOWHERE,X,,\n",
    )
    imported = terminal(port, Role.ADMIN, f"locations import {places} --json")
    assert imported.code == 8  # partly done: one row rejected
    assert [("location" in row, row.get("error", {}).get("reason")) for row in imported.json()] == [
        (True, None),
        (True, None),
        (True, None),
        (False, "SITE_NOT_FOUND"),
    ]
    again = terminal(port, Role.ADMIN, f"locations import {places} --json")
    assert [r["location"]["id"] for r in again.json()[:3]] == [
        r["location"]["id"] for r in imported.json()[:3]
    ]
    north = ok(Role.STAFF, "locations list --site north --json")
    assert [(loc["code"], loc.get("zone", "")) for loc in north] == [
        ("A-01/03", "Aisle A"),
        ("DEFAULT", ""),
        ("FRIDGE-1", "Cold chain"),
    ]

    ok(
        Role.ADMIN,
        "products create --sku VAX-1 --name Vaccine --cost 12 --opening 20 --at NORTH:FRIDGE-1",
    )
    ok(Role.STAFF, "products move VAX-1 --change 5 --reference GRN-1 --at RECEIVING")
    ok(Role.STAFF, "transfer VAX-1 3 --from MAIN:RECEIVING --to MAIN: --reference TN-1")
    refused = terminal(port, Role.STAFF, "transfer VAX-1 2 --from NORTH:FRIDGE-1 --to MAIN:")
    assert refused.code == 6
    assert "PERMISSION_DENIED [CROSS_SITE_TRANSFER]" in refused.err
    moved = ok(Role.MANAGER, "transfer VAX-1 2 --from NORTH:FRIDGE-1 --to MAIN: --json")
    [line] = moved
    assert (line["fromEntry"]["siteCode"], line["toEntry"]["siteCode"]) == ("NORTH", "MAIN")

    levels = ok(Role.STAFF, "products levels VAX-1 --json")
    assert [(lv["siteCode"], lv["locationCode"], lv["quantity"]) for lv in levels] == [
        ("MAIN", "DEFAULT", "5"),
        ("MAIN", "RECEIVING", "2"),
        ("NORTH", "FRIDGE-1", "18"),
    ]
    cold = ok(Role.STAFF, "products levels --zone 'Cold chain' --json")
    assert [lv["locationCode"] for lv in cold] == ["FRIDGE-1"]
    shown = ok(Role.STAFF, "products show VAX-1")
    assert "Stock by location" in shown
    assert "FRIDGE-1" in shown
    north_only = ok(Role.STAFF, "products show VAX-1 --site NORTH --json")
    assert north_only["stockQuantity"] == "18"
    ledger = ok(Role.STAFF, "products movements VAX-1 --at NORTH:FRIDGE-1 --json")
    assert [e["quantityDelta"] for e in ledger] == ["20", "-2"]

    damaged = ok(
        Role.STAFF,
        "adjustments create VAX-1 --type damage --change -1 --reason broken "
        "--at NORTH:FRIDGE-1 --json",
    )
    assert damaged["locationCode"] == "FRIDGE-1"

    holding = terminal(port, Role.ADMIN, "locations update NORTH:FRIDGE-1 --inactive")
    assert holding.code == 5
    assert "[LOCATION_HOLDS_STOCK]" in holding.err
    ok(Role.ADMIN, "locations update NORTH:A-01/03 --zone 'Aisle B' --inactive")
    assert "A-01/03" not in ok(Role.STAFF, "locations list --site NORTH")
    assert "A-01/03" in ok(Role.STAFF, "locations list --site NORTH --inactive")
    renamed = ok(Role.ADMIN, "sites update NORTH --name North --json")
    assert renamed[0]["name"] == "North"
    main = terminal(port, Role.ADMIN, "sites update MAIN --inactive")
    assert main.code == 5
    assert "[DEFAULT_SITE]" in main.err
    assert [s["code"] for s in ok(Role.STAFF, "sites list --json")] == ["MAIN", "NORTH"]
