"""PostgreSQL down, restarting, crashed or taking no writes (a standby): every call answers
UNAVAILABLE with reason DATABASE_UNAVAILABLE (a code clients retry on), health says NOT_SERVING
for readiness while the database does not answer and SERVING again once it does, without a
restart; liveness stays SERVING. The database sits behind a TCP proxy the test controls (the
shared PostgreSQL is never stopped); a standby is played by sessions that open read-only."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import grpc
import psycopg
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from sqlalchemy import exc as sa_exc

from inventory.v1 import catalog_pb2
from inventory.v1 import inventory_count_pb2 as pb
from inventory_service.api.readiness import LIVENESS_SERVICE
from inventory_service.bootstrap import build_services, open_database
from inventory_service.db import count_entry_repository
from inventory_service.db.count_entry_repository import CountEntryRepository
from inventory_service.db.faults import DATABASE_UNAVAILABLE, database_fault
from inventory_service.domain.catalog_rules import ProductDraft
from inventory_service.domain.errors import Aborted, Unavailable
from inventory_service.domain.identity import Caller, Role
from tests.conftest import POSTGRES_URL
from tests.helpers import (
    ADMIN,
    STAFF,
    Clients,
    ScannerStream,
    ServerThread,
    clients,
    create_product,
    error_info,
    money,
    scan,
    start_count,
    test_settings,
)
from tests.tcp_proxy import TcpProxy

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
READINESS = ["", "inventory.v1.CatalogService", "inventory.v1.InventoryCountService"]


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    proxy = TcpProxy("127.0.0.1", 5432)
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def proxied_server(postgres_url: str, proxy: TcpProxy) -> Iterator[ServerThread]:
    settings = test_settings(proxy.url_for(postgres_url), db_check_interval_seconds=0.2)
    thread = ServerThread(settings).start()
    try:
        yield thread
    finally:
        proxy.restore()
        thread.stop()


def _health(api: Clients, service: str) -> Any:
    stub = health_pb2_grpc.HealthStub(api.channel)
    return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status


def _wait_for_health(api: Clients, status: Any, services: list[str]) -> None:
    deadline = time.monotonic() + 15
    while [_health(api, s) for s in services] != [status] * len(services):
        assert time.monotonic() < deadline, f"health never became {status} for {services}"
        time.sleep(0.05)


def _calls(api: Clients, count_id: str, product_id: str) -> dict[str, Callable[[], Any]]:
    """One call of each kind: reads, writes, the group commit, request ids, the stream."""

    def stream() -> Any:
        scanner = ScannerStream(api, STAFF, device_id="scanner-1")
        scanner.send(scan(count_id, product_id=product_id, quantity=1))
        return scanner.acks(1)

    def add(with_request_id: bool) -> Callable[[], Any]:  # a fresh request id on every call
        return lambda: api.counts.AddCountItem(
            pb.AddCountItemRequest(
                inventory_count_id=count_id,
                product=catalog_pb2.ProductSelector(id=product_id),
                counted_quantity=1,
                mode=pb.COUNT_MODE_ADD,
                request_id=uuid.uuid4().hex if with_request_id else "",
            ),
            metadata=STAFF,
            timeout=30,
        )

    return {
        "GetProduct": lambda: api.catalog.GetProduct(
            catalog_pb2.GetProductRequest(product=catalog_pb2.ProductSelector(id=product_id)),
            metadata=STAFF,
            timeout=30,
        ),
        "ListProducts": lambda: api.catalog.ListProducts(
            catalog_pb2.ListProductsRequest(), metadata=STAFF, timeout=30
        ),
        "CreateProduct": lambda: api.catalog.CreateProduct(
            catalog_pb2.CreateProductRequest(
                product=catalog_pb2.Product(
                    sku=f"NEW-{uuid.uuid4().hex[:8]}", name="New", unit_cost=money("1.00")
                )
            ),
            metadata=ADMIN,
            timeout=30,
        ),
        "AddCountItem": add(with_request_id=False),
        "AddCountItem with request_id": add(with_request_id=True),
        "StreamCountItems": stream,
    }


def _outcomes(calls: dict[str, Callable[[], Any]]) -> dict[str, tuple[str, str]]:
    """(code, ErrorInfo reason) of each call."""
    outcomes = {}
    for name, call in calls.items():
        try:
            call()
            outcomes[name] = ("OK", "")
        except grpc.RpcError as error:
            details = rpc_status.from_call(error)  # type: ignore[arg-type]
            reason = error_info(error).reason if details else f"(bare: {error.details()})"
            outcomes[name] = (error.code().name, reason)
    return outcomes


def _working_calls(api: Clients, sku: str) -> tuple[str, dict[str, Callable[[], Any]]]:
    """A product and a count in progress, and the calls on them, each seen to work once."""
    product = create_product(api, sku, opening=5)
    count_id = start_count(api).id
    calls = _calls(api, count_id, product.id)
    assert _outcomes(calls) == {name: ("OK", "") for name in calls}
    return count_id, calls


ENTRY_CALLS = ("AddCountItem", "AddCountItem with request_id", "StreamCountItems")


@contextmanager
def entries_waiting_on_the_count(
    url: str, count_id: str, calls: dict[str, Callable[[], Any]], outcomes: dict[str, Any]
) -> Iterator[list[threading.Thread]]:
    """The test holds the count's row (FOR UPDATE) and starts the entry calls, which wait for
    it inside their transaction: database work that never ends by itself. Yields their threads
    once the group commit's transaction waits (it holds or queues every entry, AddCountItem's
    with or without request_id too); on exit the row is free, and work that survived would
    commit."""
    with psycopg.connect(url) as holder:
        holder.execute("SELECT id FROM inventory_counts WHERE id = %s FOR UPDATE", [count_id])
        threads = [
            threading.Thread(target=lambda n=n: outcomes.update(_outcomes({n: calls[n]})))
            for n in ENTRY_CALLS
        ]
        for thread in threads:
            thread.start()
        _wait_for_lock_waiters(holder, 1)
        try:
            yield threads
        finally:
            holder.rollback()


def test_calls_answer_unavailable_while_the_database_is_down_and_recover_after(
    proxied_server: ServerThread, proxy: TcpProxy, caplog: pytest.LogCaptureFixture
) -> None:
    with clients(proxied_server.port) as api:
        _, calls = _working_calls(api, "FAULT-1")
        _wait_for_health(api, SERVING, [*READINESS, LIVENESS_SERVICE])

        proxy.refuse()  # down: no new connection, and the pooled ones are gone
        proxy.drop()
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert _outcomes(calls) == {
                name: ("UNAVAILABLE", "DATABASE_UNAVAILABLE") for name in calls
            }
            _wait_for_health(api, NOT_SERVING, READINESS)
            assert _health(api, LIVENESS_SERVICE) == SERVING  # the process itself is fine
        # A line per failed call at most, never a traceback.
        assert not [r for r in caplog.records if r.exc_info], [r.message for r in caplog.records]

        proxy.restore()  # back up: ready again, without a restart
        _wait_for_health(api, SERVING, READINESS)
        assert _outcomes(calls) == {name: ("OK", "") for name in calls}


def test_calls_in_flight_when_the_database_crashes_answer_unavailable(
    proxied_server: ServerThread, proxy: TcpProxy, postgres_url: str
) -> None:
    with clients(proxied_server.port) as api:
        count_id, calls = _working_calls(api, "FAULT-3")
        results: dict[str, tuple[str, str]] = {}
        with entries_waiting_on_the_count(postgres_url, count_id, calls, results) as threads:
            proxy.refuse()  # the crash: connections cut mid-transaction, no new ones
            proxy.drop()
            for thread in threads:
                thread.join(60)
        assert results == {name: ("UNAVAILABLE", "DATABASE_UNAVAILABLE") for name in ENTRY_CALLS}
        proxy.restore()
        _wait_for_health(api, SERVING, READINESS)
        assert _outcomes(calls) == {name: ("OK", "") for name in calls}


def _wait_for_lock_waiters(connection: psycopg.Connection[Any], n: int) -> None:
    deadline = time.monotonic() + 30
    with psycopg.connect(POSTGRES_URL, autocommit=True) as watcher:
        while True:
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                [connection.info.backend_pid],
            ).fetchone()
            if row is not None and row[0] >= n:
                return
            assert time.monotonic() < deadline, "the calls never waited for the count's row"
            time.sleep(0.05)


def test_a_database_restart_between_calls_goes_unnoticed(
    proxied_server: ServerThread, proxy: TcpProxy
) -> None:
    """Pooled connections cut while idle are replaced on their next use."""
    with clients(proxied_server.port) as api:
        _, calls = _working_calls(api, "FAULT-2")
        proxy.drop()
        assert _outcomes(calls) == {name: ("OK", "") for name in calls}


@pytest.mark.parametrize(
    ("driver_error", "expected"),
    [
        (psycopg.errors.AdminShutdown("terminating connection"), "UNAVAILABLE"),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), "UNAVAILABLE"),
        (psycopg.errors.CrashShutdown("crash"), "UNAVAILABLE"),
        (psycopg.errors.TooManyConnections("too many clients"), "UNAVAILABLE"),
        (psycopg.OperationalError("connection failed: connection refused"), "UNAVAILABLE"),
        (psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT"), "UNAVAILABLE"),
        (psycopg.errors.SerializationFailure("could not serialize access"), "ABORTED"),
        (psycopg.errors.DeadlockDetected("deadlock detected"), "ABORTED"),
        (sqlite3.OperationalError("database is locked"), "ABORTED"),
        (sqlite3.OperationalError("disk I/O error"), "UNAVAILABLE"),
        (psycopg.errors.UniqueViolation("duplicate key"), None),
        (psycopg.errors.UndefinedTable("no such table"), None),
    ],
)
def test_driver_errors_are_told_apart_in_one_place(
    driver_error: Exception, expected: str | None
) -> None:
    wrapper = (
        sa_exc.IntegrityError
        if isinstance(driver_error, psycopg.errors.IntegrityError)
        else sa_exc.OperationalError
    )
    fault = database_fault(wrapper("SELECT 1", {}, driver_error))
    code = {Unavailable: "UNAVAILABLE", Aborted: "ABORTED"}.get(type(fault)) if fault else None
    assert code == expected
    if isinstance(fault, Unavailable):
        assert fault.reason == "DATABASE_UNAVAILABLE"


def _read_only(url: str) -> str:
    """The same database, every session opening read-only: what a server that became a standby
    (or a primary held read-only during a failover) answers to a write."""
    return f"{url}%20-cdefault_transaction_read_only%3Don"


def test_a_database_that_takes_no_writes_answers_unavailable_and_is_not_ready(
    postgres_url: str,
) -> None:
    settings = test_settings(_read_only(postgres_url), db_check_interval_seconds=0.2)
    server = ServerThread(settings).start()
    try:
        with clients(server.port) as api:
            outcomes = _outcomes(
                {
                    "ListProducts": lambda: api.catalog.ListProducts(
                        catalog_pb2.ListProductsRequest(), metadata=STAFF, timeout=30
                    ),
                    "CreateProduct": lambda: api.catalog.CreateProduct(
                        catalog_pb2.CreateProductRequest(
                            product=catalog_pb2.Product(
                                sku="READ-ONLY-1", name="Read only", unit_cost=money("1.00")
                            )
                        ),
                        metadata=ADMIN,
                        timeout=30,
                    ),
                }
            )
            assert outcomes == {
                "ListProducts": ("OK", ""),
                "CreateProduct": ("UNAVAILABLE", DATABASE_UNAVAILABLE),
            }
            _wait_for_health(api, NOT_SERVING, READINESS)
            assert _health(api, LIVENESS_SERVICE) == SERVING
    finally:
        server.stop()


def test_a_pooled_connection_that_turned_read_only_is_dropped_and_the_next_write_goes_through(
    postgres_url: str,
) -> None:
    """A primary demoted under an open connection: the write on it answers Unavailable, and the
    pool drops its connections, so the next write opens a new one (which a multi-host URL with
    target_session_attrs=read-write sends to the new primary)."""
    settings = dataclasses.replace(test_settings(postgres_url), db_workers=1)  # one connection
    engine, uow_factory = open_database(settings)
    products = build_services(uow_factory, settings).products
    admin = Caller("admin", Role.ADMIN)

    def draft(sku: str) -> ProductDraft:
        return ProductDraft(sku=sku, name=sku, unit_cost=Decimal("1.00"))

    try:
        with engine.connect() as connection:  # the pool's connection, from now on read-only
            connection.exec_driver_sql("SET default_transaction_read_only = on")
            connection.commit()
        with pytest.raises(Unavailable) as raised:
            products.create(admin, draft("DEMOTED-1"))
        assert raised.value.reason == DATABASE_UNAVAILABLE
        assert products.create(admin, draft("DEMOTED-2")).sku == "DEMOTED-2"
    finally:
        engine.dispose()


def test_a_connection_lost_while_copying_entries_answers_unavailable(
    postgres_server: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries are written with COPY on the driver's connection, past SQLAlchemy: a failure
    there (the primary lost mid-batch) is still a database fault, not a bug."""
    backends: list[int] = []
    insert_entries = CountEntryRepository.insert_entries
    copy_row = count_entry_repository.copy_row

    def insert_noting_the_backend(self: CountEntryRepository, stored: Any) -> None:
        driver: Any = self.session.connection().connection.driver_connection
        backends.append(driver.info.backend_pid)
        insert_entries(self, stored)

    def copy_row_while_the_backend_dies(row: dict[str, Any]) -> list[Any]:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [backends[-1]])
        return copy_row(row)

    with clients(postgres_server.port) as api:
        product = create_product(api, "COPY-LOST-1")
        count_id = start_count(api).id
        add = _calls(api, count_id, product.id)["AddCountItem"]
        with monkeypatch.context() as patched:
            patched.setattr(CountEntryRepository, "insert_entries", insert_noting_the_backend)
            patched.setattr(count_entry_repository, "copy_row", copy_row_while_the_backend_dies)
            assert _outcomes({"AddCountItem": add}) == {
                "AddCountItem": ("UNAVAILABLE", DATABASE_UNAVAILABLE)
            }
        assert backends, "the entry was not written with COPY"
        assert _outcomes({"AddCountItem": add}) == {"AddCountItem": ("OK", "")}
