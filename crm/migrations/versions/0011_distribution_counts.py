"""Lead distribution's caps read in constant time (issue 25): each AM's open leads counted by
the database as leads change, and the new leads of today read from an index of new leads only.

At 1 M leads a registration's open cap counted its pool's open leads (~3,000 an AM, 62,000
for a pool of 20, 28,000 heap pages): 280 ms. Now ``am_open_leads`` holds each AM's count,
kept by triggers on ``leads`` whatever writes them (the actions, the ingest API, the demo's
COPY, an admin's SQL), in the writing transaction, so it is as exact as a count.

- PostgreSQL: an INSERT is counted once per statement from its transition table (the demo's
  COPY of a million leads pays one grouped upsert, not a function call a row); an UPDATE of
  ``am_id``, ``status`` or ``ftd_at`` and a DELETE per row, and only the rows whose
  open-ness or owner changed reach the function (the WHEN clause is checked without it).
- SQLite: row triggers (the database is locked for writing by one transaction at a time).

The daily cap's count reads ``ix_assignments_new_leads``: the new-lead assignments only (the
reasons the cap counts), so an AM's range today holds at most their cap, not every follow-up
and reassignment of theirs. It replaces 0010's index over every assignment, and the counts replace 0010's
index of open leads (one index fewer to keep up at every write of a lead).

Revision ID: 0011
Revises: 0010
"""

from alembic import op
import sqlalchemy as sa


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OPEN = "ftd_at IS NULL AND status IN ('assigned', 'contacted', 'follow_up')"
NEW_LEADS = "reason IN ('auto', 'new_lead')"


def _is_open(row: str) -> str:
    return (
        f"({row}.am_id IS NOT NULL AND {row}.ftd_at IS NULL "
        f"AND {row}.status IN ('assigned', 'contacted', 'follow_up'))"
    )


def upgrade() -> None:
    op.create_table(
        "am_open_leads",
        sa.Column("am_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("open_leads", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["am_id"], ["staff.id"], name=op.f("fk_am_open_leads_am_id_staff")),
        sa.PrimaryKeyConstraint("am_id", name=op.f("pk_am_open_leads")),
    )
    op.execute(
        "INSERT INTO am_open_leads (am_id, open_leads) "
        f"SELECT am_id, count(*) FROM leads WHERE am_id IS NOT NULL AND {OPEN} GROUP BY am_id"
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()
    # Counted now, the open leads need no index of their own.
    op.drop_index("ix_leads_am_id_open", "leads")
    op.drop_index("ix_assignments_to_am_id_assigned_at", "assignments")
    op.create_index(
        "ix_assignments_new_leads",
        "assignments",
        ["to_am_id", "assigned_at"],
        postgresql_where=sa.text(NEW_LEADS),
        sqlite_where=sa.text(NEW_LEADS),
    )


def _postgresql_triggers() -> None:
    op.execute(
        f"""
        CREATE FUNCTION starboard_count_inserted_open_leads() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO am_open_leads AS counted (am_id, open_leads)
            SELECT am_id, count(*) FROM inserted
            WHERE am_id IS NOT NULL AND {OPEN}
            GROUP BY am_id ORDER BY am_id
            ON CONFLICT (am_id) DO UPDATE
                SET open_leads = counted.open_leads + excluded.open_leads;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION starboard_count_open_leads() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                UPDATE am_open_leads SET open_leads = open_leads - 1 WHERE am_id = OLD.am_id;
                RETURN NULL;
            END IF;
            -- A lead moving from one AM to another changes two counts. Both are locked by one
            -- statement in AM order, so two moves the opposite way (Ana's lead to Ben, Ben's
            -- to Ana) queue behind each other instead of deadlocking.
            INSERT INTO am_open_leads AS counted (am_id, open_leads)
            SELECT change.am_id, sum(change.delta) FROM (
                SELECT OLD.am_id AS am_id, -1 AS delta WHERE {_is_open("OLD")}
                UNION ALL
                SELECT NEW.am_id, 1 WHERE {_is_open("NEW")}
            ) AS change
            GROUP BY change.am_id ORDER BY change.am_id
            ON CONFLICT (am_id) DO UPDATE
                SET open_leads = counted.open_leads + excluded.open_leads;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER count_open_leads_insert AFTER INSERT ON leads "
        "REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT "
        "EXECUTE FUNCTION starboard_count_inserted_open_leads()"
    )
    op.execute(
        "CREATE TRIGGER count_open_leads_update AFTER UPDATE OF am_id, status, ftd_at ON leads "
        "FOR EACH ROW WHEN (OLD.am_id IS DISTINCT FROM NEW.am_id "
        f"OR {_is_open('OLD')} IS DISTINCT FROM {_is_open('NEW')}) "
        "EXECUTE FUNCTION starboard_count_open_leads()"
    )
    op.execute(
        "CREATE TRIGGER count_open_leads_delete AFTER DELETE ON leads "
        f"FOR EACH ROW WHEN {_is_open('OLD')} EXECUTE FUNCTION starboard_count_open_leads()"
    )


def _sqlite_triggers() -> None:
    plus = (
        "INSERT INTO am_open_leads (am_id, open_leads) VALUES (NEW.am_id, 1) "
        "ON CONFLICT (am_id) DO UPDATE SET open_leads = open_leads + 1;"
    )
    minus = "UPDATE am_open_leads SET open_leads = open_leads - 1 WHERE am_id = OLD.am_id;"
    op.execute(
        f"CREATE TRIGGER count_open_leads_insert AFTER INSERT ON leads "
        f"WHEN {_is_open('NEW')} BEGIN {plus} END"
    )
    op.execute(
        f"CREATE TRIGGER count_open_leads_update_old AFTER UPDATE OF am_id, status, ftd_at "
        f"ON leads WHEN {_is_open('OLD')} BEGIN {minus} END"
    )
    op.execute(
        f"CREATE TRIGGER count_open_leads_update_new AFTER UPDATE OF am_id, status, ftd_at "
        f"ON leads WHEN {_is_open('NEW')} BEGIN {plus} END"
    )
    op.execute(
        f"CREATE TRIGGER count_open_leads_delete AFTER DELETE ON leads "
        f"WHEN {_is_open('OLD')} BEGIN {minus} END"
    )


def downgrade() -> None:
    op.drop_index("ix_assignments_new_leads", "assignments")
    op.create_index(
        "ix_assignments_to_am_id_assigned_at", "assignments", ["to_am_id", "assigned_at"]
    )
    op.create_index(
        "ix_leads_am_id_open",
        "leads",
        ["am_id"],
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )
    if op.get_bind().dialect.name == "postgresql":
        for trigger in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER count_open_leads_{trigger} ON leads")
        op.execute("DROP FUNCTION starboard_count_open_leads()")
        op.execute("DROP FUNCTION starboard_count_inserted_open_leads()")
    else:
        for trigger in ("insert", "update_old", "update_new", "delete"):
            op.execute(f"DROP TRIGGER count_open_leads_{trigger}")
    op.drop_table("am_open_leads")
