"""What a page of a line's history (ListCountItemEntries) costs on a line holding many entries,
on PostgreSQL, at the service layer (no gRPC): the first page and the hundredth (page size 50),
each as the median and p95 of --repeats runs, with the load average, and the plan PostgreSQL
chose for the hundredth page (the keyset on the index (count_item_id, stored_at, entry_id)).

The entries are written with one INSERT ... SELECT generate_series (the recorder's path is not
what is measured here), a few thousand per stored_at as batches store them.

    .venv/bin/python benchmarks/history_pages.py                  # 500,000 entries on one line
    .venv/bin/python benchmarks/history_pages.py --entries 50000 --repeats 10
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from processes import fresh_schema
from recounts import timed
from sqlalchemy import Engine, text

from inventory_service.bootstrap import build_services, open_database
from inventory_service.db.recount_repository import history_statement
from inventory_service.domain.catalog_keys import ProductKey
from inventory_service.domain.catalog_rules import ProductDraft
from inventory_service.domain.count_entries import CountEntry
from inventory_service.domain.enums import CountMode, CountType
from inventory_service.domain.identity import Caller, Role
from inventory_service.domain.paging import PageRequest
from inventory_service.settings import Settings

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"
ADMIN = Caller("bench-admin", Role.ADMIN)
PAGE = 50
# One line's entries: a batch of 1,000 entries shares its stored_at (the line's counted_at).
FILL = """
INSERT INTO count_entries (entry_id, inventory_count_id, count_item_id, device_id, quantity,
    mode, counted_by, stored_at, counted_quantity, system_quantity, variance, variance_value,
    significant, reason, notes, location, request_id, recount)
SELECT 'e-' || lpad(n::text, 9, '0'), :count_id, :line_id, 'scanner-1', 1, 'ADD', 'bob',
    timestamptz '2026-01-05 08:00:00+00' + (n / 1000) * interval '1 second', n, 0, n,
    n::bigint * 1000000, true, '', '', '', '', false
FROM generate_series(1, :entries) AS n
"""


def run(url: str, entries: int, repeats: int) -> None:
    logging.getLogger("inventory_service").setLevel(logging.ERROR)
    settings = dataclasses.replace(Settings(), database_url=url)
    engine, uow_factory = open_database(settings)
    services = build_services(uow_factory, settings)
    services.products.create(
        ADMIN,
        ProductDraft(sku="HIST-1", name="HIST-1", unit_cost=Decimal(1)),
        opening_quantity=10,
    )
    count_id = services.counts.start(ADMIN, name="bench", count_type=CountType.CYCLE).id
    first = CountEntry(
        entry_id="first",
        inventory_count_id=count_id,
        product=ProductKey(sku="HIST-1"),
        quantity=1,
        caller=ADMIN,
        mode=CountMode.ADD,
    )
    (outcome,) = services.recorder.record([first])
    assert outcome.line is not None
    line_id = outcome.line.line.id
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(
            text(FILL), {"count_id": count_id, "line_id": line_id, "entries": entries}
        )
        connection.execute(text("ANALYZE count_entries"))
    print(f"loaded {entries + 1:,} entries on one line in {time.perf_counter() - started:.1f} s")

    def page(number: int) -> Callable[[], object]:
        # The key a client's page token carries: the last entry of the page before.
        after = page_key(engine, line_id, (number - 1) * PAGE - 1) if number > 1 else None
        request = PageRequest(size=PAGE, after=after)
        return lambda: services.recounts.history(count_id, line_id, request)

    load = os.getloadavg()
    figures = {"first page": timed(page(1), repeats), "hundredth page": timed(page(100), repeats)}
    for name, (median, p95) in figures.items():
        print(f"{name:16} median {median:7.2f} ms   p95 {p95:7.2f} ms")
    print(f"load average at the start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    statement = history_statement(
        line_id, PageRequest(size=PAGE, after=page_key(engine, line_id, 99 * PAGE - 1))
    )
    compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        plan = connection.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {compiled}")).all()
    print("plan of the hundredth page:")
    for (line,) in plan:
        print("   ", line)
    engine.dispose()


def page_key(engine: Engine, line_id: str, offset: int) -> tuple[datetime, str]:
    """The (stored_at, entry_id) of the line's entry at offset, in the history's order."""
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT stored_at, entry_id FROM count_entries WHERE count_item_id = :line "
                "ORDER BY stored_at, entry_id OFFSET :offset LIMIT 1"
            ),
            {"line": line_id, "offset": offset},
        ).one()
    return (row.stored_at, row.entry_id)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database", default=os.environ.get("INVENTORY_BENCH_DATABASE", DEFAULT_DATABASE)
    )
    parser.add_argument("--entries", type=int, default=500_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with fresh_schema(args.database) as (_, url):
        run(url, args.entries, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
