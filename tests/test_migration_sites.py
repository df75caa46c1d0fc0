"""Migration 0007 on a database holding stock, counts and adjustments (written at revision 0005,
with SQL of its own): site MAIN and its location DEFAULT appear, every level, ledger row,
count, line, entry and adjustment moves there, a count in progress holds DEFAULT, the ledger
still adds up and a product reads the same. On both backends, and on PostgreSQL also after a
pg_dump of the 0005 database restored into a new database and upgraded there."""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, bindparam, text

from inventory_service.db.engine import create_db_engine, create_session_factory
from inventory_service.db.ledger_audit import audit_ledger
from inventory_service.db.migrate import upgrade
from inventory_service.db.types import UtcDateTime
from inventory_service.db.unit_of_work import sql_unit_of_work_factory
from inventory_service.domain.catalog_keys import ProductKey
from inventory_service.services.catalog.products import ProductService
from tests.conftest import POSTGRES_URL
from tests.test_migration_lots import empty_database_url

__all__ = ["empty_database_url"]  # the fixture, used by name

NOW = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
# The tables of a site's rows, and whether each has location_id besides site_id.
PLACED = {
    "stock_levels": True,
    "stock_ledger": True,
    "count_items": True,
    "stock_adjustments": True,
    "inventory_counts": False,
    "count_entries": False,
}


STAMPS = {"created_at", "updated_at", "started_at", "counted_at", "first_counted_at", "stored_at"}


def _schema_url(schema: str) -> str:
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


def _insert(connection: Connection, table: str, **values: Any) -> None:
    """A row in the 0005 schema (the models describe the newest one)."""
    statement = text(
        f"INSERT INTO {table} ({', '.join(values)}) "
        f"VALUES ({', '.join(':' + name for name in values)})"
    )
    for stamp in STAMPS & set(values):
        statement = statement.bindparams(bindparam(stamp, type_=UtcDateTime()))
    connection.execute(statement, values)


@dataclass
class History:
    """What the 0005 database holds."""

    soap: str
    pills: str
    batch: str
    running_count: str
    done_count: str


