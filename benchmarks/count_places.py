"""Counts by place at scale on PostgreSQL (issue 18): 20 sites, 40,000 locations, 50,000 products
and 2,000,000 stock levels, built with set-based SQL (INSERT ... SELECT generate_series) in a
schema of its own, dropped at the end. Times, through the service layer (target: each under
1 s, median of 5 runs):

  - starting a FULL count of one site (2,000 locations held; cancelled between runs, untimed);
  - a count's progress (a FULL count of 100,000 levels, 40% counted): the first page of
    locations with the count's totals;
  - a site's due list (its own consumption, its own counts): the first page;
  - a counter's task list (100 locations) with each location's figures, and the first page of
    the levels left in them;

and prints the EXPLAIN (ANALYZE) plan of every SELECT each one ran.

    .venv/bin/python benchmarks/count_places.py [--keep] [--reuse SCHEMA]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from report import loadavg
from sqlalchemy import Engine, event

from inventory_service.bootstrap import build_services, open_database
from inventory_service.domain.count_places import CountPlaces
from inventory_service.domain.count_tasks import TaskRequest
from inventory_service.domain.enums import CountType
from inventory_service.domain.identity import Caller, Role
from inventory_service.domain.paging import PageRequest
from inventory_service.domain.places import NO_LOCATION, SiteKey
from inventory_service.settings import Settings

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
MANAGER = Caller("bench-manager", Role.MANAGER)
COUNTER = Caller("counter-1", Role.STAFF)
RUNS = 5
TARGET_SECONDS = 1.0
SITES = 20
LOCATIONS_PER_SITE = 2_000  # DEFAULT and L-0001 .. L-1999, 100 to a zone
PRODUCTS = 50_000
LEVELS_PER_LOCATION = 50  # 2,000,000 levels: 100,000 per site
COUNTED_SHARE = 0.4  # of the live count's levels

# Sites 1..20 (1 is MAIN, made by the migration) and locations (site, j), j = 0 the DEFAULT.
SETUP_SQL = [
    (
        "sites",
        """
        INSERT INTO sites (id, code, name, active, is_default, created_at, updated_at)
        SELECT md5('site' || s)::uuid::text, 'SITE-' || lpad(s::text, 2, '0'), 'Store ' || s,
               true, false, now(), now()
        FROM generate_series(2, %(sites)s) AS s
        """,
    ),
    (
        "bench_sites",
        """
        CREATE TABLE bench_sites AS
        SELECT row_number() OVER (ORDER BY is_default DESC, code)::int AS s, id FROM sites
        """,
    ),
    (
        "default locations",
        """
        INSERT INTO locations (id, site_id, code, name, zone, active, is_default, created_at,
                               updated_at)
        SELECT md5('loc' || b.s || '-0')::uuid::text, b.id, 'DEFAULT', 'Default location', '',
               true, true, now(), now()
        FROM bench_sites b WHERE b.s > 1
        """,
    ),
    (
        "locations",
        """
        INSERT INTO locations (id, site_id, code, name, zone, active, is_default, created_at,
                               updated_at)
        SELECT md5('loc' || b.s || '-' || j)::uuid::text, b.id, 'L-' || lpad(j::text, 4, '0'),
               'Bin ' || j, 'Zone ' || lpad(((j - 1) / 100 + 1)::text, 2, '0'), true, false,
               now(), now()
        FROM bench_sites b, generate_series(1, %(locations)s - 1) AS j
        """,
    ),
    (
        "bench_locations",
        """
        CREATE TABLE bench_locations AS
        SELECT b.s, CASE WHEN l.is_default THEN 0 ELSE substr(l.code, 3)::int END AS j,
               l.id, l.site_id
        FROM locations l JOIN bench_sites b ON b.id = l.site_id
        """,
    ),
    (
        "products",
        """
        INSERT INTO products (id, sku, barcode, name, unit_cost, active, tracking, created_at,
                              updated_at)
        SELECT md5('p' || i)::uuid::text, 'SKU-' || lpad(i::text, 6, '0'), NULL, 'Product ' || i,
               100000 + mod(i * 7919, 50000000), mod(i, 50) <> 0, 'NONE',
               now() - interval '730 days', now() - interval '730 days'
        FROM generate_series(1, %(products)s) AS i
        """,
    ),
    # Location j of site s holds 50 products: each product sits in two locations of each site.
    (
        "stock levels",
        """
        INSERT INTO stock_levels (id, product_id, batch_id, quantity, location_id, site_id)
        SELECT gen_random_uuid()::text,
               md5('p' || (mod(l.j * %(per_location)s + k + l.s * 1237, %(products)s) + 1))
                   ::uuid::text,
               NULL, mod(l.j * 31 + k * 17, 100), l.id, l.site_id
        FROM bench_locations l, generate_series(0, %(per_location)s - 1) AS k
        """,
    ),
    # Sales over the last year, skewed: a few products sell much, most little or nothing.
    (
        "ledger rows",
        """
        INSERT INTO stock_ledger (stock_level_id, product_id, batch_id, quantity_delta,
            quantity_before, quantity_after, source, reason, source_reference, actor, created_at,
            location_id, site_id)
        SELECT l.id, l.product_id, NULL, -d, 1000, 1000 - d, 'MOVEMENT', '', '', 'bench',
               now() - mod(abs(hashtext(l.id)) + g, 365) * interval '1 day', l.location_id,
               l.site_id
        FROM stock_levels l
        CROSS JOIN LATERAL (
            SELECT mod(abs(hashtext(l.product_id || l.site_id)), 100) AS popularity
        ) AS p
        CROSS JOIN LATERAL generate_series(
            1, CASE WHEN p.popularity < 5 THEN 10 WHEN p.popularity < 30 THEN 2
                    WHEN p.popularity < 60 THEN 1 ELSE 0 END) AS g
        CROSS JOIN LATERAL (SELECT 1 + mod(abs(hashtext(l.id)) + g, 12) AS d) AS q
        """,
    ),
    # Each site's last completed count, 100 days ago, counted a quarter of its levels.
    (
        "past counts",
        """
        INSERT INTO inventory_counts (id, name, type, notes, blind, status, started_at,
            started_by, completed_at, completed_by, cancelled_at, cancelled_by, close_notes,
            recount_significant, scoped, forced_completion_reason, site_id, scope_zones)
        SELECT md5('count' || b.s)::uuid::text, 'Cycle ' || b.s, 'CYCLE', '', false,
               'COMPLETED', now() - interval '100 days', 'bench', now() - interval '100 days',
               'bench', NULL, NULL, '', false, false, '', b.id, ''
        FROM bench_sites b
        """,
    ),
    (
        "past lines",
        """
        INSERT INTO count_items (id, inventory_count_id, product_id, batch_id, system_quantity,
            counted_quantity, variance, unit_cost, variance_value, significant, reason, notes,
            location, counted_by, counted_at, first_counted_at, status, recount_reason,
            location_id, site_id)
        SELECT gen_random_uuid()::text, md5('count' || b.s)::uuid::text, l.product_id, NULL,
               l.quantity, l.quantity, 0, 1000000, 0, false, '', '', '', 'bench',
               now() - interval '100 days', now() - interval '100 days', 'COUNTED', '',
               l.location_id, l.site_id
        FROM stock_levels l JOIN bench_sites b ON b.id = l.site_id
        WHERE mod(abs(hashtext(l.id)), 4) = 0
        """,
    ),
]
COUNTED_SQL = """
INSERT INTO count_items (id, inventory_count_id, product_id, batch_id, system_quantity,
    counted_quantity, variance, unit_cost, variance_value, significant, reason, notes, location,
    counted_by, counted_at, first_counted_at, status, recount_reason, location_id, site_id)
