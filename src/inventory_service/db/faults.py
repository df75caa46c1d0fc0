"""Driver errors that say the database is unreachable or in conflict, as domain errors. The one
place that tells them apart.

The database not answering (refused, restarting, crashed, a connection cut, no connection free)
or taking no writes (a standby: a primary demoted under an open connection, or one held
read-only while a failover completes) is Unavailable: the call was not done, or its commit is in
doubt, and a retry (which scanners and AIP-155 request ids make safe) is the answer. A
transaction that lost to another one (serialization failure, deadlock, SQLite's busy lock) is
Aborted: retry at once."""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc

from inventory_service.domain.errors import Aborted, DomainError, Unavailable

# SQLSTATE classes and codes (PostgreSQL appendix A).
_CONFLICT_CLASSES = ("40",)  # transaction rollback: serialization failure, deadlock
_UNAVAILABLE_CLASSES = ("08", "53")  # connection exception, insufficient resources
_UNAVAILABLE_CODES = ("57P01", "57P02", "57P03", "57P05")  # shutting down, starting up
_CANCELLED_CODES = ("57014",)  # query_canceled: shutdown's cut-off (db/cutoff.py), or a DBA
_READ_ONLY_CODES = ("25006",)  # read_only_sql_transaction: a standby, or a primary held read-only

DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"


def unavailable() -> Unavailable:
    return Unavailable("the database is not answering; retry shortly", reason=DATABASE_UNAVAILABLE)


def cancelled() -> Unavailable:
    return Unavailable(
        "the database work was cancelled (the server may be shutting down); retry",
        reason="DATABASE_WORK_CANCELLED",
    )


def conflict() -> Aborted:
    return Aborted("the transaction conflicted with another one; retry", reason="DATABASE_CONFLICT")


def database_fault(error: BaseException) -> DomainError | None:
    """Unavailable or Aborted for an error of the database's state; None for the others
    (constraint violations, bad statements: bugs or rules handled elsewhere)."""
    if isinstance(error, exc.TimeoutError):  # no pooled connection came free in time
        return unavailable()
    if not isinstance(error, exc.DBAPIError):
        return None
    if error.connection_invalidated:
        return unavailable()
    driver_error = error.orig
    sqlstate = getattr(driver_error, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        if sqlstate.startswith(_CONFLICT_CLASSES):
            return conflict()
        if sqlstate in _CANCELLED_CODES:
            return cancelled()
        if sqlstate.startswith(_UNAVAILABLE_CLASSES) or sqlstate in (
            *_UNAVAILABLE_CODES,
            *_READ_ONLY_CODES,
        ):
            return unavailable()
        return None
    if isinstance(driver_error, sqlite3.OperationalError):
        text = str(driver_error)
        if "interrupted" in text:
            return cancelled()
        return conflict() if "locked" in text or "busy" in text else unavailable()
    # psycopg without a SQLSTATE: the connection failed or was closed under us.
    if isinstance(error, exc.OperationalError | exc.InterfaceError):
        return unavailable()
    return None


def takes_no_writes(error: BaseException) -> bool:
    """The server refused a write because it is (or acts as) a standby: its connections are of
    no more use, since a standby never becomes a primary under them. A multi-host URL with
    target_session_attrs=read-write finds the primary on the next connection."""
    return getattr(error, "sqlstate", None) in _READ_ONLY_CODES
