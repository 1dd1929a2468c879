"""deposit_attempts: when the provider decided (decided_at), and reversals (refunded, charged back).

A deposit counts on the day it was approved, which can be days after the attempt (a wire), and
an approved deposit can be reversed later. Attempts decided before this migration were decided
when they were made (the demo, the simulator and the hand-written rows all decide at once), so
their ``decided_at`` is their ``created_at``. ``updated_at`` is left alone: the warehouse reads a
missing decision time of a decided attempt as its attempt time, which is the same value.

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa
import crm.types


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD = ("approved", "declined", "pending")
NEW = ("approved", "declined", "pending", "refunded", "charged_back")
CHECK = "ck_deposit_attempts_status"


def _check_sql(values) -> str:
    return "status IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _set_status_check(values) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE deposit_attempts DROP CONSTRAINT {CHECK}")
        op.execute(
            f"ALTER TABLE deposit_attempts ADD CONSTRAINT {CHECK} CHECK ({_check_sql(values)})"
        )
        return
    # SQLite cannot alter a CHECK constraint, and rebuilding the table would trip the foreign
    # keys that point at it (target_board_entries). Its documented procedure for a change that
    # leaves the stored rows as they are: rewrite the table's CREATE statement in the schema
    # and bump schema_version (https://sqlite.org/lang_altertable.html, "other kinds of table
    # schema changes"). Every stored row satisfies both checks: widening is always safe, and
    # the downgrade refuses while a row holds a new value.
    bind = op.get_bind()
    old_sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'deposit_attempts'"
    ).scalar_one()
    current = OLD if values == NEW else NEW
    new_sql = old_sql.replace(_check_sql(current), _check_sql(values))
    if new_sql == old_sql:
        raise RuntimeError(f"deposit_attempts has no check {_check_sql(current)!r} to replace")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'deposit_attempts'",
        (new_sql,),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    op.add_column(
        "deposit_attempts",
        sa.Column("decided_at", crm.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.execute(
        "UPDATE deposit_attempts SET decided_at = created_at "
        "WHERE status IN ('approved', 'declined')"
    )
    _set_status_check(NEW)


def downgrade() -> None:
    reversed_ = (
        op.get_bind()
        .exec_driver_sql(
            "SELECT count(*) FROM deposit_attempts WHERE status IN ('refunded', 'charged_back')"
        )
        .scalar_one()
    )
    if reversed_:
        raise RuntimeError(
            f"{reversed_} deposit attempts are refunded or charged back, which migration 0005 "
            "cannot hold: keep this migration, or change those rows first."
        )
    _set_status_check(OLD)
    # Plain ALTER on both (SQLite has had DROP COLUMN since 3.35): a batch rebuild would trip
    # the foreign keys that point at the table.
    op.execute("ALTER TABLE deposit_attempts DROP COLUMN decided_at")
