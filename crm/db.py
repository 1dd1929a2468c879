"""Connections to the CRM, and the checks that turn connection trouble into one clear line."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from crm.config import DEFAULT_CRM_PATH, crm_database_url
from crm.errors import UserError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def create_crm_engine(url: URL | str | None = None, *, create: bool = True) -> Engine:
    """An engine for the CRM at ``url`` (default: from the environment).

    SQLite gets WAL (readers never block the writer), a busy timeout, enforced foreign keys, and
    explicit transactions: ``engine.connect().execution_options(sqlite_begin="IMMEDIATE")``
    takes the write lock at BEGIN, so two writers queue instead of failing half-way.

    A SQLite file that does not exist is created on first use only with ``create`` (``crm
    init``), and its folder only for the embedded default (``data/``): a mistyped path is
    answered with one line, not with new folders and an empty CRM.
    """
    if not isinstance(url, URL):
        url = crm_database_url(url)
    if url.get_backend_name() == "sqlite":
        _check_sqlite_path(Path(url.database), create)
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def _check_sqlite_path(path: Path, create: bool) -> None:
    if path.exists():
        return
    if not create:
        raise UserError(
            f"there is no CRM at {path.absolute()} (CRM_DATABASE_URL): check the path, or "
            "create the CRM there with `python -m crm init`."
        )
    if path.resolve() == DEFAULT_CRM_PATH.resolve():
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        raise UserError(
            f"the folder {path.parent.absolute()} of CRM_DATABASE_URL does not exist: check the "
            "path, or create the folder first."
        )


def _configure_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def describe(engine: Engine) -> str:
    """The CRM's address for messages, without the password."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database}"
    return f"PostgreSQL {url.host or 'localhost'}:{url.port or 5432}/{url.database}"


def check_reachable(engine: Engine) -> None:
    """Connect once; raise a one-line ``UserError`` saying what to do if that fails."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("select 1")
    except (OperationalError, DBAPIError) as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        raise UserError(
            f"cannot reach the CRM ({describe(engine)}): {reason}. "
            "Start the database server or fix CRM_DATABASE_URL."
        ) from None


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def schema_revisions(engine: Engine) -> tuple[str | None, str]:
    """(the revision the database is at, the revision this code expects)."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a CRM whose schema is not the one this code was written for."""
    check_reachable(engine)
    current, head = schema_revisions(engine)
    if current != head:
        state = "has no Starboard schema" if current is None else f"is at migration {current}"
        raise UserError(
            f"the CRM ({describe(engine)}) {state}, this Starboard needs {head}: "
            "run `python -m crm init` to upgrade it."
        )


# PostgreSQL's SQLSTATEs for a transaction it rolled back to break a deadlock or a
# serialization conflict: the transaction wrote nothing and may be run again.
_RETRYABLE = frozenset({"40P01", "40001"})


def deadlocked(error: DBAPIError) -> bool:
    """Whether ``error`` is PostgreSQL rolling back a deadlock's (or a conflict's) victim."""
    return getattr(error.orig, "sqlstate", None) in _RETRYABLE
