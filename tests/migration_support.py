"""What tests of a migration on a database holding data from before share: an empty database on
each backend, and rows written with SQL of their own (the models describe the newest schema)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection, bindparam, text

from inventory_service.db.types import UtcDateTime
from tests.conftest import POSTGRES_URL


def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet, on the backend request.param names (a fixture's body)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
        return
    request.getfixturevalue("postgres_schema_url")  # skips (or fails under CI) without one
    schema = f"inventory_upgrade_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def insert_row(connection: Connection, table: str, **values: Any) -> None:
    """A row of table as an older schema has it; times as the service stores them."""
    statement = text(
        f"INSERT INTO {table} ({', '.join(values)}) "
        f"VALUES ({', '.join(':' + name for name in values)})"
    )
    for name, value in values.items():
        if isinstance(value, datetime):
            statement = statement.bindparams(bindparam(name, type_=UtcDateTime()))
    connection.execute(statement, values)
