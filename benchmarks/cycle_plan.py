"""Cycle-count plans at scale on PostgreSQL: builds a site of 50,000 products and 5,000,000
ledger rows (bulk INSERT ... SELECT generate_series) in a schema of its own, then times the
three queries a cycle-count programme runs (target: each under 2 s) and prints the index use
of their EXPLAIN (ANALYZE) plans. The schema is dropped at the end.

    .venv/bin/python benchmarks/cycle_plan.py [--products N] [--ledger-rows N] [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import Select, select

from inventory_service.bootstrap import build_services, open_database
from inventory_service.db.cycle_plan_repository import PLANNER_SETTINGS, classes_query, plan_query
from inventory_service.domain.count_scope import CountScope
from inventory_service.domain.cycle_plan import CyclePlan
from inventory_service.domain.enums import AbcClass, CountType
from inventory_service.domain.identity import Caller, Role
from inventory_service.domain.paging import PageRequest
from inventory_service.settings import Settings

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
MANAGER = Caller("bench-manager", Role.MANAGER)
RUNS = 5

# Products: costs from 0.10 to 500.00; created two to three years ago.
PRODUCTS_SQL = """
INSERT INTO products (id, sku, barcode, name, unit_cost, active, tracking, created_at, updated_at)
SELECT md5('p' || i)::uuid::text, 'SKU-' || lpad(i::text, 6, '0'), NULL, 'Product ' || i,
       (100000 + mod(i * 7919, 500000000)) , mod(i, 50) <> 0, 'NONE',
       now() - interval '730 days' - mod(i, 365) * interval '1 day',
       now() - interval '730 days'
FROM generate_series(1, %(products)s) AS i
"""
# Every level and ledger row at the default place (MAIN/DEFAULT): the site's plan.
DEFAULT_PLACE = """
(SELECT l.id FROM locations l JOIN sites s ON s.id = l.site_id
 WHERE s.is_default AND l.is_default),
(SELECT id FROM sites WHERE is_default)
"""
LEVELS_SQL = f"""
INSERT INTO stock_levels (id, product_id, batch_id, quantity, location_id, site_id)
SELECT md5('l' || i)::uuid::text, md5('p' || i)::uuid::text, NULL, 100000000, {DEFAULT_PLACE}
FROM generate_series(1, %(products)s) AS i
"""
# Ledger: two years of rows; a skewed product choice (random()^3: a few products take most of
# the sales) so the classes come out as a real site's do. 7 in 10 rows are sales, 2 receipts,
# 1 an adjustment.
LEDGER_SQL = f"""
INSERT INTO stock_ledger (stock_level_id, product_id, batch_id, quantity_delta, quantity_before,
    quantity_after, source, reason, source_reference, actor, created_at, location_id, site_id)
SELECT md5('l' || p)::uuid::text, md5('p' || p)::uuid::text, NULL, d, 100000000,
       100000000 + d, s, '', '', 'bench', now() - mod(i, 730) * interval '1 day'
           - mod(i, 86400) * interval '1 second', {DEFAULT_PLACE}
