"""Real CRM databases for the tests: a SQLite file and a PostgreSQL database, never mocks.

Every test that takes ``crm_url`` or ``crm_engine`` runs twice, once per database. PostgreSQL
tests use throwaway databases on the server at 127.0.0.1:5432 (user postgres, trust auth), named
``starboard_test_<random>`` so that several test runs can share the server.
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command as alembic_command
from psycopg import sql

from crm.db import alembic_config, create_crm_engine

REPO_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TEST_DATABASE_PREFIX = "starboard_test_"
CLI_TIMEOUT_S = 300


class PostgresServer:
    """The test run's own databases on the PostgreSQL server: created here, dropped here.

    A DROP DATABASE waits for a checkpoint of the whole server (a second or more when it is
    busy), so databases are dropped by a thread of their own while the next tests run; the
    run's end waits for the last of them.
    """

    def __init__(self, admin: psycopg.Connection):
        self.admin = admin
        self.created: list[str] = []
        self._to_drop: queue.Queue[str | None] = queue.Queue()
        self._dropped: list[str] = []
        self._dropper = threading.Thread(target=self._drop_in_turn, daemon=True)
        self._dropper.start()

    def url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:5432/{name}"

    def create_database(self, template: str | None = None) -> str:
        name = TEST_DATABASE_PREFIX + secrets.token_hex(6)
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self.admin.execute(statement)
        self.created.append(name)
        # A throwaway database need not survive a crash of the server: its commits do not
        # wait for the disk (a few ms each on a busy machine). What other sessions see, and
        # when, is the same.
        self.admin.execute(
            sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(name))
        )
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name`` soon (no test uses it again; ``finish`` waits for it)."""
        self._to_drop.put(name)

    def _drop_in_turn(self) -> None:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            while (name := self._to_drop.get()) is not None:
                drop(admin, name)
                self._dropped.append(name)

    def finish(self) -> None:
        """Wait for the drops asked for, then drop what this run created and is still there
        (here, should the thread have stopped on an error)."""
        self._to_drop.put(None)
        self._dropper.join()
        dropped = set(self._dropped)
        for name in self.created:
            if name not in dropped:
                drop(self.admin, name)


def drop(admin: psycopg.Connection, name: str) -> None:
    # FORCE: a test that failed half-way may have left a connection open.
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The PostgreSQL server, or a failure saying how to start it: CI must test both databases."""
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        reason = str(error).strip().splitlines()[0]
    else:
        reason = None
    if reason:
        # Failed outside the except block, so the report is this one line and not a traceback.
        pytest.fail(
            f"PostgreSQL does not answer at {POSTGRES_ADMIN_URL} ({reason}). "
            "Start it with scripts/ensure-postgres.sh (./test does that), "
            "or run only the SQLite tests with -m 'not postgres'.",
            pytrace=False,
        )
    server = PostgresServer(admin)
    yield server
    server.finish()
    admin.close()


def migrate_to_head(url: str) -> None:
    engine = create_crm_engine(url)
    try:
        alembic_command.upgrade(alembic_config(engine), "head")
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def migrated_postgres_template(postgres_server: PostgresServer) -> str:
    """A database migrated to head once per run, which each test's database is copied from."""
    name = postgres_server.create_database()
    migrate_to_head(postgres_server.url(name))
    return name


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "crm.sqlite"
    migrate_to_head(f"sqlite:///{path}")
    return path


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def crm_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty CRM database for this test, on SQLite and then on PostgreSQL.

    When the test also takes ``crm_engine``, the database starts as a copy of one migrated to
    head once per run: copying is several times faster than migrating every test's database.
    """
    migrated = "crm_engine" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "crm.sqlite"
        if migrated:
            shutil.copyfile(request.getfixturevalue("migrated_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return

    server: PostgresServer = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("migrated_postgres_template") if migrated else None
    name = server.create_database(template=template)
    yield server.url(name)
    server.drop_database(name)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def module_crm_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """A CRM migrated to head for a whole test module, on SQLite and then on PostgreSQL: for a
    fixture that fills it (and builds a warehouse from it) once, whose tests only read."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("module-crm") / "crm.sqlite"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_template"), path)
        url, name = f"sqlite:///{path}", None
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        name = server.create_database(request.getfixturevalue("migrated_postgres_template"))
        url = server.url(name)
    engine = create_crm_engine(url)
    yield engine
    engine.dispose()
    if name is not None:
        server.drop_database(name)


@pytest.fixture
def crm_engine(crm_url: str) -> Iterator[sa.Engine]:
    """An engine on this test's CRM (``crm_url``), its schema migrated to head."""
    engine = create_crm_engine(crm_url)
    # At head already when copied from the template; this makes sure and costs little.
    alembic_command.upgrade(alembic_config(engine), "head")
    yield engine
    engine.dispose()


@pytest.fixture
def run_crm() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m crm <args>`` as a user would, on the CRM at ``url``."""

    def run(*args: str, url: str | sa.URL, timeout: float = CLI_TIMEOUT_S):
        if isinstance(url, sa.URL):
            url = url.render_as_string(hide_password=False)
        return subprocess.run(
            [sys.executable, "-m", "crm", *args],
            cwd=REPO_ROOT,
            env={**os.environ, "CRM_DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
