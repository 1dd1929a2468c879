"""Incremental runs, case by case: a change the warehouse must pick up although its row's
stamp, its transaction, its writer or the clock would hide it, and what the run reports. The
random and fixed walks, and the runs that die half-way, are in test_incremental.py, whose
helpers these tests use."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import duckdb
import pytest
import sqlalchemy as sa

from crm.models import utcnow
from tests.etl.small_crm import AS_OF, assignment, at, build_small_crm, call, deposit, email
from tests.etl.test_incremental import T, etl, snapshot
from warehouse import warehouse_paths
from warehouse.reader import Warehouse


def stamped_call(connection, stamp) -> None:
    """A connected call of lead 1 by AM 2, written (created and updated) at ``stamp``."""
    connection.execute(
        sa.insert(T["calls"]).values(
            lead_id=1,
            am_id=2,
            started_at=AS_OF - timedelta(hours=1),
            duration_s=60,
            outcome="connected",
            created_at=stamp,
            updated_at=stamp,
        )
    )


def test_a_board_entry_and_its_deposit_changed_in_one_run(crm_engine, tmp_path):
    """Both sides of the target board's join move at once (int_target_board_day's third part):
    Cid's entry of 55.00 on deposit 4 (03-10, his March target) is written up to 70.00, and the
    deposit is corrected to 80.00 and redated (attempted and approved) to 02-14, into his
    February target. The board counts the deposit as it is now: 80.00, in February."""
    build_small_crm(crm_engine)
    paths = warehouse_paths(tmp_path / "incremental.duckdb")
    etl(crm_engine, paths)
    with crm_engine.begin() as connection:
        entries, deposits = T["target_board_entries"], T["deposit_attempts"]
        connection.execute(
            sa.update(entries)
            .where(entries.c.id == 1)
            .values(amount_usd=Decimal("70.00"), updated_at=utcnow())
        )
        connection.execute(
            sa.update(deposits)
            .where(deposits.c.id == 4)
            .values(
                amount_usd=Decimal("80.00"),
                created_at=at("02-14 12:00"),
                decided_at=at("02-14 12:00"),
                updated_at=utcnow(),
            )
        )
    etl(crm_engine, paths)
    reader = Warehouse(paths)
    try:
        board = reader.sql(
            "SELECT target_id, recorded_usd, recorded_deposits, recorded_ftds, progress "
            "FROM mart_target_board ORDER BY target_id"
        ).to_pylist()
    finally:
        reader.close()
    assert [tuple(row.values()) for row in board] == [
        (1, Decimal("0.00"), 0, 0, 0.0),  # Cid's March target: nothing recorded any more
        (2, Decimal("0.00"), 0, 0, 0.0),  # Alan's March target, as before
        (3, Decimal("80.00"), 1, 0, 0.2667),  # Cid's February target of 300.00: 80.00 / 300.00
    ]
    full = warehouse_paths(tmp_path / "full.duckdb")
    etl(crm_engine, full, full=True)
    assert snapshot(paths) == snapshot(full)


def test_a_row_stamped_in_the_future_does_not_hide_later_changes(crm_engine, tmp_path):
    """An app server whose clock runs ahead writes a row stamped two hours from now; a call
    recorded a minute later by a correct clock must still reach the warehouse."""
    build_small_crm(crm_engine)
    paths = warehouse_paths(tmp_path / "incremental.duckdb")

    def run(minutes: int):
        return etl(crm_engine, paths, moment=AS_OF + timedelta(minutes=minutes))

    def call(stamp):
        with crm_engine.begin() as connection:
            stamped_call(connection, stamp)

    run(0)
    call(AS_OF + timedelta(hours=2))
    run(1)
    call(AS_OF + timedelta(minutes=2))
    run(3)
    full = warehouse_paths(tmp_path / "full.duckdb")
    etl(crm_engine, full, full=True, moment=AS_OF + timedelta(minutes=3))
    assert snapshot(paths) == snapshot(full)


def test_a_change_of_the_staging_rules_or_crm_columns_reloads_everything_once(crm_engine, tmp_path):
    """Staged rows typed by other rules, or lacking a column a migration added to the CRM,
    cannot take this run's rows merged in: the next run is full, and the one after it is
    incremental again."""
    build_small_crm(crm_engine)
    paths = warehouse_paths(tmp_path / "w.duckdb")
    assert etl(crm_engine, paths).mode == "full"
    assert etl(crm_engine, paths, moment=AS_OF + timedelta(minutes=1)).mode == "incremental"
    # As a base written before this code's staging rules (or the CRM's columns) has it.
    base = duckdb.connect(str(paths.base))
    try:
        kept = base.execute("SELECT value FROM etl_state WHERE key = 'staging'").fetchall()
        assert len(kept) == 1 and len(kept[0][0]) == 64
        base.execute("UPDATE etl_state SET value = 'older rules' WHERE key = 'staging'")
    finally:
        base.close()
    assert etl(crm_engine, paths, moment=AS_OF + timedelta(minutes=2)).mode == "full"
    assert etl(crm_engine, paths, moment=AS_OF + timedelta(minutes=3)).mode == "incremental"


def test_rows_read_again_as_they_were_are_not_staged_again(crm_engine, tmp_path):
    """Each run reads back past the last one for late commits, so the watch loop reads most of
    the previous run's rows again: such a row, as staging has it, is counted as read again,
    not as landed, and the warehouse is still what a full run gives."""
    build_small_crm(crm_engine)
    paths = warehouse_paths(tmp_path / "incremental.duckdb")

    def run(minutes: int):
        return etl(crm_engine, paths, moment=AS_OF + timedelta(minutes=minutes)).tables["calls"]

    run(0)
    with crm_engine.begin() as connection:
        stamped_call(connection, AS_OF + timedelta(seconds=30))
    first = run(1)  # the call is new
    second = run(2)  # read again: within the margin for late commits
    assert second.unchanged == first.unchanged + 1
    assert second.landed == first.landed - 1
    full = warehouse_paths(tmp_path / "full.duckdb")
    etl(crm_engine, full, full=True, moment=AS_OF + timedelta(minutes=2))
    assert snapshot(paths) == snapshot(full)


def test_a_row_deleted_and_written_back_as_it_was_stays(crm_engine, tmp_path):
    """A call deleted and written back with its id and stamp (restored from a backup): the run
    reads the tombstone and the row together, and the row must stay. (It looks like a row read
    again as staging has it, but the tombstone takes it out of staging.)"""
    build_small_crm(crm_engine)
    paths = warehouse_paths(tmp_path / "incremental.duckdb")
    etl(crm_engine, paths)
    with crm_engine.begin() as connection:
        stamped_call(connection, AS_OF + timedelta(seconds=30))
    etl(crm_engine, paths, moment=AS_OF + timedelta(minutes=1))
    calls = T["calls"]
    with crm_engine.begin() as connection:
        row = connection.execute(sa.select(calls).order_by(calls.c.id.desc()).limit(1)).one()
        connection.execute(sa.delete(calls).where(calls.c.id == row.id))
        connection.execute(sa.insert(calls).values(**row._asdict()))
    etl(crm_engine, paths, moment=AS_OF + timedelta(minutes=2))
    full = warehouse_paths(tmp_path / "full.duckdb")
    etl(crm_engine, full, full=True, moment=AS_OF + timedelta(minutes=2))
    assert snapshot(paths) == snapshot(full)
    reader = Warehouse(paths)
    try:
        events = reader.sql("SELECT event_id FROM mart_activity_log WHERE kind = 'call'")
        assert row.id in events["event_id"].to_pylist()
    finally:
        reader.close()


def test_the_rows_of_a_quarantined_lead_are_listed_until_it_is_fixed(crm_engine, tmp_path):
    """Lead 5's email is malformed, so the lead is quarantined: its session (the small CRM's),
    and a call, a deposit, an assignment and a sent mail added here are listed as orphans and
    left out of the marts. Once its email is fixed, the next run lists none of them and the
    marts carry them."""
    build_small_crm(crm_engine)
    added = {
        "calls": call(90, 5, 2, "03-09 15:00", 60, "connected"),
        "deposit_attempts": deposit(
            90, 5, 2, "10.00", "USD", "10.00", "card", "Stripe", "approved", "03-09 15:10"
        ),
        "assignments": assignment(90, 5, None, 2, "conversion", "new_lead", "03-09 11:30"),
        "email_outbox": email(90, 5, "reach_you", "row@mail.example", "03-09 12:00", "03-09 12:01"),
    }
    with crm_engine.begin() as connection:
        for table, row in added.items():
            connection.execute(sa.insert(T[table]).values(row))
    paths = warehouse_paths(tmp_path / "wh.duckdb")

    def listed_and_shown() -> tuple[dict, set]:
        reader = Warehouse(paths)
        try:
            orphans = {
                (row["table_name"], row["row_key"]): row["reason"]
                for row in reader.sql(
                    "SELECT table_name, row_key, reason FROM quarantine WHERE reason LIKE 'lead %'"
                ).to_pylist()
            }
            shown = {
                (row["kind"], row["event_id"])
                for row in reader.sql(
                    "SELECT kind, event_id FROM mart_activity_log WHERE lead_id = 5 "
                    "UNION ALL SELECT 'deposit', deposit_id FROM mart_payments WHERE lead_id = 5"
                ).to_pylist()
            }
            return orphans, shown
        finally:
            reader.close()

    etl(crm_engine, paths, full=True)
    reason = "lead 5 is missing or quarantined"
    assert listed_and_shown() == (
        {
            ("platform_sessions", "8"): reason,
            ("calls", "90"): reason,
            ("deposit_attempts", "90"): reason,
            ("assignments", "90"): reason,
            ("email_outbox", "90"): reason,
        },
        set(),
    )
    with crm_engine.begin() as connection:
        connection.execute(
            sa.update(T["leads"])
            .where(T["leads"].c.id == 5)
            .values(email="bad.row@mail.example", updated_at=AS_OF - timedelta(minutes=1))
        )
    etl(crm_engine, paths, moment=AS_OF + timedelta(minutes=1))
    assert listed_and_shown() == (
        {},
        {("call", 90), ("email", 90), ("assignment", 90), ("deposit", 90)},
    )


def test_the_lead_ranking_follows_the_clock_between_runs(crm_engine, tmp_path):
    """With nothing written to the CRM, later runs still move the ranking: a lead goes offline,
    a callback falls due, midnight adds a day since every login, a registration stops being
    new, a decline stops being an open failed deposit. Each incremental run must give what a
    full run at the same moment gives."""
    build_small_crm(crm_engine)
    with crm_engine.begin() as connection:  # a callback due only from 03-10 14:00 (a day ahead)
        connection.execute(
            sa.update(T["leads"])
            .where(T["leads"].c.id == 3)
            .values(callback_at=AS_OF + timedelta(days=1, hours=2))
        )

    def ranking(paths):
        reader = Warehouse(paths)
        try:
            return reader.sql(
                "SELECT lead_id, online_now, open_failed_deposit, days_since_login, "
                "priority_score, priority_reasons FROM mart_lead_priority ORDER BY lead_id"
            ).to_pylist()
        finally:
            reader.close()

    incremental = warehouse_paths(tmp_path / "incremental.duckdb")
    etl(crm_engine, incremental)
    seen = [ranking(incremental)]
    # Offsets from AS_OF (03-10 12:00). The thresholds that fall within a day are crossed in
    # steps that do not cross midnight, where every lead is recomputed anyway.
    steps = [
        timedelta(minutes=2),  # Ana still online (seen 11:58)
        timedelta(minutes=4),  # offline
        timedelta(hours=3),  # 03-10 15:00: Cara's callback within a day
        timedelta(hours=12),  # 03-11 00:00: a day more since every login
        timedelta(hours=37),  # 03-12 01:00: midnight again
        timedelta(hours=46),  # 03-12 10:00: Dan (registered 03-10 09:30) no longer new
        timedelta(days=13, hours=13),  # 03-24 01:00: midnight (Ben's decline now old)
        timedelta(days=13, hours=22),  # 03-24 10:00: Ana's decline (03-10 09:00) too
    ]
    for step, offset in enumerate(steps):
        moment = AS_OF + offset
        assert etl(crm_engine, incremental, moment=moment).mode == "incremental"
        full = warehouse_paths(tmp_path / f"full-{step}.duckdb")
        etl(crm_engine, full, full=True, moment=moment)
        assert snapshot(incremental) == snapshot(full), offset
        seen.append(ranking(incremental))
    # Every step but the first moved the ranking (else it would test nothing).
    moved = [before != after for before, after in zip(seen, seen[1:], strict=False)]
    assert moved == [False] + [True] * (len(steps) - 1)


def test_a_transaction_open_during_a_run_reaches_the_warehouse_when_it_commits(
    crm_engine, tmp_path
):
    """A bulk import holds its transaction open while the floor goes on writing: a run lands
    rows stamped a quarter of an hour after the import's, which commits only after that run.
    The next run must still read the import's row, older than its watermark by more than the
    fixed overlap: it reads from when the oldest transaction open at the last run began."""
    if crm_engine.dialect.name != "postgresql":
        pytest.skip("SQLite cannot tell which transactions are open: it reads a fixed overlap")
    build_small_crm(crm_engine)
    paths = warehouse_paths(tmp_path / "incremental.duckdb")

    etl(crm_engine, paths, full=True, moment=utcnow())
    with crm_engine.connect() as importer:
        with importer.begin():
            importer.execute(sa.text("SELECT 1"))  # the transaction has begun by now
            stamp = utcnow()
            stamped_call(importer, stamp)
            with crm_engine.begin() as floor:
                stamped_call(floor, stamp + timedelta(minutes=15))
            assert etl(crm_engine, paths, moment=stamp + timedelta(minutes=16)).landed
        assert etl(crm_engine, paths, moment=stamp + timedelta(minutes=17)).landed
    full = warehouse_paths(tmp_path / "full.duckdb")
    etl(crm_engine, full, full=True, moment=stamp + timedelta(minutes=17))
    assert snapshot(paths) == snapshot(full)


def test_changes_made_outside_starboard_reach_the_warehouse(crm_engine, tmp_path):
    """Another program writes the CRM with plain UPDATEs that leave updated_at alone: the
    database stamps the rows (migration 0007), so incremental runs pick the changes up and give
    what a full run gives."""
    build_small_crm(crm_engine)
    paths = warehouse_paths(tmp_path / "incremental.duckdb")
    began = utcnow()
    etl(crm_engine, paths, moment=began)
    first_edits = [
        "UPDATE leads SET balance = '123.45', am_id = 4 WHERE id = 1",
        "UPDATE calls SET outcome = 'no_answer' WHERE id = 1",
        "UPDATE deposit_attempts SET status = 'declined', decline_reason = 'card expired' "
        "WHERE id = 4",
        "UPDATE staff SET name = 'Bea Brook-Ames' WHERE id = 3",
    ]
    second_edits = [
        "UPDATE support_tickets SET status = 'closed' WHERE id = 2",
        "UPDATE am_targets SET target_ftds = 5 WHERE id = 2",
        "UPDATE platform_sessions SET logout_at = last_seen_at WHERE id = 2",
        "UPDATE notes SET body = 'call back on Friday' WHERE id = 1",
    ]
    for minutes, edits in ((1, first_edits), (2, second_edits)):
        with crm_engine.begin() as connection:
            for edit in edits:
                connection.exec_driver_sql(edit)
        etl(crm_engine, paths, moment=began + timedelta(minutes=minutes))
    full = warehouse_paths(tmp_path / "full.duckdb")
    etl(crm_engine, full, full=True, moment=began + timedelta(minutes=2))
    assert snapshot(paths) == snapshot(full)
    reader = Warehouse(paths)
    try:
        seen = reader.sql(
            "SELECT (SELECT balance FROM mart_lead_priority WHERE lead_id = 1), "
            "(SELECT am_name FROM mart_lead_priority WHERE lead_id = 1), "
            "(SELECT status FROM mart_support_tickets WHERE ticket_id = 2), "
            "(SELECT count(*) FROM mart_activity_log WHERE summary = 'call back on Friday')"
        ).to_pylist()[0]
    finally:
        reader.close()
    assert list(seen.values()) == [Decimal("123.45"), "Cid Cole", "closed", 1]


def test_the_run_counts_every_row_readers_find_in_quarantine(crm_engine, tmp_path):
    """The run line and the run log count what the snapshot's quarantine holds, orphans too.
    The small brokerage holds 5 (lead 5, call 7, deposits 6 and 7, lead 5's session 8). Cara
    (lead 3) is broken: she and her 10 rows (sessions 4-6, call 5, deposits 3-4, assignment 4,
    mail 3, tickets 3-4) make 16. On SQLite Dan (lead 4) is also deleted with the foreign keys
    off, as another program may: his session 7, mail 4 and ticket 5 become orphans (his call 7
    and deposits 6-7 were quarantined already): 19."""
    build_small_crm(crm_engine)
    paths = warehouse_paths(tmp_path / "wh.duckdb")
    etl(crm_engine, paths)
    with crm_engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # outside a transaction, where SQLite takes it
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
        with connection.begin():
            connection.execute(
                sa.update(T["leads"]).where(T["leads"].c.id == 3).values(email="broken")
            )
            if sqlite:
                connection.execute(sa.delete(T["leads"]).where(T["leads"].c.id == 4))
    summary = etl(crm_engine, paths, moment=AS_OF + timedelta(minutes=1))
    expected = 19 if sqlite else 16
    reader = Warehouse(paths)
    try:
        held = reader.sql("SELECT count(*) AS n FROM quarantine").to_pylist()[0]["n"]
        logged = reader.sql(
            "SELECT rows_quarantined FROM etl_runs ORDER BY run_id DESC LIMIT 1"
        ).to_pylist()[0]["rows_quarantined"]
        per_table = reader.sql(
            "SELECT sum(rows_quarantined) AS n FROM etl_run_tables WHERE run_id = $run",
            {"run": summary.run_id},
        ).to_pylist()[0]["n"]
    finally:
        reader.close()
    assert (summary.quarantined, held, logged, per_table) == (expected,) * 4
    assert f"{expected} quarantined" in summary.line()


def test_the_ranking_follows_a_lead_s_latest_assignment_and_sessions(crm_engine, tmp_path):
    """An incremental run recomputes a lead's ranking row for a changed assignment only when it
    is (or was) the lead's latest, and for a changed session only when it makes the lead online
    now (or the lead was online): each step is checked against a full run, and the rows it must
    move against values worked out by hand."""
    build_small_crm(crm_engine)
    assignments, sessions = T["assignments"], T["platform_sessions"]
    paths = warehouse_paths(tmp_path / "incremental.duckdb")

    def lead_row(lead_id):
        reader = Warehouse(paths)
        try:
            return reader.sql(
                "SELECT why_assigned, online_now, online_since FROM mart_lead_priority "
                f"WHERE lead_id = {lead_id}"
            ).to_pylist()[0]
        finally:
            reader.close()

    def step(name, change):
        with crm_engine.begin() as connection:
            change(connection)
        assert etl(crm_engine, paths).mode == "incremental"
        full = warehouse_paths(tmp_path / f"full-{name}.duckdb")
        etl(crm_engine, full, full=True)
        assert snapshot(paths) == snapshot(full), name

    with crm_engine.begin() as connection:  # Dan given to Alan by the rules at 11:00
        connection.execute(
            sa.insert(assignments).values(
                {**assignment(6, 4, None, 2, "conversion", "auto", "03-10 11:00"), "note": "AE"}
            )
        )
        connection.execute(sa.update(T["leads"]).where(T["leads"].c.id == 4).values(am_id=2))
    etl(crm_engine, paths)
    assert lead_row(4)["why_assigned"] == "AE"

    def edit(assignment_id, note):
        return lambda connection: connection.execute(
            sa.update(assignments)
            .where(assignments.c.id == assignment_id)
            .values(note=note, updated_at=utcnow())
        )

    step("latest note", edit(6, "AE, Arabic"))  # Dan's latest assignment: its line moves
    assert lead_row(4)["why_assigned"] == "AE, Arabic"
    step("older note", edit(1, "first touch"))  # Ana's first assignment, not her latest (5)
    step(
        "latest gone",
        lambda connection: connection.execute(sa.delete(assignments).where(assignments.c.id == 6)),
    )
    assert lead_row(4)["why_assigned"] is None

    def seen(at_time):
        return lambda connection: connection.execute(
            sa.update(sessions)
            .where(sessions.c.id == 6)
            .values(last_seen_at=at(at_time), updated_at=utcnow())
        )

    step("stale heartbeat", seen("03-10 11:30"))  # Cara's open session, seen 30 min ago
    assert lead_row(3)["online_now"] is False
    step("live heartbeat", seen("03-10 11:57"))  # seen 3 min ago: online since its login
    assert (lead_row(3)["online_now"], lead_row(3)["online_since"]) == (True, at("03-09 20:00"))