FROM (
    SELECT i, 1 + floor(%(products)s * power(random(), 3))::int AS p,
           CASE WHEN mod(i, 10) < 7 THEN 'MOVEMENT' WHEN mod(i, 10) < 9 THEN 'MOVEMENT'
                ELSE 'ADJUSTMENT' END AS s,
           CASE WHEN mod(i, 10) < 7 THEN -(1 + mod(i, 12)) ELSE 1 + mod(i, 40) END AS d
    FROM generate_series(1, %(ledger_rows)s) AS i
) AS rows
"""
# A steady cycle-count programme: one completed count a day over the last 183 days; each active
# product was last counted some days ago within its class's frequency plus three days (those
# past it are due now, a few percent of them), the day picked from a hash of its id.
HISTORY_DAYS = 183


def add_history(
    conn: psycopg.Connection[Any], classes: dict[str, AbcClass], plan: CyclePlan
) -> int:
    now = datetime.now(UTC)
    location_id, site_id = conn.execute(
        "SELECT l.id, l.site_id FROM locations l JOIN sites s ON s.id = l.site_id "
        "WHERE s.is_default AND l.is_default"
    ).fetchone() or ("", "")
    with conn.cursor().copy(
        "COPY inventory_counts (id, name, type, notes, blind, status, started_at, started_by,"
        " completed_at, completed_by, close_notes, recount_significant, scoped,"
        " forced_completion_reason, site_id) FROM STDIN"
    ) as copy:
        for day in range(HISTORY_DAYS):
            at = now - timedelta(days=day, hours=1)
            copy.write_row(
                (
                    f"day-{day}",
                    f"Cycle day {day}",
                    "CYCLE",
                    "",
                    False,
                    "COMPLETED",
                    at,
                    "bench",
                    at,
                    "bench",
                    "",
                    False,
                    False,
                    "",
                    site_id,
                )
            )
    lines = 0
    with conn.cursor().copy(
        "COPY count_items (id, inventory_count_id, product_id, batch_id, system_quantity,"
        " counted_quantity, variance, unit_cost, variance_value, significant, reason, notes,"
        " location, counted_by, counted_at, first_counted_at, status, recount_reason,"
        " location_id, site_id) FROM STDIN"
    ) as copy:
        for product_id, abc in classes.items():
            digest = int(hashlib.md5(product_id.encode()).hexdigest()[:8], 16)
            day = digest % (plan.frequency_days[abc] + 3)
            at = now - timedelta(days=day, hours=1)
            off = digest % 7 == 0  # one line in seven is off by 1 to 3 units
            variance = -(1 + digest % 3) if off else 0
            copy.write_row(
                (
                    str(uuid.uuid4()),
                    f"day-{day}",
                    product_id,
                    None,
                    100,
                    100 + variance,
                    variance,
                    1_000_000,
                    variance * 1_000_000,
                    False,
                    "",
                    "",
                    "",
                    "bench",
                    at,
                    at,
                    "COUNTED",
                    "",
                    location_id,
                    site_id,
                )
            )
            lines += 1
    conn.execute("VACUUM ANALYZE inventory_counts, count_items")
    return lines


def load(conn: psycopg.Connection[Any], products: int, ledger_rows: int) -> None:
    sizes = {"products": products, "ledger_rows": ledger_rows}
    conn.execute("SELECT setseed(0.42)")
    # The rows are made consistent by construction: skip the per-row foreign-key triggers.
    conn.execute("SET session_replication_role = replica")
    for label, sql in (
        ("products", PRODUCTS_SQL),
        ("stock levels", LEVELS_SQL),
        ("ledger rows", LEDGER_SQL),
    ):
        started = time.perf_counter()
        rows = conn.execute(sql, sizes).rowcount  # type: ignore[arg-type]
        print(f"  loaded {rows:>10,} {label:<16} in {time.perf_counter() - started:6.1f} s")
        sys.stdout.flush()
    started = time.perf_counter()
    # This schema's tables only (the database may hold others).
    conn.execute("VACUUM ANALYZE products, stock_levels, stock_ledger")
    print(f"  vacuum analyze                        in {time.perf_counter() - started:6.1f} s")


def timed(label: str, call: Callable[[], Any]) -> float:
    seconds = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    median = statistics.median(seconds)
    verdict = "ok" if median < 2 else "OVER the 2 s target"
    print(
        f"  {label:<44} median {median * 1000:7.0f} ms  (min {min(seconds) * 1000:.0f}, "
        f"max {max(seconds) * 1000:.0f}; {RUNS} runs)  {verdict}"
    )
    return median


def explain(conn: Any, label: str, stmt: Select[Any]) -> None:
    """The plan's scans and the indexes they use, and its execution time (with the settings
    the repository runs them with)."""
    for setting in PLANNER_SETTINGS:
        conn.exec_driver_sql(setting)
    compiled = stmt.compile(dialect=conn.dialect)
    rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), compiled.params)
    plan = [row[0] for row in rows]
    print(f"\n  EXPLAIN ANALYZE: {label}")
    for line in plan:
        if re.search(r"Scan|Execution Time|Sort Method|Workers Launched", line):
            print("   " + line.rstrip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--ledger-rows", type=int, default=5_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the schema (prints its name)")
    parser.add_argument("--reuse", metavar="SCHEMA", help="time a kept schema again (migrated)")
    args = parser.parse_args()

    schema = args.reuse or f"cycle_bench_{uuid.uuid4().hex[:8]}"
    if not args.reuse:
        with psycopg.connect(args.postgres_url, autocommit=True) as admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{args.postgres_url}?options=-csearch_path%3D{schema}"
    try:
        settings = Settings(database_url=url, db_workers=2)
        engine, uow_factory = open_database(settings)  # migrates the schema
        print(f"Cycle-count plans on PostgreSQL, schema {schema}")
        if not args.reuse:
            with psycopg.connect(url, autocommit=True) as conn:
                load(conn, args.products, args.ledger_rows)
        services = build_services(uow_factory, settings)
        plan, now = settings.cycle_plan, datetime.now(UTC)
        print(f"\n  load average before timing: {loadavg()}")
        figures = {}
        if not args.reuse:
            print(
                f"  first day of the programme: {_due_now(services):,} products due (never counted)"
            )
            figures["first_day_start"] = timed(
                "scoped start (every product due), then cancel",
                lambda: _scoped_start(services, None),
            )
            with uow_factory(read_only=True) as uow:
                classes = {p: abc for p, (_, abc) in uow.cycle_plans.classes(plan).items()}
            with psycopg.connect(url, autocommit=True) as conn:
                lines = add_history(conn, classes, plan)
            print(f"  steady programme: {HISTORY_DAYS} completed daily counts, {lines:,} lines")
        print(f"  due now: {_due_now(services):,} products")
        figures |= {
            "abc": timed(
                "ABC classes of every active product", lambda: _classes(uow_factory, plan)
            ),
            "due": timed(
                "due list, first page (50, most overdue)",
                lambda: services.plans.due(
                    MANAGER, PageRequest(50), abc_class=None, include_not_due=False
                ),
            ),
            "start": timed(
                "scoped start (scope_due_products), then cancel",
                lambda: _scoped_start(services, None),
            ),
            "start_a": timed(
                "scoped start (due class A products), then cancel",
                lambda: _scoped_start(services, AbcClass.A),
            ),
            "summary": timed(
                "GetInventorySummary with accuracy per class",
                lambda: services.reports.summary(MANAGER, started_from=None, started_to=None),
            ),
        }
        with uow_factory(read_only=True) as uow:
            site = uow.sites.default_ref()  # the plan the services run: the default site's
        with engine.connect() as conn:
            classes = classes_query(plan, site)
            explain(conn, "ABC classes", select(classes.c.product_id, classes.c.abc_class))
            q = plan_query(plan, site)
            due = select(q).where(q.c.due_seconds <= int(now.timestamp()))
            explain(
                conn,
                "due list, first page",
                due.order_by(q.c.due_seconds, q.c.product_id).limit(51),
            )
            explain(
                conn,
                "due products of a scoped start",
                select(q.c.product_id).where(q.c.due_seconds <= int(now.timestamp())),
            )
        print()
        print(" | ".join(f"{k} {v * 1000:.0f} ms" for k, v in figures.items()))
        print(f"  load average after: {loadavg()}")
        engine.dispose()
    finally:
        if args.keep or args.reuse:
            print(f"kept schema {schema}")
        else:
            with psycopg.connect(args.postgres_url, autocommit=True) as admin:
                admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return 0


def _classes(uow_factory: Any, plan: CyclePlan) -> int:
    with uow_factory(read_only=True) as uow:
        return len(uow.cycle_plans.classes(plan))


def _scoped_start(services: Any, abc: AbcClass | None) -> None:
    scope = CountScope(due_products=True, abc_class=abc)
    count = services.counts.start(MANAGER, name="Cycle", count_type=CountType.CYCLE, scope=scope)
    services.counts.cancel(MANAGER, count.id)


def _due_now(services: Any) -> int:
    due = services.plans.due(MANAGER, PageRequest(10**6), abc_class=None, include_not_due=False)
    return len(due.items)


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


if __name__ == "__main__":
    sys.exit(main())
