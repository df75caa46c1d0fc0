"""Migration 0006 on a database holding entries and request ids from before (issue 16): every
row stays, an entry id stored in one count may now be stored in another, and what was stored
before is answered as before (rows from before have no fingerprint)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from inventory_service.bootstrap import build_services
from inventory_service.db.engine import create_db_engine, create_session_factory
from inventory_service.db.migrate import upgrade
from inventory_service.db.unit_of_work import sql_unit_of_work_factory
from inventory_service.domain.catalog_keys import ProductKey
from inventory_service.domain.catalog_rules import ProductDraft
from inventory_service.domain.count_entries import CountEntry
from inventory_service.domain.enums import CountMode
from inventory_service.domain.identity import Caller, Role
from inventory_service.services.ingestion.entries import unary_entry_id
from inventory_service.settings import Settings
from tests.migration_support import empty_database, insert_row

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SAM = Caller("sam", Role.STAFF)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet, on each backend."""
    yield from empty_database(request, tmp_path)


def _count(connection: Connection, name: str, status: str) -> str:
    count_id = str(uuid.uuid4())
    insert_row(
        connection,
        "inventory_counts",
        id=count_id,
        name=name,
        type="CYCLE",
        notes="",
        blind=False,
        status=status,
        started_at=NOW,
        started_by="mia",
        close_notes="",
        recount_significant=False,
        scoped=False,
        forced_completion_reason="",
    )
    return count_id


def _line(connection: Connection, count_id: str, product_id: str, counted: int) -> str:
    line_id = str(uuid.uuid4())
    figures = {"system_quantity": 10, "counted_quantity": counted, "variance": counted - 10}
    insert_row(
        connection,
        "count_items",
        id=line_id,
        inventory_count_id=count_id,
        product_id=product_id,
        unit_cost=1_000_000,
        variance_value=(counted - 10) * 1_000_000,
        significant=False,
        reason="",
        notes="",
        location="",
        counted_by="sam",
        counted_at=NOW,
        first_counted_at=NOW,
        status="COUNTED",
        recount_reason="",
        **figures,
    )
    insert_row(
        connection,
        "count_entries",
        entry_id="scan-1",
        inventory_count_id=count_id,
        count_item_id=line_id,
        device_id="scanner-7",
        quantity=counted,
        mode="SET",
        counted_by="sam",
        stored_at=NOW,
        variance_value=(counted - 10) * 1_000_000,
        significant=False,
        reason="",
        notes="",
        location="",
        request_id="",
        recount=False,
        **figures,
    )
    return line_id


def _entry(count_id: str, quantity: int, **fields: Any) -> CountEntry:
    return CountEntry(
        entry_id=fields.pop("entry_id", "scan-1"),
        inventory_count_id=count_id,
        product=ProductKey(sku="MIG-SOAP"),
        quantity=quantity,
        caller=SAM,
        mode=CountMode.SET,
        **fields,
    )


def test_upgrade_keeps_entries_and_request_ids_and_scopes_entry_ids_per_count(
    empty_database_url: str,
) -> None:
    engine = create_db_engine(empty_database_url)
    try:
        upgrade(engine, "0005")
        with engine.begin() as connection:
            soap = str(uuid.uuid4())
            insert_row(
                connection,
                "products",
                id=soap,
                sku="MIG-SOAP",
                name="Soap",
                unit_cost=1_000_000,
                active=True,
                tracking="NONE",
                created_at=NOW,
                updated_at=NOW,
            )
            insert_row(
                connection,
                "stock_levels",
                id=str(uuid.uuid4()),
                product_id=soap,
                quantity=10,
            )
            closed = _count(connection, "Monday", "CANCELLED")
            old_line = _line(connection, closed, soap, 7)
            insert_row(
                connection,
                "idempotency_keys",
                operation="CreateProduct",
                request_id="create-soap",
                resource_id=soap,
                actor="alice",
                created_at=NOW,
            )
            running = _count(connection, "Tuesday", "IN_PROGRESS")

        upgrade(engine)

        with engine.connect() as connection:
            kept = connection.execute(
                text("SELECT entry_id, inventory_count_id, count_item_id FROM count_entries")
            ).all()
            keys = connection.execute(text("SELECT request_id, fingerprint FROM idempotency_keys"))
            assert [tuple(k) for k in keys] == [("create-soap", None)]
        assert [tuple(row) for row in kept] == [("scan-1", closed, old_line)]

        services = build_services(
            sql_unit_of_work_factory(create_session_factory(engine)), Settings()
        )
        # The scanner's id again, in another count: stored there, not a duplicate of Monday's.
        (outcome,) = services.recorder.record([_entry(running, 4)])
        assert outcome.line is not None
        assert (outcome.duplicate, outcome.line.line.inventory_count_id) == (False, running)
        assert outcome.line.line.counted_quantity == 4
        # Monday's entry sent again as it was: answered with its stored line.
        (resent,) = services.recorder.record([_entry(closed, 7)])
        assert resent.duplicate
        assert resent.line is not None
        assert (resent.line.line.id, resent.line.line.counted_quantity) == (old_line, 7)
        # ... and with other content: refused.
        (reused,) = services.recorder.record([_entry(closed, 9)])
        assert reused.error is not None
        assert reused.error.reason == "ENTRY_ID_REUSED"
        # A request id from before 0006 (no fingerprint) is answered as it was.
        retried = services.products.create(
            Caller("alice", Role.ADMIN),
            ProductDraft(sku="MIG-SOAP", name="Soap", unit_cost=Decimal("1.00")),
            request_id="create-soap",
        )
        assert retried.id == soap
        # AddCountItem keys written now carry their fingerprint.
        call = _entry(running, 5, entry_id=unary_entry_id("call-9"), request_id="call-9")
        (added,) = services.recorder.record([call])
        assert added.line is not None
        with engine.connect() as connection:
            fingerprint = connection.execute(
                text("SELECT fingerprint FROM idempotency_keys WHERE request_id = 'call-9'")
            ).scalar_one()
        assert fingerprint is not None
        assert len(fingerprint) == 64
    finally:
        engine.dispose()
