"""Lead distribution (issue 25): rules, their pools with the rotation state, the AMs' shifts and
leave, the leads waiting for an AM, and the assignment reason ``auto``.

New tables only, plus a wider CHECK on ``assignments.reason`` (done as 0006 does it: on SQLite
by rewriting the table's CREATE statement, which every stored row satisfies). The new tables
with ``updated_at`` get 0009's stamping triggers, so a change from outside Starboard is stamped.

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa
import crm.types


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

REASONS = ("new_lead", "follow_up", "failed_deposit", "upsale", "retention", "reassignment")
CHECK = "ck_assignments_reason"
STAMPED = (
    "distribution_rules",
    "distribution_pool",
    "am_shifts",
    "am_leave",
    "distribution_waiting",
)
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"
UTC = crm.types.UTCDateTime(timezone=True)
OPEN_LEADS = "ftd_at IS NULL AND status IN ('assigned', 'contacted', 'follow_up')"


def _kind(*values: str) -> sa.Enum:
    return sa.Enum(*values, native_enum=False, create_constraint=True, length=20)


def _check_sql(values) -> str:
    return "reason IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _set_reason_check(current, values) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE assignments DROP CONSTRAINT {CHECK}")
        op.execute(f"ALTER TABLE assignments ADD CONSTRAINT {CHECK} CHECK ({_check_sql(values)})")
        return
    bind = op.get_bind()
    old_sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'assignments'"
    ).scalar_one()
    new_sql = old_sql.replace(_check_sql(current), _check_sql(values))
    if new_sql == old_sql:
        raise RuntimeError(f"assignments has no check {_check_sql(current)!r} to replace")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'assignments'",
        (new_sql,),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "distribution_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("desks", sa.JSON(), nullable=True),
        sa.Column("countries", sa.JSON(), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=True),
        sa.Column("affiliates", sa.JSON(), nullable=True),
        sa.Column("campaigns", sa.JSON(), nullable=True),
        sa.Column("hour_from", sa.Integer(), nullable=True),
        sa.Column("hour_until", sa.Integer(), nullable=True),
        sa.Column("deposit_status", _kind("deposited", "not_deposited"), nullable=True),
        sa.Column("daily_cap", sa.Integer(), nullable=True),
        sa.Column("open_cap", sa.Integer(), nullable=True),
        sa.Column("star", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_distribution_rules_created_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distribution_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_distribution_rules_name")),
    )
    op.create_index(op.f("ix_distribution_rules_updated_at"), "distribution_rules", ["updated_at"])

    op.create_table(
        "distribution_pool",
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("am_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("credit", sa.Integer(), nullable=False),
        sa.Column("epoch_received", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["distribution_rules.id"],
            name=op.f("fk_distribution_pool_rule_id_distribution_rules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["am_id"], ["staff.id"], name=op.f("fk_distribution_pool_am_id_staff")
        ),
        sa.PrimaryKeyConstraint("rule_id", "am_id", name=op.f("pk_distribution_pool")),
    )
    op.create_index(op.f("ix_distribution_pool_am_id"), "distribution_pool", ["am_id"])
    op.create_index(op.f("ix_distribution_pool_updated_at"), "distribution_pool", ["updated_at"])

    op.create_table(
        "am_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("am_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(["am_id"], ["staff.id"], name=op.f("fk_am_shifts_am_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_am_shifts")),
    )
    op.create_index(op.f("ix_am_shifts_am_id"), "am_shifts", ["am_id"])
    op.create_index(op.f("ix_am_shifts_updated_at"), "am_shifts", ["updated_at"])

    op.create_table(
        "am_leave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("am_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(["am_id"], ["staff.id"], name=op.f("fk_am_leave_am_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_am_leave")),
    )
    op.create_index(op.f("ix_am_leave_am_id"), "am_leave", ["am_id"])
    op.create_index(op.f("ix_am_leave_updated_at"), "am_leave", ["updated_at"])

    op.create_table(
        "distribution_waiting",
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("reason", _kind("no_rule", "nobody_on_shift", "all_at_cap"), nullable=False),
        sa.Column("registered_at", UTC, nullable=False),
        sa.Column("since", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_distribution_waiting_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["distribution_rules.id"],
            name=op.f("fk_distribution_waiting_rule_id_distribution_rules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_distribution_waiting")),
    )
    op.create_index(
        op.f("ix_distribution_waiting_registered_at"), "distribution_waiting", ["registered_at"]
    )
    op.create_index(
        op.f("ix_distribution_waiting_updated_at"), "distribution_waiting", ["updated_at"]
    )

    # What the caps count at every registration: an AM's assignments today, their open leads.
    op.create_index(
        "ix_assignments_to_am_id_assigned_at", "assignments", ["to_am_id", "assigned_at"]
    )
    op.create_index(
        "ix_leads_am_id_open",
        "leads",
        ["am_id"],
        postgresql_where=sa.text(OPEN_LEADS),
        sqlite_where=sa.text(OPEN_LEADS),
    )
    _set_reason_check(REASONS, (*REASONS, "auto"))
    _create_stamp_triggers()


def _create_stamp_triggers() -> None:
    # 0009's function starboard_stamp_updated_at() exists on PostgreSQL already.
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in STAMPED:
        if postgresql:
            op.execute(
                f"CREATE TRIGGER stamp_updated_at_{table} BEFORE UPDATE ON {table} FOR EACH ROW "
                "WHEN (NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at) "
                "EXECUTE FUNCTION starboard_stamp_updated_at()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER stamp_updated_at_{table} AFTER UPDATE ON {table} FOR EACH ROW "
                "WHEN NEW.updated_at IS OLD.updated_at BEGIN "
                f"UPDATE {table} SET updated_at = {SQLITE_NOW} WHERE rowid = NEW.rowid; END"
            )


def downgrade() -> None:
    auto = (
        op.get_bind()
        .exec_driver_sql("SELECT count(*) FROM assignments WHERE reason = 'auto'")
        .scalar_one()
    )
    if auto:
        raise RuntimeError(
            f"{auto} assignments were made by the distribution rules (reason auto), which "
            "migration 0009 cannot hold: keep this migration, or change those rows first."
        )
    _set_reason_check((*REASONS, "auto"), REASONS)
    op.drop_index("ix_leads_am_id_open", "leads")
    op.drop_index("ix_assignments_to_am_id_assigned_at", "assignments")
    # Dropping a table drops its triggers too, on both databases.
    for table in (
        "distribution_waiting",
        "am_leave",
        "am_shifts",
        "distribution_pool",
        "distribution_rules",
    ):
        op.drop_table(table)
