"""Losing the database machine costs no acknowledged write (PRODUCT.md, Running it): three
replicas behind HAProxy on PostgreSQL with automatic failover (deploy/ha_postgres.py: a
pg_auto_failover monitor, a primary and a synchronous standby under var/, on ports of their
own; the shared PostgreSQL is not used). Scanner sessions stream entries and internal-service
callers record movements with request ids through the balancer while the primary's machine dies
(SIGKILL to its pg_autoctl, PostgreSQL and backends, its directory moved away). Then: the
standby is promoted; every replica was not ready while no primary answered and ready again by
itself; every acknowledged entry and every movement that answered OK is in the new primary
exactly once; the ledger adds up; the clients resumed by themselves (sessions resend, callers
retry on UNAVAILABLE); nothing answered INTERNAL or UNKNOWN. The lost node is rebuilt
as a standby by pg_auto_failover's own commands and the new primary is lost in turn: the same
checks hold. The figures (acks, rows found, time from the kill to the first write) are printed.

pg_auto_failover and HAProxy come from Debian's packages; `make test` installs them where it can.
Without them this test is skipped with a loud reason, except under CI (CI set), where it fails."""

from __future__ import annotations

import collections
import contextlib
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from deploy.cluster import Cluster, free_port, haproxy_binary, migrate
from deploy.ha_postgres import HaPostgres, missing_software, reachable_by_service_user
from deploy.processes import CLI, LoggedProcess
from inventory.v1 import catalog_pb2
from inventory.v1 import inventory_count_pb2 as pb
from inventory_client import InventoryClient, InventoryError
from inventory_client.connection import Endpoint
from inventory_client.retry import Backoff, RetryPolicy
from inventory_service.db.engine import create_db_engine
from inventory_service.db.ledger_audit import audit_ledger
from inventory_service.db.models import (
    CountItem,
    LedgerEntry,
    Product,
    StockLevel,
    StoredCountEntry,
)
from inventory_service.domain.identity import Role
from tests.cluster_support import Scanner, acks_grow, wait_until
from tests.conftest import UNDER_CI
from tests.helpers import TEST_SECRET, money, token

REPO = Path(__file__).resolve().parent.parent
SHELF = [f"HA-S{i}" for i in range(6)]
RECEIVED = "HA-RECEIVED"  # the product the callers' movements add to
SCANNERS = 2
CALLERS = 2
# Callers retry on UNAVAILABLE within one deadline longer than a failover.
PATIENT = RetryPolicy(max_attempts=10_000, backoff=Backoff(initial=0.1, maximum=1.0))


def _require(problem: str | None) -> None:
    if problem:
        if UNDER_CI:
            pytest.fail(f"{problem} (CI requires it)", pytrace=False)
        pytest.skip(f"!!! SKIPPING THE FAILOVER TEST: {problem}")


@pytest.fixture
def ha_root() -> Iterator[Path]:
    """A directory under var/, or, where PostgreSQL's user cannot reach the checkout (a clone
    under /root), under the system's temporary directory."""
    var = REPO / "var"
    var.mkdir(exist_ok=True)
    root = var / f"ha-test-{uuid.uuid4().hex[:8]}"
    if not reachable_by_service_user(var):
        root = Path(tempfile.mkdtemp(prefix="inventory-ha-test-")) / "ha"
        root.parent.chmod(0o755)
        print(f"!!! PostgreSQL's user cannot reach {var}: the formation runs in {root}")
    try:
        yield root
    finally:
        shutil.rmtree(root if root.parent == var else root.parent, ignore_errors=True)


@pytest.fixture
def ha(ha_root: Path) -> Iterator[HaPostgres]:
    _require(missing_software())
    _require(None if haproxy_binary() else "haproxy is not installed (apt-get install haproxy)")
    with HaPostgres(ha_root, (free_port(), free_port(), free_port())) as started:
        yield started


class Caller(threading.Thread):
    """An internal service recording receipts (+1 each, its own request_id, which is also the
    source reference) through the balancer, one call after another, until told to stop."""

    def __init__(self, address: str, product_id: str, name: str) -> None:
        super().__init__(name=name, daemon=True)
        endpoint = Endpoint(address, token(Role.STAFF, name))
        self.client = InventoryClient(endpoint=endpoint, retry=PATIENT, deadline=120)
        self.product_id = product_id
        self.ok: list[tuple[str, float, float]] = []  # request_id, sent, answered (monotonic)
        self.failed: collections.Counter[str] = collections.Counter()  # final codes
        self.stop = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            request_id = f"{self.name}-{n}"
            request = catalog_pb2.RecordStockMovementsRequest(
                movements=[
                    catalog_pb2.StockMovement(
                        product_id=self.product_id, quantity_delta=1, source_reference=request_id
                    )
                ],
                request_id=request_id,
            )
            sent = time.monotonic()
            try:
                self.client.record_stock_movements(request)
            except InventoryError as error:
                self.failed[error.code.name] += 1
                continue
            self.ok.append((request_id, sent, time.monotonic()))
        self.client.close()

    def ok_now(self) -> list[tuple[str, float, float]]:
        return list(self.ok)


