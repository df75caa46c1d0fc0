"""`inventory-service check-ledger`: every stock level equals the sum of its ledger deltas and
each level's ledger is an unbroken chain; and a PostgreSQL backup restored elsewhere passes it
(the restore procedure of docs/operations.md)."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import text

from deploy.processes import clean_env
from inventory_service.db.engine import create_db_engine
from inventory_service.db.ledger_audit import (
    LEDGER_CHAINS_UNBROKEN,
    LEVELS_EQUAL_LEDGER_SUMS,
    TRANSFERS_WHOLE,
)
from tests.conftest import POSTGRES_URL
from tests.helpers import (
    DAMAGE,
    LOT,
    Clients,
    ServerThread,
    adjust,
    clients,
    create_batch,
    create_product,
    move,
)
from tests.place_helpers import at, create_location, line, transfer

ROOT = Path(__file__).resolve().parent.parent
CHECK = [sys.executable, "-m", "inventory_service.cli", "check-ledger"]


def check_ledger(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CHECK, "--database-url", url], env=clean_env(), capture_output=True, text=True, timeout=60
    )


def some_history(api: Clients) -> str:
    """Products with openings, movements and an adjustment; returns one product id."""
    soap = create_product(api, "LEDGER-1", opening=40)
    pills = create_product(api, "LEDGER-2", tracking=LOT)
    create_batch(api, pills.id, "L-1", opening=12)
    move(api, soap.id, -5)
    move(api, soap.id, 7, ref="REF-2")
    adjust(api, soap.id, DAMAGE, -2)
    return soap.id


def execute(url: str, statement: str) -> None:
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def test_a_consistent_ledger_passes(api: Clients, database_url: str) -> None:
    some_history(api)
    result = check_ledger(database_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith(
        "ledger ok: 2 stock levels, 5 ledger entries, 0 transfers"
    )


def test_a_level_that_differs_from_its_ledger_is_reported(api: Clients, database_url: str) -> None:
    product_id = some_history(api)
    execute(
        database_url,
        f"UPDATE stock_levels SET quantity = quantity + 1 WHERE product_id = '{product_id}'",
    )
    result = check_ledger(database_url)
    assert result.returncode == 1
    assert f"(product {product_id}, batch -): quantity 41, ledger deltas sum to 40" in result.stdout
    assert "1 problem(s)" in result.stdout


def test_a_ledger_entry_missing_from_the_middle_is_reported(
    api: Clients, database_url: str
) -> None:
    product_id = some_history(api)
    execute(
        database_url,
        "DELETE FROM stock_ledger WHERE sequence = (SELECT MIN(sequence) FROM stock_ledger "
        f"WHERE product_id = '{product_id}' AND quantity_delta = -5)",
    )
    result = check_ledger(database_url)
    assert result.returncode == 1
    assert "starts at 35, the entry before it ended at 40" in result.stdout
    assert "ledger deltas sum to 45" in result.stdout


def test_a_transfer_that_lost_one_of_its_entries_is_reported(
    api: Clients, database_url: str
) -> None:
    create_location(api, "MAIN", "SHELF-1")
    product = create_product(api, "LEDGER-T", opening=10)
    [moved] = transfer(api, line(product.id, at("MAIN"), at("MAIN", "SHELF-1"), 4))
    assert "1 transfers" in check_ledger(database_url).stdout
    execute(
        database_url,
        f"UPDATE stock_ledger SET transfer_id = NULL WHERE sequence = {moved.to_entry.sequence}",
    )
    result = check_ledger(database_url)
    assert result.returncode == 1
    assert (
        f"transfer {moved.id}: 1 ledger entries, 1 out of its source and 0 into its destination"
        in result.stdout
    )


def test_the_operations_guide_quotes_the_queries_the_command_runs() -> None:
    guide = (ROOT / "docs" / "operations.md").read_text()
    assert LEVELS_EQUAL_LEDGER_SUMS in guide
    assert LEDGER_CHAINS_UNBROKEN in guide
    assert TRANSFERS_WHOLE in guide


def test_a_backup_restored_into_another_database_passes_the_check(
    postgres_server: ServerThread, postgres_url: str, tmp_path: Path
) -> None:
    with clients(postgres_server.port) as api:
        some_history(api)
    schema = re.search(r"search_path%3D(\w+)", postgres_url)
    assert schema is not None
    dump = tmp_path / "inventory.dump"
    subprocess.run(
        ["pg_dump", "-Fc", "--schema", schema.group(1), "-f", str(dump), POSTGRES_URL],
        check=True,
        timeout=120,
    )
    restored = f"inventory_restore_{uuid.uuid4().hex[:10]}"
    base = POSTGRES_URL.rsplit("/", 1)[0]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{restored}"')
    try:
        subprocess.run(
            ["pg_restore", "--exit-on-error", "-d", f"{base}/{restored}", str(dump)],
            check=True,
            timeout=120,
        )
        result = check_ledger(f"{base}/{restored}?options=-csearch_path%3D{schema.group(1)}")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "ledger ok: 2 stock levels, 5 ledger entries, 0 transfers" in result.stdout
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
