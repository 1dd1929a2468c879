"""The database stamps ``updated_at`` on an UPDATE that leaves it alone (migration 0009), and
keeps the value of a writer that sets it (the action layer, the demo, the simulator)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from crm.models import Base

T = Base.metadata.tables
LONG_AGO = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)


def add_team(connection, team_id: int, name: str) -> None:
    connection.execute(
        sa.insert(T["teams"]).values(
            id=team_id, name=name, desk="conversion", created_at=LONG_AGO, updated_at=LONG_AGO
        )
    )


def stamp(connection, team_id: int) -> datetime:
    teams = T["teams"]
    return connection.scalar(sa.select(teams.c.updated_at).where(teams.c.id == team_id))


def test_an_update_without_updated_at_is_stamped_in_the_database(crm_engine):
    with crm_engine.begin() as connection:
        add_team(connection, 1, "Conversion A")
        add_team(connection, 2, "Conversion B")
    with crm_engine.begin() as connection:
        # On PostgreSQL the stamp is now(): when this transaction began.
        began = (
            connection.scalar(sa.text("SELECT now()"))
            if connection.dialect.name == ("postgresql")
            else None
        )
        before = datetime.now(timezone.utc)
        connection.exec_driver_sql("UPDATE teams SET name = 'Conversion North' WHERE id = 1")
        after = datetime.now(timezone.utc)
        stamped = stamp(connection, 1)
    if began is not None:
        assert stamped == began
    else:  # SQLite's clock, to the millisecond
        assert before - timedelta(milliseconds=1) <= stamped <= after
    with crm_engine.connect() as connection:
        assert stamp(connection, 2) == LONG_AGO  # not touched, not stamped


def test_a_writer_that_sets_updated_at_keeps_its_value(crm_engine):
    mine = LONG_AGO + timedelta(days=3, microseconds=250)
    teams = T["teams"]
    with crm_engine.begin() as connection:
        add_team(connection, 1, "Conversion A")
        connection.execute(
            sa.update(teams).where(teams.c.id == 1).values(name="Renamed", updated_at=mine)
        )
    with crm_engine.connect() as connection:
        assert stamp(connection, 1) == mine