class Ledger:
    """Levels and their ledger rows, written as the service writes them."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.levels: dict[tuple[str, str | None], tuple[str, int]] = {}

    def change(
        self, product_id: str, batch_id: str | None, delta: int, source: str, **extra: Any
    ) -> None:
        key = (product_id, batch_id)
        if key not in self.levels:
            level_id = str(uuid.uuid4())
            _insert(
                self.connection,
                "stock_levels",
                id=level_id,
                product_id=product_id,
                batch_id=batch_id,
                quantity=0,
            )
            self.levels[key] = (level_id, 0)
        level_id, before = self.levels[key]
        if delta:
            _insert(
                self.connection,
                "stock_ledger",
                stock_level_id=level_id,
                product_id=product_id,
                batch_id=batch_id,
                quantity_delta=delta,
                quantity_before=before,
                quantity_after=before + delta,
                source=source,
                reason="",
                source_reference="",
                actor="seed",
                created_at=NOW,
                **extra,
            )
        self.connection.execute(
            text("UPDATE stock_levels SET quantity = :q WHERE id = :id"),
            {"q": before + delta, "id": level_id},
        )
        self.levels[key] = (level_id, before + delta)


def _product(connection: Connection, sku: str, tracking: str) -> str:
    product_id = str(uuid.uuid4())
    _insert(
        connection,
        "products",
        id=product_id,
        sku=sku,
        name=sku,
        unit_cost=2_000_000,
        active=True,
        tracking=tracking,
        created_at=NOW,
        updated_at=NOW,
    )
    return product_id


def _count(connection: Connection, status: str, product_id: str, counted: int) -> str:
    """A count with one line and the entry that made it."""
    count_id, item_id = str(uuid.uuid4()), str(uuid.uuid4())
    _insert(
        connection,
        "inventory_counts",
        id=count_id,
        name=f"{status} count",
        type="CYCLE",
        notes="",
        blind=False,
        status=status,
        started_at=NOW,
        started_by="mia",
        close_notes="",
    )
    line = {"counted_quantity": counted, "system_quantity": 5, "variance": counted - 5}
    _insert(
        connection,
        "count_items",
        id=item_id,
        inventory_count_id=count_id,
        product_id=product_id,
        unit_cost=2_000_000,
        variance_value=(counted - 5) * 2_000_000,
        significant=False,
        reason="",
        notes="",
        location="Aisle 3",
        counted_by="sam",
        counted_at=NOW,
        first_counted_at=NOW,
        **line,
    )
    _insert(
        connection,
        "count_entries",
        entry_id=f"entry-{count_id}",
        inventory_count_id=count_id,
        count_item_id=item_id,
        device_id="scanner-1",
        quantity=counted,
        mode="SET",
        counted_by="sam",
        stored_at=NOW,
        variance_value=(counted - 5) * 2_000_000,
        significant=False,
        reason="",
        notes="",
        location="Aisle 3",
        **line,
    )
    return count_id


def write_history(engine: Engine) -> History:
    """Stock, a movement, an applied adjustment, a completed count and one in progress."""
    upgrade(engine, "0005")
    with engine.begin() as connection:
        ledger = Ledger(connection)
        soap = _product(connection, "MIG-SOAP", "NONE")
        pills = _product(connection, "MIG-PILLS", "LOT")
        batch = str(uuid.uuid4())
        _insert(connection, "batches", id=batch, product_id=pills, lot_number="L-1", created_at=NOW)
        ledger.change(soap, None, 10, "OPENING_BALANCE")
        ledger.change(soap, None, -3, "MOVEMENT")
        ledger.change(pills, batch, 7, "OPENING_BALANCE")
        ledger.change(pills, None, 0, "OPENING_BALANCE")
        adjustment = str(uuid.uuid4())
        _insert(
            connection,
            "stock_adjustments",
            id=adjustment,
            product_id=soap,
            type="DAMAGE",
            quantity_change=-2,
            quantity_before=7,
            quantity_after=5,
            reason="dropped",
            notes="",
            reference_number="",
            cost_impact=-4_000_000,
            requires_approval=False,
            status="APPLIED",
            created_by="sam",
            created_at=NOW,
            decision_notes="",
        )
        ledger.change(soap, None, -2, "ADJUSTMENT", stock_adjustment_id=adjustment)
        done = _count(connection, "COMPLETED", soap, 5)
        running = _count(connection, "IN_PROGRESS", soap, 4)
    return History(soap, pills, batch, running, done)


def assert_everything_at_main_default(engine: Engine, history: History) -> None:
    with engine.connect() as connection:
        [(site_id, code, is_default)] = connection.execute(
            text("SELECT id, code, is_default FROM sites")
        ).all()
        [(location_id, location_code, location_site)] = connection.execute(
            text("SELECT id, code, site_id FROM locations")
        ).all()
        for table, located in PLACED.items():
            columns = "site_id, location_id" if located else "site_id"
            places = set(connection.execute(text(f"SELECT DISTINCT {columns} FROM {table}")).all())
            expected = (site_id, location_id) if located else (site_id,)
            assert places == {expected}, table
        covered = set(
            connection.execute(
                text("SELECT inventory_count_id, location_id FROM count_locations")
            ).all()
        )
        held = connection.execute(
            text("SELECT inventory_count_id, location_id, site_id FROM location_holds")
        ).all()
    assert (code, bool(is_default)) == ("MAIN", True)
    assert (location_code, location_site) == ("DEFAULT", site_id)
    assert covered == {(history.running_count, location_id), (history.done_count, location_id)}
    assert [tuple(row) for row in held] == [(history.running_count, location_id, site_id)]
    audit = audit_ledger(engine)
    assert audit.ok, audit.problems
    assert (audit.levels, audit.entries, audit.transfers) == (3, 4, 0)

    products = ProductService(sql_unit_of_work_factory(create_session_factory(engine)))
    soap = products.get(ProductKey(sku="MIG-SOAP"))
    assert soap.stock_quantity == 5
    assert [(lv.location_code, lv.site_code, lv.quantity) for lv in soap.location_levels] == [
        ("DEFAULT", "MAIN", 5)
    ]
    pills = products.get(ProductKey(id=history.pills))
    assert [(lv.batch_id, lv.quantity) for lv in pills.levels] == [
        (None, 0),
        (history.batch, 7),
    ]


def test_the_upgrade_puts_everything_at_main_default(empty_database_url: str) -> None:
    engine = create_db_engine(empty_database_url)
    try:
        history = write_history(engine)
        upgrade(engine)
        assert_everything_at_main_default(engine, history)
    finally:
        engine.dispose()


def test_a_0005_backup_restored_elsewhere_upgrades_and_adds_up(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    """The restore procedure of docs/operations.md across this upgrade: pg_dump of a 0005
    database, pg_restore into a new database, migrate there, check the ledger."""
    schema = f"inventory_dump_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    restored = f"inventory_restore_{uuid.uuid4().hex[:10]}"
    base = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        engine = create_db_engine(_schema_url(schema))
        try:
            history = write_history(engine)
        finally:
            engine.dispose()
        dump = tmp_path / "inventory-0005.dump"
        subprocess.run(
            ["pg_dump", "-Fc", "--schema", schema, "-f", str(dump), POSTGRES_URL],
            check=True,
            timeout=120,
        )
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{restored}"')
        subprocess.run(
            ["pg_restore", "--exit-on-error", "-d", f"{base}/{restored}", str(dump)],
            check=True,
            timeout=120,
        )
        url = f"{base}/{restored}?options=-csearch_path%3D{schema}"
        engine = create_db_engine(url)
        try:
            with engine.connect() as connection:
                version = connection.execute(text("SELECT version_num FROM alembic_version"))
                assert version.scalar_one() == "0005"
            upgrade(engine)
            assert_everything_at_main_default(engine, history)
        finally:
            engine.dispose()
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
