"""Fixtures: every server test runs on SQLite and on PostgreSQL, each with a clean database.

PostgreSQL is 127.0.0.1:5432 (override with INVENTORY_TEST_POSTGRES_URL). When it does not
answer, its tests are skipped with a loud reason, except under CI (CI set), where they fail."""

from __future__ import annotations

import io
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import text

from inventory_service.bootstrap import ServiceLayer, build_services, open_database
from inventory_service.db.engine import create_db_engine
from inventory_service.db.migrate import upgrade
from inventory_service.db.models import Base
from inventory_service.db.site_repository import seed_default_place
from inventory_service.logs import JsonFormatter
from inventory_service.settings import Settings
from tests.balancer_support import Balancer
from tests.fakes import FakeDatabase, fake_uow_factory
from tests.helpers import Clients, ServerThread, clients, test_settings

POSTGRES_URL = os.environ.get(
    "INVENTORY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
UNDER_CI = bool(os.environ.get("CI"))

# Property tests call a real server: few examples each, no deadline, examples saved nowhere.
# Under CI the examples are derived from each test's name (derandomize), so a run is repeatable.
settings.register_profile(
    "server",
    max_examples=12,
    deadline=None,
    database=None,
    derandomize=UNDER_CI,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "server"))


def _postgres_problem() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """A fresh schema in the test database, migrated once; dropped at the end."""
    problem = _postgres_problem()
    if problem:
        message = f"PostgreSQL at {POSTGRES_URL} is unreachable: {problem}"
        if UNDER_CI:
            pytest.fail(f"{message} (CI requires it)", pytrace=False)
        pytest.skip(f"!!! SKIPPING POSTGRESQL TESTS: {message}")
    schema = f"inventory_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _truncate_all(url: str) -> None:
    engine = create_db_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        seed_default_place(conn)  # what the migration made: the default site and location
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A clean, migrated database on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "inventory.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
    else:
        url: str = request.getfixturevalue("postgres_schema_url")
        _truncate_all(url)
        yield url


@pytest.fixture
def postgres_url(postgres_schema_url: str) -> str:
    """A clean PostgreSQL database, for tests of what only PostgreSQL can show (row locks
    under real parallelism)."""
    _truncate_all(postgres_schema_url)
    return postgres_schema_url


@pytest.fixture
def postgres_server(postgres_url: str) -> Iterator[ServerThread]:
    thread = ServerThread(test_settings(postgres_url)).start()
    try:
        yield thread
    finally:
        thread.stop()


@pytest.fixture
def server(database_url: str) -> Iterator[ServerThread]:
    thread = ServerThread(test_settings(database_url)).start()
    try:
        yield thread
    finally:
        thread.stop()


@pytest.fixture
def services(database_url: str) -> Iterator[ServiceLayer]:
    """The service layer over a clean database, wired as the server wires it."""
    settings = test_settings(database_url)
    engine, uow_factory = open_database(settings)
    try:
        yield build_services(uow_factory, settings)
    finally:
        engine.dispose()


@pytest.fixture
def fake_db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def fake_services(fake_db: FakeDatabase) -> ServiceLayer:
    """The service layer over an in-memory unit of work (tests/fakes.py): no database."""
    return build_services(fake_uow_factory(fake_db), Settings())  # type: ignore[arg-type]


@pytest.fixture
def api(server: ServerThread) -> Iterator[Clients]:
    with clients(server.port) as c:
        yield c


@pytest.fixture
def sqlite_server(sqlite_template: Path, tmp_path: Path) -> Iterator[ServerThread]:
    """A server on SQLite only, for tests of what a client does (the backend changes nothing)."""
    path = tmp_path / "inventory.db"
    shutil.copy(sqlite_template, path)
    thread = ServerThread(test_settings(f"sqlite:///{path}")).start()
    try:
        yield thread
    finally:
        thread.stop()


@pytest.fixture
def balancer(sqlite_server: ServerThread) -> Iterator[Balancer]:
    """A test load balancer in front of sqlite_server (tests/balancer_support.py)."""
    front = Balancer(sqlite_server.port).start()
    try:
        yield front
    finally:
        front.stop()


@pytest.fixture
def server_log() -> Iterator[io.StringIO]:
    """Everything the in-process server logs, formatted as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("inventory_service")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
