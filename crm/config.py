"""Where the CRM lives. Read once per process and passed down."""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from crm.errors import UserError

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
DEFAULT_CRM_PATH = DATA_DIR / "crm.sqlite"

EXAMPLE_URLS = "sqlite:///data/crm.sqlite or postgresql://user@host:5432/crm"
# The password in a URL that does not parse: "://user:password@" (the last @ ends it).
PASSWORD = re.compile(r"(://[^:/@]*:).*@")


def crm_database_url(raw: str | None = None) -> URL:
    """The CRM's URL from ``raw``, else ``CRM_DATABASE_URL``, else the embedded SQLite file.

    ``postgresql://`` means PostgreSQL through psycopg 3 (the driver we ship).
    """
    raw = raw if raw is not None else os.environ.get("CRM_DATABASE_URL", "").strip()
    if not raw:
        return make_url(f"sqlite:///{DEFAULT_CRM_PATH}")
    try:
        url = make_url(raw)
    except ArgumentError:
        raise UserError(
            f"CRM_DATABASE_URL {_without_password(raw)!r} is not a database URL: set it like "
            f"{EXAMPLE_URLS}"
        ) from None
    except ValueError:  # the port is not a number
        raise UserError(
            f"CRM_DATABASE_URL {_without_password(raw)!r} has a port that is not a number: set "
            f"it like {EXAMPLE_URLS}"
        ) from None
    backend = url.get_backend_name()
    if backend == "postgresql":
        if not url.database:
            raise UserError(
                f"CRM_DATABASE_URL {url.render_as_string(hide_password=True)!r} names no "
                f"database: add one, like {EXAMPLE_URLS}"
            )
        url = url.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise UserError(
                "CRM_DATABASE_URL names an in-memory SQLite database, which would vanish: "
                f"give a file path, like {EXAMPLE_URLS}"
            )
    else:
        raise UserError(
            f"CRM_DATABASE_URL uses {backend!r}; Starboard's CRM runs on SQLite or PostgreSQL: "
            f"set it like {EXAMPLE_URLS}"
        )
    return url


def crm_replica_url() -> URL | None:
    """``CRM_REPLICA_URL``: a PostgreSQL streaming replica of the CRM for the ETL to read
    (None when unset: the ETL reads the CRM itself)."""
    raw = os.environ.get("CRM_REPLICA_URL", "").strip()
    if not raw:
        return None
    url = crm_database_url(raw)
    if url.get_backend_name() != "postgresql":
        raise UserError("CRM_REPLICA_URL must name a PostgreSQL replica (postgresql://...)")
    return url


def _without_password(raw: str) -> str:
    """A URL that did not parse, for a message: any password replaced by ***."""
    return PASSWORD.sub(r"\1***@", raw)