class Readiness(threading.Thread):
    """Samples HAProxy's view of the replicas (their readiness, through its health checks)
    until told to stop."""

    def __init__(self, cluster: Cluster) -> None:
        super().__init__(name="readiness", daemon=True)
        self.cluster = cluster
        self.samples: list[tuple[float, frozenset[str]]] = []  # (monotonic, states seen)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.1):
            with contextlib.suppress(OSError):
                states = frozenset(self.cluster.server_states().values())
                self.samples.append((time.monotonic(), states))

    def went_down_and_up(self, after: float) -> bool:
        """Every replica was out (NOT_SERVING) at once after `after`, and all back later."""
        seen = [states for moment, states in list(self.samples) if moment > after]
        down = next((i for i, states in enumerate(seen) if states == {"DOWN"}), None)
        return down is not None and any(states == {"UP"} for states in seen[down:])


@dataclass
class Load:
    scanners: list[Scanner]
    callers: list[Caller]
    readiness: Readiness
    figures: list[str] = field(default_factory=list)

    def acked(self) -> dict[str, str]:
        return {k: v for scanner in self.scanners for k, v in scanner.acked_now().items()}

    def answered_ok(self) -> list[tuple[str, float, float]]:
        return [call for caller in self.callers for call in caller.ok_now()]

    def flowing(self) -> None:
        """Waits until every scanner and every caller has written more."""
        counts = [len(caller.ok_now()) for caller in self.callers]
        for scanner in self.scanners:
            acks_grow(scanner, by=20, timeout=90)
        for caller, before in zip(self.callers, counts, strict=True):
            wait_until(
                lambda c=caller, b=before: len(c.ok_now()) >= b + 5,
                f"{caller.name} to record again",
                timeout=90,
            )

    def workers(self) -> list[Scanner | Caller | Readiness]:
        return [*self.scanners, *self.callers, self.readiness]

    def stop(self) -> None:
        for worker in self.workers():
            worker.stop.set()
        for worker in self.workers():
            worker.join(120)


def _first_write_after(load: Load, moment: float) -> float:
    """Seconds from moment to the first movement that was sent after it and answered OK."""
    return min(answered for _, sent, answered in load.answered_ok() if sent > moment) - moment


def _nothing_lost(engine: Engine, load: Load, product_id: str) -> tuple[int, int, int, int]:
    """Every entry acknowledged so far and every movement answered OK so far is stored exactly
    once, and the ledger adds up. Returns (acks, entries found, OKs, movements found)."""
    acked = load.acked()
    answered = {request_id for request_id, _, _ in load.answered_ok()}
    with engine.connect() as connection:
        stored = set(
            connection.execute(
                select(StoredCountEntry.entry_id).where(StoredCountEntry.entry_id.in_(acked))
            ).scalars()
        )
        references = collections.Counter(
            connection.execute(
                select(LedgerEntry.source_reference).where(LedgerEntry.product_id == product_id)
            ).scalars()
        )
    assert set(acked) - stored == set(), "acknowledged entries missing"
    assert {r for r in answered if references[r] != 1} == set(), "OK movements not stored once"
    assert {r: n for r, n in references.items() if n > 1} == {}, "a movement applied twice"
    audit = audit_ledger(engine)
    assert audit.ok, audit.problems
    return len(acked), len(stored), len(answered), len(answered & set(references))


def _fail_over(ha: HaPostgres, load: Load, product_id: str, label: str) -> str:
    """Loses the primary's machine under load; checks and reports; returns the new primary."""
    lost = ha.primary()
    load.flowing()
    killed = time.monotonic()
    ha.lose(lost)
    promoted = ha.wait_for_primary(other_than=lost)
    load.flowing()
    # While no primary answered, every replica was not ready, and each came back by itself.
    wait_until(lambda: load.readiness.went_down_and_up(killed), "readiness down and up again")
    engine = create_db_engine(ha.node_url(promoted))
    try:
        acks, found, oks, applied = _nothing_lost(engine, load, product_id)
    finally:
        engine.dispose()
    load.figures.append(
        f"{label}: {lost} lost, {promoted} promoted; entries acknowledged {acks}, found {found};"
        f" movements answered OK {oks}, found {applied}; from the kill to the first write"
        f" {_first_write_after(load, killed):.1f} s"
    )
    return lost


