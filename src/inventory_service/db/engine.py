"""Engines for the two supported databases: a SQLite file (default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, ExceptionContext, make_url
from sqlalchemy.orm import Session, sessionmaker

from inventory_service import metrics
from inventory_service.db.faults import takes_no_writes

# Execution option asking SQLite to take its write lock when the transaction begins.
SQLITE_BEGIN = "sqlite_begin"


def normalize_url(url: str) -> str:
    """postgres:// and postgresql:// mean psycopg 3 here."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def printable_url(url: str) -> str:
    """The URL without its password, for the terminal and the logs."""
    return make_url(url).render_as_string(hide_password=True)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def pool_capacity(pool_size: int) -> int:
    """Connections an engine of create_db_engine may open: the pool and as many overflow."""
    return 2 * pool_size


def instrument_pool(engine: Engine, pool_size: int) -> None:
    """Counts the engine's connections in the metrics (in use, from the pool's checkout and
    checkin events, and the most it may open). For a serving process's engine only: a
    short-lived one would leave its share in the sums."""
    metrics.db_connections_max.inc(pool_capacity(pool_size))

    @event.listens_for(engine, "checkout")
    def _checkout(*_: Any) -> None:
        metrics.db_connections_in_use.inc()

    @event.listens_for(engine, "checkin")
    def _checkin(*_: Any) -> None:
        metrics.db_connections_in_use.dec()


def create_db_engine(url: str, *, pool_size: int = 8) -> Engine:
    url = normalize_url(url)
    if is_sqlite(url):
        return _sqlite_engine(url, pool_size)
    # A database that accepts but never answers must not hold a worker for the OS's TCP timeout.
    connect_args = {} if "connect_timeout" in make_url(url).query else {"connect_timeout": 5}
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args=connect_args,
    )

    @event.listens_for(engine, "handle_error")
    def _drop_standby_connections(context: ExceptionContext) -> None:
        # A disconnect to SQLAlchemy: this connection is closed and the pool's others, opened
        # to the same server, are replaced at their next checkout.
        if takes_no_writes(context.original_exception):
            context.is_disconnect = True

    return engine


class DatabaseReadOnly(RuntimeError):
    """The database answers but takes no writes."""


def ping(engine: Engine) -> None:
    """Raises unless the database answers and, on PostgreSQL, takes writes: a standby (or a
    primary held read-only during a failover) is no database for this service."""
    with engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            connection.execute(text("SELECT 1"))
        elif connection.execute(text("SHOW transaction_read_only")).scalar() == "on":
            raise DatabaseReadOnly("the database is read-only (a standby, or failing over)")


def _sqlite_engine(url: str, pool_size: int) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": 30, "check_same_thread": False},
        pool_size=pool_size,
        max_overflow=pool_size,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite's own is lazy).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Writers take the lock up front: a deferred transaction that later needs to write can
        # fail with "database is locked" instead of waiting. This is SQLite's row lock.
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=True)
