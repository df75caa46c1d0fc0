"""Time arithmetic in SQL that reads the same on SQLite and PostgreSQL (custom constructs,
compiled per dialect)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class epoch_seconds(FunctionElement[int]):
    """Whole seconds since 1970 of a UTC time column, as an integer."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps UTC times as text without a zone; strftime reads them as UTC.
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


class days_ago(FunctionElement[datetime]):
    """The database's current time minus a number of days (bound).

    Evaluated by the database: on PostgreSQL a stable expression, which the planner costs per
    row on a sequential scan but once on an index scan, so a range over an index is picked
    where a bound constant made both plans cost about the same."""

    inherit_cache = True

    def __init__(self, days: int) -> None:
        super().__init__(literal(days, Integer()))


@compiles(days_ago, "postgresql")
def _days_ago_postgresql(element: days_ago, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(now() - make_interval(days => {compiler.process(element.clauses, **kw)}))"


@compiles(days_ago, "sqlite")
def _days_ago_sqlite(element: days_ago, compiler: SQLCompiler, **kw: Any) -> str:
    # The text form SQLite keeps UTC times in, so the comparison is of like with like.
    days = compiler.process(element.clauses, **kw)
    return f"strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || {days} || ' days')"