def test_losing_the_primary_machine_loses_no_acknowledged_write(
    ha: HaPostgres, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    migrate(ha.url)
    env = {"INVENTORY_DB_CHECK_INTERVAL_SECONDS": "0.5"}
    with Cluster(ha.url, TEST_SECRET, replicas=3, workers=1, extra_env=env) as cluster:
        admin = Endpoint(cluster.address, token(Role.ADMIN, "ha-admin"))
        manager = Endpoint(cluster.address, token(Role.MANAGER, "ha-manager"))
        with InventoryClient(endpoint=admin, retry=PATIENT) as client:
            for sku in [*SHELF, RECEIVED]:
                client.create_product(
                    catalog_pb2.CreateProductRequest(
                        product=catalog_pb2.Product(sku=sku, name=sku, unit_cost=money("1.00"))
                    )
                )
            received = client.get_product(
                catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(sku=RECEIVED))
            ).product
        with InventoryClient(endpoint=manager, retry=PATIENT) as client:
            count_id = client.start_inventory_count(
                pb.StartInventoryCountRequest(name="HA count", type=pb.INVENTORY_COUNT_TYPE_CYCLE)
            ).inventory_count.id

        load = Load(
            scanners=[
                Scanner(
                    cluster.address,
                    count_id,
                    SHELF,
                    device_id=f"ha-scanner-{i}",
                    request_id=f"ha-scanner-{i}",
                )
                for i in range(SCANNERS)
            ],
            callers=[
                Caller(cluster.address, received.id, f"ha-caller-{i}") for i in range(CALLERS)
            ],
            readiness=Readiness(cluster),
        )
        for worker in load.workers():
            worker.start()
        try:
            first = _fail_over(ha, load, received.id, "failover 1")
            ha.rebuild(first)  # a new machine in its place: the synchronous standby again
            _fail_over(ha, load, received.id, "failover 2 (back)")
        finally:
            load.stop()

        for scanner in load.scanners:
            assert not scanner.is_alive()
            assert scanner.error is None, repr(scanner.error)
            assert scanner.reconnects, f"{scanner.name} never lost its stream"
        for caller in load.callers:
            assert not caller.is_alive()
            assert caller.failed == {}, caller.failed  # every call ended OK, by retrying

        # Quiet now: the exact totals, on the primary, and the operator's ledger check.
        primary_url = ha.node_url(ha.primary())
        check = LoggedProcess("check-ledger", [*CLI, "check-ledger", "--database-url", primary_url])
        assert check.wait() == 0, (check.stdout, check.tail())
        engine = create_db_engine(primary_url)
        try:
            _nothing_lost(engine, load, received.id)
            acked = load.acked()
            with engine.connect() as connection:
                stored = dict(
                    connection.execute(
                        select(StoredCountEntry.entry_id, Product.sku)
                        .join(CountItem, CountItem.id == StoredCountEntry.count_item_id)
                        .join(Product, Product.id == CountItem.product_id)
                        .where(StoredCountEntry.inventory_count_id == count_id)
                    ).all()
                )
                lines = dict(
                    connection.execute(
                        select(Product.sku, func.sum(CountItem.counted_quantity))
                        .join(Product, Product.id == CountItem.product_id)
                        .where(CountItem.inventory_count_id == count_id)
                        .group_by(Product.sku)
                    ).all()
                )
                stock = connection.execute(
                    select(func.sum(StockLevel.quantity)).where(
                        StockLevel.product_id == received.id
                    )
                ).scalar_one()
                movements = connection.execute(
                    select(func.count()).where(LedgerEntry.product_id == received.id)
                ).scalar_one()
        finally:
            engine.dispose()
        assert stored == acked  # every entry the scanners sent was acked, and stored once
        assert lines == dict(collections.Counter(acked.values()))
        assert stock == movements == len(load.answered_ok())

        # Nothing answered INTERNAL or UNKNOWN: not a replica, not through the balancer.
        records = [r for replica in cluster.members for p in replica.processes() for r in p.records]
        answered = collections.Counter(r["code"] for r in records if r.get("message") == "rpc")
        errors = [r for r in records if r.get("level") in ("error", "critical")]
        assert not {"INTERNAL", "UNKNOWN"} & set(answered), (answered, errors)

    with capsys.disabled():
        print(f"\n[failover test, {time.monotonic() - started:.0f} s]")
        for line in load.figures:
            print(f"  {line}")
        print(f"  calls answered by the replicas: {dict(answered)}")