SELECT gen_random_uuid()::text, %(count)s::varchar, l.product_id, NULL, l.quantity, l.quantity, 0,
       1000000, 0, false, '', '', '', 'counter-' || mod(abs(hashtext(l.location_id)), 8),
       now(), now(), 'COUNTED', '', l.location_id, l.site_id
FROM stock_levels l JOIN count_locations c ON c.location_id = l.location_id
WHERE c.inventory_count_id = %(count)s::varchar AND mod(abs(hashtext(l.id)), 100) < %(percent)s
"""
COUNTED_ENTRIES_SQL = """
INSERT INTO count_entries (entry_id, inventory_count_id, count_item_id, device_id, quantity,
    mode, scanned_at, counted_by, stored_at, counted_quantity, system_quantity, variance,
    variance_value, significant, reason, notes, location, request_id, recount, site_id)
SELECT 'bench-' || i.id, i.inventory_count_id, i.id, 'bench', i.counted_quantity, 'SET', now(),
       i.counted_by, now(), i.counted_quantity, i.system_quantity, 0, 0, false, '', '', '', '',
       false, i.site_id
FROM count_items i WHERE i.inventory_count_id = %(count)s::varchar
"""


def load(conn: psycopg.Connection[Any], sites: int, locations: int, products: int) -> None:
    sizes = {
        "sites": sites,
        "locations": locations,
        "products": products,
        "per_location": LEVELS_PER_LOCATION,
    }
    # The rows are consistent by construction: skip the per-row foreign-key triggers.
    conn.execute("SET session_replication_role = replica")
    for label, sql in SETUP_SQL:
        started = time.perf_counter()
        rows = conn.execute(sql, sizes).rowcount  # type: ignore[arg-type]
        print(f"  loaded {rows:>10,} {label:<18} in {time.perf_counter() - started:6.1f} s")
        sys.stdout.flush()
    conn.execute("SET session_replication_role = DEFAULT")
    started = time.perf_counter()
    conn.execute(
        "VACUUM ANALYZE sites, locations, products, stock_levels, stock_ledger, "
        "inventory_counts, count_items"
    )
    print(f"  vacuum analyze                          in {time.perf_counter() - started:6.1f} s")


def timed(
    label: str, call: Callable[[], Any], *, between: Callable[[], Any] | None = None
) -> float:
    seconds = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
        if between is not None:
            between()
    median = statistics.median(seconds)
    verdict = "ok" if median < TARGET_SECONDS else f"OVER the {TARGET_SECONDS:.0f} s target"
    print(
        f"  {label:<58} median {median * 1000:6.0f} ms  (min {min(seconds) * 1000:.0f}, "
        f"max {max(seconds) * 1000:.0f}; {RUNS} runs)  {verdict}"
    )
    sys.stdout.flush()
    return median


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements the engine runs meanwhile, with their parameters."""
    found: list[tuple[str, Any]] = []

    def remember(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        found.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def explain(engine: Engine, label: str, statements: list[tuple[str, Any]]) -> None:
    """EXPLAIN (ANALYZE) of each SELECT an operation ran, in one transaction rolled back, with
    the settings it ran with (SET LOCAL); its plan nodes and execution time."""
    print(f"\n  EXPLAIN ANALYZE: {label}")
    with engine.connect() as conn, conn.begin() as transaction:
        for statement, parameters in statements:
            words = statement.lstrip().split(None, 1)
            verb = words[0].upper() if words else ""
            if verb == "SET":
                conn.exec_driver_sql(statement, parameters)
            if verb != "SELECT":
                continue
            plan = [
                row[0]
                for row in conn.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                )
            ]
            print("   " + " ".join(statement.split())[:150] + " ...")
            for line in plan:
                if re.search(r"->|^\S|Execution Time|Sort Method", line):
                    print("     " + line.rstrip())
        transaction.rollback()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--keep", action="store_true", help="keep the schema (prints its name)")
    parser.add_argument("--reuse", metavar="SCHEMA", help="time a kept schema again")
    parser.add_argument("--sites", type=int, default=SITES, help="smaller for a smoke run")
    parser.add_argument("--locations", type=int, default=LOCATIONS_PER_SITE, help="per site")
    parser.add_argument("--products", type=int, default=PRODUCTS)
    args = parser.parse_args()

    schema = args.reuse or f"places_bench_{uuid.uuid4().hex[:8]}"
    if not args.reuse:
        with psycopg.connect(args.postgres_url, autocommit=True) as admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{args.postgres_url}?options=-csearch_path%3D{schema}"
    print(f"Counts by place on PostgreSQL, schema {schema}; load average {loadavg()}")
    try:
        settings = Settings(database_url=url, db_workers=2)
        engine, uow_factory = open_database(settings)  # migrates the schema
        if not args.reuse:
            started = time.perf_counter()
            with psycopg.connect(url, autocommit=True) as conn:
                load(conn, args.sites, args.locations, args.products)
            print(f"  built in {time.perf_counter() - started:.0f} s")
        services = build_services(uow_factory, settings)
        with psycopg.connect(url, autocommit=True) as conn:
            sizes = conn.execute(
                "SELECT (SELECT count(*) FROM sites), (SELECT count(*) FROM locations), "
                "(SELECT count(*) FROM products), (SELECT count(*) FROM stock_levels), "
                "(SELECT count(*) FROM stock_ledger)"
            ).fetchone()
        names = ("sites", "locations", "products", "stock levels", "ledger rows")
        print("  " + ", ".join(f"{n} {v:,}" for n, v in zip(names, sizes or (), strict=True)))

        live = services.counts.start(
            MANAGER,
            name="Store 7 stock-take",
            count_type=CountType.FULL,
            places=CountPlaces(site=SiteKey(code="SITE-07")),
        )
        with psycopg.connect(url, autocommit=True) as conn:
            lines = conn.execute(
                COUNTED_SQL, {"count": live.id, "percent": int(COUNTED_SHARE * 100)}
            ).rowcount
            conn.execute(COUNTED_ENTRIES_SQL, {"count": live.id})
            conn.execute("ANALYZE count_items, count_entries, count_locations, location_holds")
        for n, zone in enumerate(("Zone 01", "Zone 02"), start=1):
            services.tasks.assign(MANAGER, TaskRequest(live.id, (f"counter-{n}",), zones=(zone,)))
        progress = services.tasks.progress(MANAGER, live.id, PageRequest(100), zone="")
        print(
            f"  live count: FULL of SITE-07, {live.location_count:,} locations, "
            f"{progress.totals.levels_expected:,} levels expected, {lines:,} counted"
        )
        print(f"\n  load average before timing: {loadavg()}")

        def start_full() -> str:
            count = services.counts.start(
                MANAGER,
                name="Store 12 stock-take",
                count_type=CountType.FULL,
                places=CountPlaces(site=SiteKey(code="SITE-12")),
            )
            started_ids.append(count.id)
            return count.id

        started_ids: list[str] = []

        def cancel_started() -> None:
            services.counts.cancel(MANAGER, started_ids.pop())

        operations: dict[str, tuple[str, Callable[[], Any], Callable[[], Any] | None]] = {
            "start": (
                "FULL count of one site (2,000 locations): start",
                start_full,
                cancel_started,
            ),
            "progress": (
                "progress of a count of 100,000 levels, first page + totals",
                lambda: services.tasks.progress(MANAGER, live.id, PageRequest(100), zone=""),
                None,
            ),
            "due": (
                "a site's due list (SITE-07), first page of 50",
                lambda: services.plans.due(
                    MANAGER,
                    PageRequest(50),
                    abc_class=None,
                    include_not_due=False,
                    site=SiteKey(code="SITE-07"),
                ),
                None,
            ),
            "tasks": (
                "a counter's task list (100 locations, with figures)",
                lambda: services.tasks.tasks(COUNTER, PageRequest(100), count_id="", assignee=""),
                None,
            ),
            "left": (
                "a counter's levels left to count, first page of 100",
                lambda: services.tasks.levels_to_count(
                    COUNTER, live.id, NO_LOCATION, PageRequest(100)
                ),
                None,
            ),
        }
        figures = {
            key: timed(label, call, between=between)
            for key, (label, call, between) in operations.items()
        }
        for label, call, between in operations.values():
            with captured(engine) as statements:
                call()
            if between is not None:
                between()
            explain(engine, label, statements)
        print()
        print(" | ".join(f"{k} {v * 1000:.0f} ms" for k, v in figures.items()))
        print(f"  load average after: {loadavg()}")
        services.counts.cancel(MANAGER, live.id)
        engine.dispose()
    finally:
        if args.keep or args.reuse:
            print(f"kept schema {schema}")
        else:
            with psycopg.connect(args.postgres_url, autocommit=True) as admin:
                admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return 0


if __name__ == "__main__":
    sys.exit(main())
