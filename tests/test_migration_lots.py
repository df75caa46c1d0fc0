"""Migration 0004 on a database holding stock: products with batches become LOT-tracked, the
unbatched stock they held moves into a batch UNLOTTED through MIGRATION ledger rows (the ledger
still adds up), products without batches stay NONE, and the upgrade logs what it moved."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from inventory_service.db.engine import create_db_engine
from inventory_service.db.ledger_audit import audit_ledger
from inventory_service.db.migrate import upgrade
from tests.migration_support import empty_database, insert_row

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet, on each backend."""
    yield from empty_database(request, tmp_path)


def _product(connection: Connection, sku: str) -> str:
    product_id = str(uuid.uuid4())
    insert_row(
        connection,
        "products",
        id=product_id,
        sku=sku,
        name=sku,
        unit_cost=1_000_000,
        active=True,
        created_at=NOW,
        updated_at=NOW,
    )
    return product_id


def _level(connection: Connection, product_id: str, batch_id: str | None, quantity: int) -> None:
    """A level with its opening balance in the ledger, as the service writes them."""
    level_id = str(uuid.uuid4())
    insert_row(
        connection,
        "stock_levels",
        id=level_id,
        product_id=product_id,
        batch_id=batch_id,
        quantity=quantity,
    )
    if quantity:
        insert_row(
            connection,
            "stock_ledger",
            stock_level_id=level_id,
            product_id=product_id,
            batch_id=batch_id,
            quantity_delta=quantity,
            quantity_before=0,
            quantity_after=quantity,
            source="OPENING_BALANCE",
            reason="opening balance",
            source_reference="",
            actor="seed",
            created_at=NOW,
        )


def _batch(connection: Connection, product_id: str, lot: str, quantity: int) -> str:
    batch_id = str(uuid.uuid4())
    insert_row(
        connection, "batches", id=batch_id, product_id=product_id, lot_number=lot, created_at=NOW
    )
    _level(connection, product_id, batch_id, quantity)
    return batch_id


def test_upgrade_moves_unbatched_stock_of_batched_products_into_lot_unlotted(
    empty_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_db_engine(empty_database_url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as connection:
            pills = _product(connection, "MIG-PILLS")  # batches and unbatched stock
            lot_one = _batch(connection, pills, "L-1", 7)
            _level(connection, pills, None, 5)
            drops = _product(connection, "MIG-DROPS")  # batches only
            _batch(connection, drops, "L-2", 3)
            _level(connection, drops, None, 0)
            soap = _product(connection, "MIG-SOAP")  # no batches
            _level(connection, soap, None, 4)

        with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
            upgrade(engine)

        with engine.connect() as connection:
            tracking = dict(connection.execute(text("SELECT sku, tracking FROM products")).all())
            levels = {
                (product, lot): quantity
                for product, lot, quantity in connection.execute(
                    text(
                        "SELECT l.product_id, b.lot_number, l.quantity FROM stock_levels l "
                        "LEFT JOIN batches b ON b.id = l.batch_id"
                    )
                )
            }
            moved = connection.execute(
                text(
                    "SELECT batch_id IS NULL, quantity_delta, quantity_before, quantity_after "
                    "FROM stock_ledger WHERE source = 'MIGRATION' ORDER BY sequence"
                )
            ).all()
            unlotted = connection.execute(
                text("SELECT product_id FROM batches WHERE lot_number = 'UNLOTTED'")
            ).all()
        audit = audit_ledger(engine)
    finally:
        engine.dispose()

    assert tracking == {"MIG-PILLS": "LOT", "MIG-DROPS": "LOT", "MIG-SOAP": "NONE"}
    assert unlotted == [(pills,)]  # only a product that held unbatched stock gets one
    assert levels == {
        (pills, "L-1"): 7,
        (pills, None): 0,
        (pills, "UNLOTTED"): 5,
        (drops, "L-2"): 3,
        (drops, None): 0,
        (soap, None): 4,
    }
    assert [tuple(row) for row in moved] == [(True, -5, 5, 0), (False, 5, 0, 5)]
    assert audit.ok, audit.problems
    assert (audit.levels, audit.entries) == (6, 6)
    assert lot_one  # untouched
    logged = [r.getMessage() for r in caplog.records if "lot-tracked" in r.getMessage()]
    assert logged == [
        "product MIG-PILLS became lot-tracked: its 5 units of unbatched stock moved into lot "
        "UNLOTTED"
    ]
