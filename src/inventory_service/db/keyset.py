"""Keyset paging: a page is the rows after the last key of the previous one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, literal, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from inventory_service.domain.errors import InvalidArgument
from inventory_service.domain.paging import Key, Page, PageRequest

T = TypeVar("T")
Column = ColumnElement[Any] | InstrumentedAttribute[Any]


def _after(columns: Sequence[Column], key: Key, descending: bool) -> ColumnElement[bool]:
    """(a, b) > (x, y) as a row comparison: PostgreSQL (and SQLite) read it as a range of an
    index on the columns, so a page costs the same wherever it is in the list. Spelled out as
    `a > x OR (a = x AND b > y)` it was a filter over every row before the page. Keys hold no
    NULLs (check_key)."""
    if len(columns) == 1:
        only: ColumnElement[bool] = columns[0] < key[0] if descending else columns[0] > key[0]
        return only
    row = tuple_(*columns)
    values = tuple_(*(literal(value, c.type) for value, c in zip(key, columns, strict=True)))
    return row < values if descending else row > values


_INT64 = range(-(2**63), 2**63)


def _fits(value: Any, column: Column) -> bool:
    expected = column.type.python_type
    if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
        return False
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, int):
        return value in _INT64
    return not isinstance(value, datetime) or value.tzinfo is not None


def check_key(columns: Sequence[Column], key: Key) -> None:
    """A key (from a client's page token) must have a value of its column's type for each
    column; anything else would reach the database as a malformed comparison."""
    if len(key) != len(columns) or not all(map(_fits, key, columns)):
        raise InvalidArgument.one("page_token", "does not continue this list")


def keyset_statement(
    stmt: Select[Any], columns: Sequence[Column], page: PageRequest, *, descending: bool = False
) -> Select[Any]:
    """stmt limited to the rows after page.after (one more than the page: is there a next?)."""
    if page.after is not None:
        check_key(columns, page.after)
        stmt = stmt.where(_after(columns, page.after, descending))
    order = [c.desc() if descending else c.asc() for c in columns]
    return stmt.order_by(*order).limit(page.size + 1)


def keyset_page(
    session: Session,
    stmt: Select[Any],
    columns: Sequence[Column],
    page: PageRequest,
    *,
    descending: bool = False,
    key_of: Callable[[T], Key] | None = None,
    rows: bool = False,
) -> Page[T]:
    """The page of stmt's rows after page.after, in the order of columns. A row's key is its
    values of the columns (key_of says it for columns that are expressions). Items are the
    mapped objects of an ORM statement, or with rows the result rows of a Core one."""
    names = [column.key for column in columns if column.key]
    assert key_of or len(names) == len(columns), "say key_of for columns that are expressions"
    key = key_of or (lambda row: tuple(getattr(row, name) for name in names))
    stmt = keyset_statement(stmt, columns, page, descending=descending)
    found: Iterable[Any] = session.execute(stmt) if rows else session.scalars(stmt)
    items: list[T] = list(found)
    if len(items) > page.size:
        items = items[: page.size]
        return Page(items, key(items[-1]))
    return Page(items, None)
