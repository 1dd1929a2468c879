"""the CRM schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 21:29:23.301148
"""

from alembic import op
import sqlalchemy as sa
import crm.types


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_crm_settings")),
    )
    op.create_table(
        "currencies",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("usd_rate", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_currencies")),
    )
    with op.batch_alter_table("currencies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_currencies_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column(
            "desk",
            sa.Enum(
                "conversion", "retention", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("created_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teams_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "sales_manager",
                "lead_manager",
                "account_manager",
                "executive",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "desk",
            sa.Enum(
                "conversion", "retention", native_enum=False, create_constraint=True, length=20
            ),
            nullable=True,
        ),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("created_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_staff_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_email")),
    )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "am_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("am_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("target_usd", crm.types.Money(precision=18, scale=2), nullable=False),
        sa.Column("target_ftds", sa.Integer(), nullable=False),
        sa.Column("created_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["am_id"], ["staff.id"], name=op.f("fk_am_targets_am_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_am_targets")),
        sa.UniqueConstraint("am_id", "period_start", name=op.f("uq_am_targets_am_id_period_start")),
    )
    with op.batch_alter_table("am_targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_am_targets_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "leads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("first_name", sa.String(length=80), nullable=False),
        sa.Column("last_name", sa.String(length=80), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("campaign", sa.String(length=80), nullable=True),
        sa.Column("registered_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "assigned",
                "contacted",
                "follow_up",
                "converted",
                "retention",
                "lost",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "desk",
            sa.Enum(
                "conversion", "retention", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("am_id", sa.Integer(), nullable=True),
        sa.Column("is_starred", sa.Boolean(), nullable=False),
        sa.Column("starred_by_id", sa.Integer(), nullable=True),
        sa.Column("starred_at", crm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "priority",
            sa.Enum("normal", "high", native_enum=False, create_constraint=True, length=20),
            nullable=False,
        ),
        sa.Column("callback_at", crm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "compliance_status",
            sa.Enum(
                "not_started",
                "pending",
                "approved",
                "rejected",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("balance", crm.types.Money(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("ftd_at", crm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", crm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["am_id"], ["staff.id"], name=op.f("fk_leads_am_id_staff")),
        sa.ForeignKeyConstraint(
            ["starred_by_id"], ["staff.id"], name=op.f("fk_leads_starred_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_am_id"), ["am_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_last_login_at"), ["last_login_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_registered_at"), ["registered_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "assignments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("from_am_id", sa.Integer(), nullable=True),
        sa.Column("to_am_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_desk",
            sa.Enum(
                "conversion", "retention", native_enum=False, create_constraint=True, length=20
            ),
            nullable=True,
        ),
        sa.Column(
            "to_desk",
            sa.Enum(
                "conversion", "retention", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column(
            "reason",
            sa.Enum(
                "new_lead",
                "follow_up",
                "failed_deposit",
                "upsale",
                "retention",
                "reassignment",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("assigned_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["staff.id"], name=op.f("fk_assignments_by_id_staff")),
        sa.ForeignKeyConstraint(
            ["from_am_id"], ["staff.id"], name=op.f("fk_assignments_from_am_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_assignments_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["to_am_id"], ["staff.id"], name=op.f("fk_assignments_to_am_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignments_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignments_to_am_id"), ["to_am_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignments_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("action_id", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff.id"], name=op.f("fk_audit_log_actor_id_staff")
        ),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_audit_log_lead_id_leads")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_action_id"), ["action_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "calls",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("am_id", sa.Integer(), nullable=False),
        sa.Column("started_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "connected",
                "no_answer",
                "busy",
                "voicemail",
                "wrong_number",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["am_id"], ["staff.id"], name=op.f("fk_calls_am_id_staff")),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_calls_lead_id_leads")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index("ix_calls_am_id_started_at", ["am_id", "started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "deposit_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("am_id", sa.Integer(), nullable=True),
        sa.Column("amount", crm.types.Money(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_usd", crm.types.Money(precision=18, scale=2), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "card",
                "wire",
                "e_wallet",
                "crypto",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "approved",
                "declined",
                "pending",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("decline_reason", sa.String(length=80), nullable=True),
        sa.Column("is_self_deposit", sa.Boolean(), nullable=False),
        sa.Column("is_ftd", sa.Boolean(), nullable=False),
        sa.Column("created_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["am_id"], ["staff.id"], name=op.f("fk_deposit_attempts_am_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_deposit_attempts_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposit_attempts")),
    )
    with op.batch_alter_table("deposit_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deposit_attempts_am_id"), ["am_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deposit_attempts_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_deposit_attempts_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "email_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "template",
            sa.Enum("welcome", "reach_you", native_enum=False, create_constraint=True, length=20),
            nullable=False,
        ),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued", "sent", "failed", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", crm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", crm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_email_outbox_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_outbox")),
    )
    with op.batch_alter_table("email_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_outbox_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(
            "ix_email_outbox_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_email_outbox_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "notes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["staff.id"], name=op.f("fk_notes_author_id_staff")),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_notes_lead_id_leads")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notes_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notes_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "platform_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("login_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("logout_at", crm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("device", sa.String(length=16), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_platform_sessions_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_sessions")),
    )
    with op.batch_alter_table("platform_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_platform_sessions_last_seen_at"), ["last_seen_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_platform_sessions_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_platform_sessions_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "support_tickets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "normal",
                "high",
                "urgent",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open", "pending", "closed", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("opened_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", crm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_support_tickets_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["staff.id"], name=op.f("fk_support_tickets_owner_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_tickets")),
    )
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_tickets_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_support_tickets_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "target_board_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("am_id", sa.Integer(), nullable=False),
        sa.Column(
            "deposit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount_usd", crm.types.Money(precision=18, scale=2), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["am_id"], ["staff.id"], name=op.f("fk_target_board_entries_am_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["deposit_id"],
            ["deposit_attempts.id"],
            name=op.f("fk_target_board_entries_deposit_id_deposit_attempts"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["staff.id"],
            name=op.f("fk_target_board_entries_recorded_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_board_entries")),
        sa.UniqueConstraint("deposit_id", name=op.f("uq_target_board_entries_deposit_id")),
    )
    with op.batch_alter_table("target_board_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_target_board_entries_am_id"), ["am_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_target_board_entries_updated_at"), ["updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("target_board_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_target_board_entries_updated_at"))
        batch_op.drop_index(batch_op.f("ix_target_board_entries_am_id"))

    op.drop_table("target_board_entries")
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_tickets_updated_at"))
        batch_op.drop_index(batch_op.f("ix_support_tickets_lead_id"))

    op.drop_table("support_tickets")
    with op.batch_alter_table("platform_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_platform_sessions_updated_at"))
        batch_op.drop_index(batch_op.f("ix_platform_sessions_lead_id"))
        batch_op.drop_index(batch_op.f("ix_platform_sessions_last_seen_at"))

    op.drop_table("platform_sessions")
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notes_updated_at"))
        batch_op.drop_index(batch_op.f("ix_notes_lead_id"))

    op.drop_table("notes")
    with op.batch_alter_table("email_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_outbox_updated_at"))
        batch_op.drop_index("ix_email_outbox_status_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_email_outbox_lead_id"))

    op.drop_table("email_outbox")
    with op.batch_alter_table("deposit_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deposit_attempts_updated_at"))
        batch_op.drop_index(batch_op.f("ix_deposit_attempts_lead_id"))
        batch_op.drop_index(batch_op.f("ix_deposit_attempts_am_id"))

    op.drop_table("deposit_attempts")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_updated_at"))
        batch_op.drop_index(batch_op.f("ix_calls_lead_id"))
        batch_op.drop_index("ix_calls_am_id_started_at")

    op.drop_table("calls")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_updated_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_lead_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_action_id"))

    op.drop_table("audit_log")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignments_updated_at"))
        batch_op.drop_index(batch_op.f("ix_assignments_to_am_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_lead_id"))

    op.drop_table("assignments")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_updated_at"))
        batch_op.drop_index(batch_op.f("ix_leads_registered_at"))
        batch_op.drop_index(batch_op.f("ix_leads_last_login_at"))
        batch_op.drop_index(batch_op.f("ix_leads_email"))
        batch_op.drop_index(batch_op.f("ix_leads_am_id"))

    op.drop_table("leads")
    with op.batch_alter_table("am_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_am_targets_updated_at"))

    op.drop_table("am_targets")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_updated_at"))
        batch_op.drop_index(batch_op.f("ix_staff_team_id"))

    op.drop_table("staff")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teams_updated_at"))

    op.drop_table("teams")
    with op.batch_alter_table("currencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_currencies_updated_at"))

    op.drop_table("currencies")
    op.drop_table("crm_settings")
