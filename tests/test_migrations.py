"""The migrations create exactly the schema the models describe, on both backends, and
replicas starting together migrate one after the other."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from inventory_service.db.engine import create_db_engine
from inventory_service.db.migrate import alembic_config
from inventory_service.db.models import Base
from tests.conftest import POSTGRES_URL

CLI = [sys.executable, "-m", "inventory_service.cli"]


def test_migrated_schema_matches_models(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_replicas_migrating_an_empty_database_at_once_all_succeed(
    postgres_schema_url: str,
) -> None:
    """Three replicas start together on an empty schema: they take turns (an advisory lock),
    so none fails on the tables another one is creating."""
    schema = f"inventory_replicas_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
    try:
        replicas = [
            subprocess.Popen(
                [*CLI, "migrate", "--database-url", url],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(3)
        ]
        results = [(p.wait(120), p.stdout.read() if p.stdout else "") for p in replicas]
        errors = [[line for line in out.splitlines() if "Error" in line][-1:] for _, out in results]
        assert [code for code, _ in results] == [0, 0, 0], errors
        with psycopg.connect(url) as conn:
            versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        assert versions == [(ScriptDirectory.from_config(alembic_config()).get_current_head(),)]
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
