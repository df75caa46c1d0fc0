"""A page of a line's history costs what a page costs (issue 16): the keyset position is a range
of the index (count_item_id, stored_at, entry_id), not a filter over every entry before the page
(benchmarks/history_pages.py times it on a 500,000-entry line)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from sqlalchemy import text

from inventory_service.bootstrap import build_services, open_database
from inventory_service.db.recount_repository import history_statement
from inventory_service.domain.catalog_keys import ProductKey
from inventory_service.domain.catalog_rules import ProductDraft
from inventory_service.domain.count_entries import CountEntry
from inventory_service.domain.enums import CountMode, CountType
from inventory_service.domain.identity import Caller, Role
from inventory_service.domain.paging import PageRequest
from inventory_service.settings import Settings

ADMIN = Caller("keyset-admin", Role.ADMIN)
ENTRIES = 3000


def test_a_later_history_page_reads_only_its_own_entries(postgres_url: str) -> None:
    settings = dataclasses.replace(Settings(), database_url=postgres_url)
    engine, uow_factory = open_database(settings)
    try:
        services = build_services(uow_factory, settings)
        services.products.create(
            ADMIN, ProductDraft(sku="KEY-1", name="KEY-1", unit_cost=Decimal(1))
        )
        count_id = services.counts.start(ADMIN, name="keyset", count_type=CountType.SPOT).id
        entries = [
            CountEntry(f"e-{n:05d}", count_id, ProductKey(sku="KEY-1"), 1, ADMIN, CountMode.ADD)
            for n in range(ENTRIES)
        ]
        for first in range(0, ENTRIES, 1000):  # a stored_at per batch, as a stream stores them
            services.recorder.record(entries[first : first + 1000])
        line_id = services.counts.list_lines(ADMIN, count_id, PageRequest(size=1)).items[0].line.id
        pages = [services.recounts.history(ADMIN, count_id, line_id, PageRequest(size=50))]
        while len(pages) < 40:
            after = pages[-1].next_key
            pages.append(
                services.recounts.history(ADMIN, count_id, line_id, PageRequest(50, after))
            )
        ids = [entry.entry_id for page in pages for entry in page.items]
        assert ids == [f"e-{n:05d}" for n in range(2000)]  # in order, none twice or skipped

        statement = history_statement(line_id, PageRequest(size=50, after=pages[-2].next_key))
        sql = statement.compile(engine, compile_kwargs={"literal_binds": True})
        with engine.begin() as connection:
            connection.execute(text("ANALYZE count_entries"))
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            connection.execute(text("SET LOCAL enable_bitmapscan = off"))
            plan = "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN (ANALYZE) {sql}")))
    finally:
        engine.dispose()
    assert "ix_count_entries_count_item_id_stored_at_entry_id" in plan
    assert "Rows Removed by Filter" not in plan, plan  # the page's position is in the index
