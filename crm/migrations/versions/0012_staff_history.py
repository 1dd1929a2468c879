"""Staff history (issue 23, item 5): what each person was (role, desk, team, active) from when to
when, so the warehouse credits each day to the team an AM was in that day, and an AM promoted,
moved or deactivated since keeps their past.

One new table, written by the staff actions (crm/staff.py) at every change of those columns;
every person there is now gets one open row from their ``created_at``, as they are now (the
CRM kept no earlier state). It gets 0009's stamping trigger, like every table the ETL reads by
``updated_at``.

Revision ID: 0012
Revises: 0011
"""

from alembic import op
import sqlalchemy as sa
import crm.types


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"
UTC = crm.types.UTCDateTime(timezone=True)
ROLES = ("admin", "sales_manager", "lead_manager", "account_manager", "executive")
DESKS = ("conversion", "retention")


def _kind(*values: str) -> sa.Enum:
    return sa.Enum(*values, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "staff_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("role", _kind(*ROLES), nullable=False),
        sa.Column("desk", _kind(*DESKS), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("valid_from", UTC, nullable=False),
        sa.Column("valid_to", UTC, nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_history_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_staff_history_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_history")),
    )
    op.create_index(op.f("ix_staff_history_staff_id"), "staff_history", ["staff_id"])
    op.create_index(op.f("ix_staff_history_updated_at"), "staff_history", ["updated_at"])
    # Everyone as they are now, since their account was made.
    op.execute(
        "INSERT INTO staff_history "
        "(staff_id, role, desk, team_id, is_active, valid_from, valid_to, updated_at) "
        "SELECT id, role, desk, team_id, is_active, created_at, NULL, created_at FROM staff"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER stamp_updated_at_staff_history BEFORE UPDATE ON staff_history "
            "FOR EACH ROW WHEN (NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at) "
            "EXECUTE FUNCTION starboard_stamp_updated_at()"
        )
    else:
        op.execute(
            "CREATE TRIGGER stamp_updated_at_staff_history AFTER UPDATE ON staff_history "
            "FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at BEGIN "
            f"UPDATE staff_history SET updated_at = {SQLITE_NOW} WHERE rowid = NEW.rowid; END"
        )


def downgrade() -> None:
    # Dropping the table drops its trigger too, on both databases.
    op.drop_table("staff_history")
