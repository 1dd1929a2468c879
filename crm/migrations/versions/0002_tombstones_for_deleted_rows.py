"""Tombstones for deleted rows, so the ETL can remove them incrementally.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import crm.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Every CRM table whose rows the warehouse copies, with its key column.
TRACKED = {
    "teams": "id",
    "staff": "id",
    "leads": "id",
    "platform_sessions": "id",
    "calls": "id",
    "currencies": "code",
    "deposit_attempts": "id",
    "notes": "id",
    "assignments": "id",
    "support_tickets": "id",
    "email_outbox": "id",
    "am_targets": "id",
    "target_board_entries": "id",
    "audit_log": "id",
    "crm_settings": "key",
}
# The text form crm.types.UTCDateTime stores on SQLite ('%f' gives milliseconds only).
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"


def upgrade() -> None:
    op.create_table(
        "deleted_rows",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_key", sa.String(length=64), nullable=False),
        sa.Column("deleted_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deleted_rows")),
    )
    op.create_index(op.f("ix_deleted_rows_updated_at"), "deleted_rows", ["updated_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION starboard_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO deleted_rows (table_name, row_key, deleted_at, updated_at)
                VALUES (TG_TABLE_NAME, to_jsonb(OLD) ->> TG_ARGV[0], clock_timestamp(),
                        clock_timestamp());
                RETURN OLD;
            END $$
            """
        )
        for table, key in TRACKED.items():
            op.execute(
                f"CREATE TRIGGER tombstone_{table} AFTER DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION starboard_tombstone('{key}')"
            )
    else:
        for table, key in TRACKED.items():
            op.execute(
                f"CREATE TRIGGER tombstone_{table} AFTER DELETE ON {table} BEGIN "
                f"INSERT INTO deleted_rows (table_name, row_key, deleted_at, updated_at) "
                f"VALUES ('{table}', OLD.{key}, {SQLITE_NOW}, {SQLITE_NOW}); END"
            )


def downgrade() -> None:
    for table in TRACKED:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER tombstone_{table} ON {table}")
        else:
            op.execute(f"DROP TRIGGER tombstone_{table}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION starboard_tombstone()")
    op.drop_index(op.f("ix_deleted_rows_updated_at"), table_name="deleted_rows")
    op.drop_table("deleted_rows")
