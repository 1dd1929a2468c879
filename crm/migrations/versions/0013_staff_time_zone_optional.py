"""staff.time_zone may be empty: a person without a zone of their own sees times in their
browser's zone (issue 23, item 2).

It was NOT NULL, and every account made by an admin got UTC, so the browser's zone almost never
applied. Existing rows keep the zone they hold; only new accounts made without one get NULL.

SQLite cannot drop a NOT NULL in place, and rebuilding ``staff`` would trip the foreign keys
that point at it from nearly every table. As 0006 does for a CHECK, the CREATE statement in the
schema is rewritten (https://sqlite.org/lang_altertable.html, "other kinds of table schema
changes"): dropping NOT NULL leaves every stored row valid. The downgrade gives an account
without a zone UTC first, then puts NOT NULL back the same way.

Revision ID: 0013
Revises: 0012
"""

from alembic import op


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

REQUIRED = "time_zone VARCHAR(64) NOT NULL"
OPTIONAL = "time_zone VARCHAR(64)"


def _rewrite_sqlite(old: str, new: str) -> None:
    bind = op.get_bind()
    old_sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'staff'"
    ).scalar_one()
    if old_sql.count(old) != 1:
        raise RuntimeError(f"staff has no column {old!r} to rewrite")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'staff'",
        (old_sql.replace(old, new),),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE staff ALTER COLUMN time_zone DROP NOT NULL")
        op.execute("ALTER TABLE staff ALTER COLUMN time_zone DROP DEFAULT")
    else:
        _rewrite_sqlite(REQUIRED, OPTIONAL)


def downgrade() -> None:
    op.execute("UPDATE staff SET time_zone = 'UTC' WHERE time_zone IS NULL")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE staff ALTER COLUMN time_zone SET NOT NULL")
    else:
        _rewrite_sqlite(OPTIONAL, REQUIRED)
