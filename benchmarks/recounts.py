"""What recounts cost on PostgreSQL, at the service layer (no gRPC): a count whose lines already
hold many entries, then

  (1) recording one entry on a COUNTED line (the path every entry takes),
  (2) recording one recount entry on a RECOUNT_REQUESTED line (it also reads who counted the
      line before the request, under the line's lock),
  (3) the first page (50) of a line's history (ListCountItemEntries),

each as the median and p95 of --repeats runs. (2) and (3) read count_entries by line through the
index (count_item_id, stored_at, entry_id) of migration 0005; --without-index drops it after
loading, to show what it saves (without it both read the whole table).

    .venv/bin/python benchmarks/recounts.py                 # 2,000 lines x 100 entries
    .venv/bin/python benchmarks/recounts.py --lines 200 --entries-per-line 50 --repeats 20
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from decimal import Decimal

from processes import fresh_schema
from sqlalchemy import text

from inventory_service.bootstrap import build_services, open_database
from inventory_service.db.migrate import upgrade
from inventory_service.domain.catalog_keys import ProductKey
from inventory_service.domain.catalog_rules import ProductDraft
from inventory_service.domain.count_entries import CountEntry
from inventory_service.domain.enums import CountMode, CountType
from inventory_service.domain.identity import Caller, Role
from inventory_service.domain.paging import PageRequest
from inventory_service.settings import Settings

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"
DROP_INDEX = "DROP INDEX ix_count_entries_count_item_id_stored_at_entry_id"
ADMIN = Caller("bench-admin", Role.ADMIN)
BOB = Caller("bob", Role.STAFF)
CAROL = Caller("carol", Role.STAFF)


def entry(count_id: str, sku: str, who: Caller) -> CountEntry:
    return CountEntry(
        entry_id=uuid.uuid4().hex,
        inventory_count_id=count_id,
        product=ProductKey(sku=sku),
        quantity=1,
        caller=who,
        mode=CountMode.ADD,
    )


def timed(work: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median and p95 of work's wall time, in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def run(url: str, lines: int, per_line: int, repeats: int, without_index: bool) -> None:
    logging.getLogger("inventory_service").setLevel(logging.ERROR)  # every line is significant
    settings = dataclasses.replace(Settings(), database_url=url)
    engine, uow_factory = open_database(settings)
    upgrade(engine)
    services = build_services(uow_factory, settings)
    skus = [f"BENCH-{i:05d}" for i in range(lines)]
    for sku in skus:
        services.products.create(
            ADMIN, ProductDraft(sku=sku, name=sku, unit_cost=Decimal(1)), opening_quantity=10_000
        )
    count_id = services.counts.start(ADMIN, name="bench", count_type=CountType.CYCLE).id
    started = time.perf_counter()
    for _ in range(per_line):  # a batch a round: one entry on every line
        for first in range(0, lines, 1000):
            services.recorder.record([entry(count_id, s, BOB) for s in skus[first : first + 1000]])
    loaded = time.perf_counter() - started
    print(f"loaded {lines * per_line:,} entries on {lines:,} lines in {loaded:.1f} s")
    with engine.begin() as connection:
        if without_index:
            connection.execute(text(DROP_INDEX))
        connection.execute(text("ANALYZE count_entries"))
    print("count_entries by line:", "no index" if without_index else "index of migration 0005")

    recount_sku = skus[0]
    [line_id] = [
        v.line.id
        for v in services.counts.list_lines(ADMIN, count_id, PageRequest(size=lines)).items
        if v.sku == recount_sku
    ]
    services.recounts.request(ADMIN, count_id, [line_id])
    figures = {
        "(1) entry on a counted line": timed(
            lambda: services.recorder.record([entry(count_id, skus[1], BOB)]), repeats
        ),
        "(2) recount entry": timed(
            lambda: services.recorder.record([entry(count_id, recount_sku, CAROL)]), repeats
        ),
        "(3) history, first page": timed(
            lambda: services.recounts.history(ADMIN, count_id, line_id, PageRequest(size=50)),
            repeats,
        ),
    }
    for name, (median, p95) in figures.items():
        print(f"{name:32} median {median:7.2f} ms   p95 {p95:7.2f} ms")
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database", default=os.environ.get("INVENTORY_BENCH_DATABASE", DEFAULT_DATABASE)
    )
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--entries-per-line", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument(
        "--without-index", action="store_true", help="drop the index of count_entries by line"
    )
    args = parser.parse_args()
    with fresh_schema(args.database) as (_, url):
        run(url, args.lines, args.entries_per_line, args.repeats, args.without_index)
    return 0


if __name__ == "__main__":
    sys.exit(main())
