"""Stamp updated_at in the database, so the ETL sees changes that other programs make.

The ETL reads each table's changed rows by ``updated_at``. Starboard's own writers (the action
layer, the demo, the simulator) set it; an UPDATE from anything else (an admin's SQL, another
system) that leaves it alone would never reach the warehouse. So a trigger stamps the row when
an UPDATE leaves ``updated_at`` as it was, and only then: a writer that sets it keeps its own
value, and the bulk writers (COPY, INSERT) pay nothing. (A writer that sets the value the row
already holds, as the simulator does writing a row twice in one tick, gets the database's
stamp: the database cannot tell it from a writer that left the stamp alone.)

- PostgreSQL: a BEFORE UPDATE trigger whose WHEN clause (checked without calling the function)
  lets through only the rows whose ``updated_at`` the UPDATE did not change; they get
  ``now()``, the start of their transaction. The ETL's write horizon is when the oldest open
  transaction began, so a row stamped so is never older than the horizon of a run that could
  not see it (etl/run.py).
- SQLite cannot change NEW in a BEFORE trigger: an AFTER UPDATE trigger writes the stamp (in
  crm.types's text form) to the row with a second UPDATE. That UPDATE changes ``updated_at``,
  so the trigger's WHEN is false for it even where recursive triggers are on.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Every CRM table the ETL reads by updated_at (etl.run.STAGED_TABLES; deleted_rows is written
# by triggers only).
STAMPED = (
    "currencies",
    "teams",
    "staff",
    "leads",
    "platform_sessions",
    "calls",
    "deposit_attempts",
    "notes",
    "assignments",
    "support_tickets",
    "email_outbox",
    "am_targets",
    "target_board_entries",
    "audit_log",
    "crm_settings",
)
# The text form crm.types.UTCDateTime stores on SQLite ('%f' gives milliseconds only).
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION starboard_stamp_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.updated_at := now();
                RETURN NEW;
            END $$
            """
        )
        for table in STAMPED:
            op.execute(
                f"CREATE TRIGGER stamp_updated_at_{table} BEFORE UPDATE ON {table} FOR EACH ROW "
                "WHEN (NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at) "
                "EXECUTE FUNCTION starboard_stamp_updated_at()"
            )
    else:
        for table in STAMPED:
            op.execute(
                f"CREATE TRIGGER stamp_updated_at_{table} AFTER UPDATE ON {table} FOR EACH ROW "
                "WHEN NEW.updated_at IS OLD.updated_at BEGIN "
                f"UPDATE {table} SET updated_at = {SQLITE_NOW} WHERE rowid = NEW.rowid; END"
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in STAMPED:
        op.execute(
            f"DROP TRIGGER stamp_updated_at_{table}" + (f" ON {table}" if postgresql else "")
        )
    if postgresql:
        op.execute("DROP FUNCTION starboard_stamp_updated_at()")
