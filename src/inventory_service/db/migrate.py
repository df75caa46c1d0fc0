"""Brings a database up to date with the Alembic migrations shipped in the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# PostgreSQL advisory lock key taken while migrating (a bigint: "invntory" in ASCII).
MIGRATION_LOCK_KEY = int.from_bytes(b"invntory", "big")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _wait_for_other_migrations(connection: Connection) -> None:
    """Replicas that start together take turns: each waits for the lock, then finds the schema
    the one before it made. The lock ends with the transaction the migrations run in."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.connect() as connection:
        _wait_for_other_migrations(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()
