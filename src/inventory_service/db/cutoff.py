"""The end of shutdown's grace period, for database work.

When grace runs out, grpc cuts the calls still running and their callers hear UNAVAILABLE
("not done"). Their database work runs on threads that grpc cannot stop, and a transaction that
committed after that answer would make it a lie. So at the cut: nothing commits any more (the
commit is refused before it is sent), no statement starts, and the statements running are
cancelled, so the threads come back at once instead of holding the process past its grace
period (a statement waiting for a lock could wait for minutes)."""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

from sqlalchemy import Engine, event

from inventory_service.domain.errors import Unavailable

log = logging.getLogger(__name__)


def shutting_down() -> Unavailable:
    return Unavailable(
        "the server is shutting down; the change was not made, retry", reason="SERVER_SHUTTING_DOWN"
    )


class DatabaseCutoff:
    def __init__(self, engine: Engine) -> None:
        self._cut = False
        self._lock = threading.Lock()
        self._in_use: set[Any] = set()  # DBAPI connections checked out of the pool
        event.listen(engine, "checkout", self._on_checkout)
        event.listen(engine, "checkin", self._on_checkin)
        event.listen(engine, "commit", self._on_commit)
        event.listen(engine, "before_cursor_execute", self._on_execute)

    @property
    def is_cut(self) -> bool:
        return self._cut

    def cut(self) -> None:
        """From now on no transaction commits; statements running now are cancelled."""
        with self._lock:
            self._cut = True
            in_use = list(self._in_use)
        for connection in in_use:
            _cancel(connection)
        if in_use:
            log.warning(
                "grace period over: database work cancelled",
                extra={"fields": {"connections": len(in_use)}},
            )

    def _on_checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        with self._lock:
            self._in_use.add(dbapi_connection)

    def _on_checkin(self, dbapi_connection: Any, _record: Any) -> None:
        with self._lock:
            self._in_use.discard(dbapi_connection)

    def _on_commit(self, _connection: Any) -> None:
        if self._cut:  # raised before COMMIT is sent: the transaction rolls back
            raise shutting_down()

    def _on_execute(self, *_: Any) -> None:
        if self._cut:  # work that starts (or goes on) after the cut stops at its next statement
            raise shutting_down()


def _cancel(connection: Any) -> None:
    """Cancels what the connection is running (psycopg: a cancel request to the server;
    SQLite: interrupt). Nothing running: nothing happens."""
    try:
        if isinstance(connection, sqlite3.Connection):
            connection.interrupt()
        elif hasattr(connection, "cancel_safe"):
            connection.cancel_safe(timeout=2.0)
        elif hasattr(connection, "cancel"):
            connection.cancel()
    except Exception as error:  # a connection that is gone has nothing to cancel
        log.info("could not cancel a statement", extra={"fields": {"error": str(error)}})
