"""Data in (issue 24): integrations and their request log, signed-webhook replays, the inbox of
events that wait for their lead, and the external ids that make every event count once.

New columns only (nullable) and new tables: plain ALTER TABLE ... ADD COLUMN on both databases,
never a SQLite table rebuild, which would trip the foreign keys that point at these tables.
A foreign key on an added column is declared inline on SQLite (``REFERENCES``), which ALTER
TABLE accepts for a column whose default is NULL.

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa
import crm.types


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _kind(*values: str) -> sa.Enum:
    return sa.Enum(*values, native_enum=False, create_constraint=True, length=20)


def _add_reference(table: str, column: str, target: str) -> None:
    """A nullable integer column referencing ``target``.id, with the models' constraint name."""
    name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
            f"CONSTRAINT {name} REFERENCES {target} (id)"
        )
        return
    op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
    op.create_foreign_key(name, table, target, [column], ["id"])


def upgrade() -> None:
    op.create_table(
        "integrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column(
            "kind", _kind("website", "affiliate", "platform", "psp", "dialer"), nullable=False
        ),
        sa.Column("key_id", sa.String(length=24), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("webhook_secret", sa.String(length=80), nullable=True),
        sa.Column("rate_per_second", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("rotated_at", crm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", crm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_integrations_created_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
        sa.UniqueConstraint("key_id", name=op.f("uq_integrations_key_id")),
        sa.UniqueConstraint("name", name=op.f("uq_integrations_name")),
    )
    op.create_index(op.f("ix_integrations_updated_at"), "integrations", ["updated_at"])

    op.create_table(
        "ingest_requests",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=True),
        sa.Column("endpoint", sa.String(length=40), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("event_id", sa.String(length=80), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_ingest_requests_integration_id_integrations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_requests")),
    )
    op.create_index(op.f("ix_ingest_requests_at"), "ingest_requests", ["at"])
    op.create_index(
        "ix_ingest_requests_integration_id_at", "ingest_requests", ["integration_id", "at"]
    )

    op.create_table(
        "webhook_messages",
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=80), nullable=False),
        sa.Column("received_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_webhook_messages_integration_id_integrations"),
        ),
        sa.PrimaryKeyConstraint("integration_id", "message_id", name=op.f("pk_webhook_messages")),
    )
    op.create_index(op.f("ix_webhook_messages_received_at"), "webhook_messages", ["received_at"])

    op.create_table(
        "ingest_inbox",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("kind", _kind("call", "deposit", "platform"), nullable=False),
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("lead_external_id", sa.String(length=80), nullable=True),
        sa.Column("lead_source", sa.String(length=40), nullable=True),
        sa.Column("lead_phone", sa.String(length=32), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("status", _kind("waiting", "applied", "dismissed"), nullable=False),
        sa.Column("received_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", crm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_ingest_inbox_integration_id_integrations"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["staff.id"], name=op.f("fk_ingest_inbox_resolved_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_inbox")),
        sa.UniqueConstraint(
            "integration_id",
            "kind",
            "event_id",
            name=op.f("uq_ingest_inbox_integration_id_kind_event_id"),
        ),
    )
    op.create_index(op.f("ix_ingest_inbox_updated_at"), "ingest_inbox", ["updated_at"])
    op.create_index(
        "ix_ingest_inbox_status_lead_external_id", "ingest_inbox", ["status", "lead_external_id"]
    )
    op.create_index("ix_ingest_inbox_status_lead_phone", "ingest_inbox", ["status", "lead_phone"])

    op.add_column("leads", sa.Column("external_id", sa.String(length=80), nullable=True))
    op.add_column("leads", sa.Column("affiliate", sa.String(length=80), nullable=True))
    op.add_column(
        "leads", sa.Column("balance_at", crm.types.UTCDateTime(timezone=True), nullable=True)
    )
    op.create_index("ix_leads_external_id_source", "leads", ["external_id", "source"], unique=True)
    op.create_index("ix_leads_phone", "leads", ["phone"])

    op.add_column("staff", sa.Column("extension", sa.String(length=20), nullable=True))
    op.create_index(op.f("ix_staff_extension"), "staff", ["extension"], unique=True)

    op.add_column(
        "platform_sessions", sa.Column("external_id", sa.String(length=80), nullable=True)
    )
    op.create_index(
        op.f("ix_platform_sessions_external_id"), "platform_sessions", ["external_id"], unique=True
    )
    op.add_column("calls", sa.Column("external_id", sa.String(length=80), nullable=True))
    op.create_index(op.f("ix_calls_external_id"), "calls", ["external_id"], unique=True)

    op.add_column(
        "deposit_attempts",
        sa.Column("provider_transaction_id", sa.String(length=80), nullable=True),
    )
    op.add_column(
        "deposit_attempts", sa.Column("raw_decline_code", sa.String(length=40), nullable=True)
    )
    op.create_index(
        "ix_deposit_attempts_provider_provider_transaction_id",
        "deposit_attempts",
        ["provider", "provider_transaction_id"],
        unique=True,
    )

    _add_reference("audit_log", "integration_id", "integrations")
    _add_reference("applied_actions", "integration_id", "integrations")


def downgrade() -> None:
    # Plain DROP COLUMN on both (SQLite has had it since 3.35). SQLite refuses to drop a column
    # a foreign key names, so its constraint goes first: on SQLite by taking the clause out of
    # the table's CREATE statement, a change every stored row satisfies (as 0006 does).
    for table in ("applied_actions", "audit_log"):
        name = f"fk_{table}_integration_id_integrations"
        if op.get_bind().dialect.name == "sqlite":
            _sqlite_drop_clause(table, f" CONSTRAINT {name} REFERENCES integrations (id)")
        else:
            op.drop_constraint(name, table, type_="foreignkey")
        _drop_column(table, "integration_id")
    op.drop_index("ix_deposit_attempts_provider_provider_transaction_id", "deposit_attempts")
    _drop_column("deposit_attempts", "raw_decline_code")
    _drop_column("deposit_attempts", "provider_transaction_id")
    op.drop_index(op.f("ix_calls_external_id"), "calls")
    _drop_column("calls", "external_id")
    op.drop_index(op.f("ix_platform_sessions_external_id"), "platform_sessions")
    _drop_column("platform_sessions", "external_id")
    op.drop_index(op.f("ix_staff_extension"), "staff")
    _drop_column("staff", "extension")
    op.drop_index("ix_leads_phone", "leads")
    op.drop_index("ix_leads_external_id_source", "leads")
    for column in ("balance_at", "affiliate", "external_id"):
        _drop_column("leads", column)
    op.drop_table("ingest_inbox")
    op.drop_table("webhook_messages")
    op.drop_table("ingest_requests")
    op.drop_table("integrations")


def _drop_column(table: str, column: str) -> None:
    op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def _sqlite_drop_clause(table: str, clause: str) -> None:
    bind = op.get_bind()
    old_sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    if clause not in old_sql:
        raise RuntimeError(f"{table} has no {clause.strip()!r} to drop")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
        (old_sql.replace(clause, ""), table),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
