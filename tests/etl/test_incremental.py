"""Incremental runs: after any inserts, updates and deletes in the CRM, the warehouse an
incremental run leaves is the one a full reload would build."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import duckdb
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.models import Base, utcnow
from etl import run as etl_run
from etl.extract import CrmSource
from etl.run import Loader, run_etl
from tests.etl.small_crm import AS_OF, assignment, at, build_small_crm, call, deposit, email
from warehouse import warehouse_paths
from warehouse.reader import Warehouse

T = Base.metadata.tables
# Everything a reader gets, but the run log (which differs by design).
NOT_COMPARED = {"etl_runs", "etl_run_tables"}


def snapshot(paths) -> dict[str, list]:
    reader = Warehouse(paths)
    try:
        tables = reader.sql("SELECT table_name FROM duckdb_tables()")["table_name"].to_pylist()
        assert "mart_activity_log" in tables
        return {
            name: sorted(
                map(
                    repr,
                    reader.sql(
                        f"SELECT * EXCLUDE (quarantined_at) FROM {name}"
                        if name == "quarantine"
                        else f"SELECT * FROM {name}"
                    ).to_pylist(),
                )
            )
            for name in tables
            if name not in NOT_COMPARED
        }
    finally:
        reader.close()


def etl(engine, paths, full=False, moment=AS_OF):
    source = CrmSource(engine.url)
    try:
        return run_etl(source, paths, full=full, now=lambda: moment)
    finally:
        source.close()


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


# One change to the CRM: (kind, a number that picks the row and the new value).
changes = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "new_call",
                "new_deposit",
                "new_session",
                "new_note",
                "heartbeat",
                "update_lead",
                "update_deposit",
                "delete_call",
                "delete_deposit",
                "delete_lead_notes",
                "new_lead",
                "break_lead",
                "fix_lead",
                "update_ticket",
                "rename_lead",
                "rename_staff",
                "record_on_board",
                "redate_board_deposit",
                "update_target",
                "reverse_deposit",
                "decide_deposit",
                "correct_board_amount",
            ]
        ),
        st.integers(min_value=0, max_value=10_000),
    ),
    min_size=1,
    max_size=8,
)


def update_nth(connection, table: str, n: int, among: list[int] | None = None, **values) -> None:
    """Write ``values`` (and a new ``updated_at``) to the ``n``-th row of ``table``, counted
    round the ids ``among`` (default: all its rows); nothing if there are none."""
    ids = among
    if ids is None:
        ids = connection.execute(sa.select(T[table].c.id)).scalars().all()
    if ids:
        connection.execute(
            sa.update(T[table])
            .where(T[table].c.id == ids[n % len(ids)])
            .values(**values, updated_at=utcnow())
        )


def deposits_off_the_board(connection) -> list[int]:
    """The deposit attempts no target-board entry records (a board deposit cannot be deleted,
    nor recorded twice)."""
    board = set(connection.execute(sa.select(T["target_board_entries"].c.deposit_id)).scalars())
    deposits = connection.execute(sa.select(T["deposit_attempts"].c.id)).scalars()
    return [deposit_id for deposit_id in deposits if deposit_id not in board]


def apply(connection, kind: str, n: int) -> None:
    """Make one change the way a CRM user or the platform would."""
    lead_ids = connection.execute(sa.select(T["leads"].c.id)).scalars().all()
    lead_id = lead_ids[n % len(lead_ids)]
    when = AS_OF - timedelta(hours=1 + n % 48)
    if kind == "new_call":
        connection.execute(
            sa.insert(T["calls"]).values(
                lead_id=lead_id,
                am_id=2 + n % 3,
                started_at=when,
                duration_s=n % 400,
                outcome=["connected", "no_answer", "busy", "voicemail", "wrong_number"][n % 5],
            )
        )
    elif kind == "new_deposit":
        amount = Decimal(n % 900) + Decimal("0.55") - (Decimal(5) if n % 7 == 0 else 0)
        connection.execute(
            sa.insert(T["deposit_attempts"]).values(
                lead_id=lead_id,
                am_id=None if n % 4 == 0 else 2 + n % 3,
                amount=amount,
                currency=["USD", "EUR", "BRL", "XYZ"][n % 4],
                amount_usd=abs(amount),
                method="card",
                provider="Stripe",
                status=["approved", "declined"][n % 2],
                decline_reason=None if n % 2 == 0 else "limit exceeded",
                is_ftd=False,
                created_at=when,
            )
        )
    elif kind == "new_session":
        connection.execute(
            sa.insert(T["platform_sessions"]).values(
                lead_id=lead_id,
                login_at=when,
                last_seen_at=when + timedelta(minutes=n % 30),
                logout_at=None,
                device="ios",
            )
        )
    elif kind == "new_note":  # an AM's note: a review of a decline before it
        connection.execute(
            sa.insert(T["notes"]).values(
                lead_id=lead_id, author_id=2 + n % 3, body=f"note {n}", created_at=when
            )
        )
    elif kind == "heartbeat":  # an open session seen again, or logged out (every third)
        seen = AS_OF - timedelta(minutes=n % 9)
        update_nth(
            connection,
            "platform_sessions",
            n,
            last_seen_at=seen,
            logout_at=seen if n % 3 == 0 else None,
        )
    elif kind == "update_lead":
        connection.execute(
            sa.update(T["leads"])
            .where(T["leads"].c.id == lead_id)
            .values(
                balance=Decimal(n % 5000) + Decimal("0.10"),
                priority=["normal", "high"][n % 2],
                am_id=[None, 2, 3, 4][n % 4],
                status="contacted",
                updated_at=utcnow(),
            )
        )
    elif kind == "update_deposit":
        update_nth(
            connection, "deposit_attempts", n, status="declined", decline_reason="do not honour"
        )
    elif kind == "delete_call":
        ids = connection.execute(sa.select(T["calls"].c.id)).scalars().all()
        if ids:
            connection.execute(sa.delete(T["calls"]).where(T["calls"].c.id == ids[n % len(ids)]))
    elif kind == "delete_deposit":
        ids = deposits_off_the_board(connection)
        if ids:
            connection.execute(
                sa.delete(T["deposit_attempts"]).where(
                    T["deposit_attempts"].c.id == ids[n % len(ids)]
                )
            )
    elif kind == "delete_lead_notes":
        connection.execute(sa.delete(T["notes"]).where(T["notes"].c.lead_id == lead_id))
    elif kind == "new_lead":
        connection.execute(
            sa.insert(T["leads"]).values(
                first_name="New",
                last_name=f"Lead{n}",
                email=f"new{n}@mail.example",
                phone="+44700000099",
                country="GB",
                time_zone="Europe/London",
                language="en",
                source="organic",
                registered_at=when,
                currency="USD",
            )
        )
    elif kind == "break_lead":  # a malformed email: the lead and its rows leave the marts
        connection.execute(
            sa.update(T["leads"])
            .where(T["leads"].c.id == lead_id)
            .values(email="broken", updated_at=utcnow())
        )
    elif kind == "fix_lead":  # and come back when it is fixed
        connection.execute(
            sa.update(T["leads"])
            .where(T["leads"].c.email == "broken")
            .values(email="fixed@mail.example", updated_at=utcnow())
        )
    elif kind == "update_ticket":  # closed, or handed to another owner (or to none)
        update_nth(
            connection,
            "support_tickets",
            n,
            status="closed" if n % 2 else "open",
            owner_id=[None, 2, 3, 4][n % 4],
        )
    elif kind == "rename_lead":  # the name shows on the lead's payments and tickets
        connection.execute(
            sa.update(T["leads"])
            .where(T["leads"].c.id == lead_id)
            .values(first_name=f"Renamed{n}", updated_at=utcnow())
        )
    elif kind == "record_on_board":  # a deposit recorded on an AM's target board
        ids = deposits_off_the_board(connection)
        if ids:
            connection.execute(
                sa.insert(T["target_board_entries"]).values(
                    am_id=2 + n % 3,
                    deposit_id=ids[n % len(ids)],
                    amount_usd=Decimal(n % 300) + Decimal("1.25"),
                    recorded_by_id=1,
                    recorded_at=when,
                )
            )
    elif kind == "redate_board_deposit":  # into or out of a target's period
        board = connection.execute(sa.select(T["target_board_entries"].c.deposit_id)).scalars()
        update_nth(
            connection,
            "deposit_attempts",
            n,
            among=board.all(),
            created_at=AS_OF - timedelta(days=n % 40),
            decided_at=AS_OF - timedelta(days=n % 40),
        )
    elif kind == "update_target":
        update_nth(
            connection, "am_targets", n, target_usd=Decimal(100 + n % 900), target_ftds=n % 4
        )
    elif kind == "reverse_deposit":  # refunded, charged back, or approved again; flag flipped
        update_nth(
            connection,
            "deposit_attempts",
            n,
            status=["refunded", "charged_back", "approved"][n % 3],
            decided_at=AS_OF - timedelta(minutes=n % 600),
            is_ftd=n % 2 == 0,
        )
    elif kind == "decide_deposit":  # approved later: moves its day and maybe the lead's FTD
        update_nth(
            connection,
            "deposit_attempts",
            n,
            status="approved",
            decline_reason=None,
            decided_at=AS_OF - timedelta(hours=n % 72),
        )
    elif kind == "correct_board_amount":  # a board deposit's amount corrected
        board = connection.execute(sa.select(T["target_board_entries"].c.deposit_id)).scalars()
        update_nth(
            connection,
            "deposit_attempts",
            n,
            among=board.all(),
            amount_usd=Decimal(n % 700) + Decimal("0.35"),
        )
    elif kind == "rename_staff":  # an AM's name shows on their leads' rows everywhere
        connection.execute(
            sa.update(T["staff"])
            .where(T["staff"].c.id == 2 + n % 3)
            .values(name=f"Renamed AM {n}", updated_at=utcnow())
        )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rounds=st.lists(changes, min_size=1, max_size=3))
def test_incremental_equals_full_after_random_changes(crm_engine, tmp_path_factory, rounds):
    if crm_engine.dialect.name == "postgresql":
        pytest.skip("the random walk runs on SQLite; PostgreSQL has the fixed walk below")
    with crm_engine.begin() as connection:
        for name in reversed(Base.metadata.sorted_tables):
            connection.execute(sa.delete(name))
    build_small_crm(crm_engine)
    home = tmp_path_factory.mktemp("wh")
    incremental = warehouse_paths(home / "incremental.duckdb")
    etl(crm_engine, incremental)
    for round_ in rounds:
        with crm_engine.begin() as connection:
            for kind, n in round_:
                apply(connection, kind, n)
        etl(crm_engine, incremental)
    full = warehouse_paths(home / "full.duckdb")
    etl(crm_engine, full, full=True)
    assert snapshot(incremental) == snapshot(full)


def test_incremental_equals_full_on_a_fixed_walk(crm_engine, tmp_path):
    """Every kind of change once, on both databases."""
    build_small_crm(crm_engine)
    incremental = warehouse_paths(tmp_path / "incremental.duckdb")
    first = etl(crm_engine, incremental)
    walk = [
        ("new_call", 1),
        ("new_deposit", 3),
        ("new_session", 5),
        ("new_note", 1),  # Ben's decline of 03-09 12:00 reviewed at 03-10 10:00
        ("heartbeat", 5),  # Cara's open session seen again: online
        ("heartbeat", 9),  # Ana logs out: offline
        ("update_lead", 6),
        ("update_deposit", 7),
        ("delete_call", 8),
        ("delete_deposit", 9),
        ("delete_lead_notes", 1),
        ("new_lead", 11),
        ("break_lead", 2),
        ("update_ticket", 1),  # a ticket closed and given to Alan
        ("rename_lead", 5),
        ("rename_staff", 1),
        ("record_on_board", 2),
        ("update_target", 0),
        ("reverse_deposit", 0),  # Ana's FTD refunded: her FTD gone
        ("decide_deposit", 5),  # Ben's decline approved 41 h before AS_OF: his FTD
        ("correct_board_amount", 0),
    ]
    with crm_engine.begin() as connection:
        for kind, n in walk:
            apply(connection, kind, n)
    second = etl(crm_engine, incremental)
    assert (first.mode, second.mode) == ("full", "incremental")
    assert second.deleted >= 2 and second.landed < first.landed
    with crm_engine.begin() as connection:
        apply(connection, "fix_lead", 0)
        apply(connection, "rename_staff", 0)  # Alan, now the owner of a ticket of another AM's lead
        apply(connection, "redate_board_deposit", 25)  # into February: Cid's target then
    etl(crm_engine, incremental)
    full = warehouse_paths(tmp_path / "full.duckdb")
    etl(crm_engine, full, full=True)
    assert snapshot(incremental) == snapshot(full)


@pytest.mark.parametrize(
    "kind, n",
    [
        ("record_on_board", 2),
        ("update_target", 0),
        ("redate_board_deposit", 25),  # into February: Cid's target then
        ("rename_staff", 0),
        ("update_ticket", 1),
        ("rename_lead", 5),
        ("reverse_deposit", 0),
        ("reverse_deposit", 2),
        ("decide_deposit", 5),
        ("correct_board_amount", 0),
    ],
)
def test_one_change_alone_reaches_the_warehouse(crm_engine, tmp_path, kind, n):
    """One change per run: in a walk, another change can cover for a keys file that misses
    this one (a lead's row recomputed for its call, say)."""
    build_small_crm(crm_engine)
    incremental = warehouse_paths(tmp_path / "incremental.duckdb")
    etl(crm_engine, incremental)
    with crm_engine.begin() as connection:
        apply(connection, kind, n)
    etl(crm_engine, incremental)
    full = warehouse_paths(tmp_path / "full.duckdb")
    etl(crm_engine, full, full=True)
    assert snapshot(incremental) == snapshot(full)


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


def test_a_run_that_dies_between_staging_and_publishing_is_followed_by_a_rebuild(
    crm_engine, tmp_path, monkeypatch
):
    """The base commits its staging before the models are brought up to date in the next
    snapshot: a run that dies in between leaves the current snapshot behind the base, and the
    next run must not bring that snapshot up to date from the base's new state."""
    build_small_crm(crm_engine)
    paths = warehouse_paths(tmp_path / "incremental.duckdb")
    etl(crm_engine, paths)
    with crm_engine.begin() as connection:
        apply(connection, "new_call", 1)
        apply(connection, "update_lead", 2)
        apply(connection, "delete_call", 3)

    def killed(base, rebuild):
        raise RuntimeError("killed while building the models")

    monkeypatch.setattr(etl_run, "_build_models", killed)
    with pytest.raises(RuntimeError, match="killed while building"):
        etl(crm_engine, paths)
    monkeypatch.undo()
    etl(crm_engine, paths)
    full = warehouse_paths(tmp_path / "full.duckdb")
    etl(crm_engine, full, full=True)
    assert snapshot(paths) == snapshot(full)


def test_a_loader_held_open_between_runs_gives_what_a_full_run_gives(crm_engine, tmp_path):
    """The watch loop keeps the base open: what one run leaves in the connection (its temporary
    tables) must not leak into the next."""
    build_small_crm(crm_engine)
    paths = warehouse_paths(tmp_path / "watched.duckdb")
    source = CrmSource(crm_engine.url)
    try:
        with Loader(paths) as loader:
            assert loader.run(source, now=lambda: AS_OF).mode == "full"
            for kind, n in [("new_call", 2), ("heartbeat", 5), ("new_note", 1)]:
                with crm_engine.begin() as connection:
                    apply(connection, kind, n)
                assert loader.run(source, now=lambda: AS_OF).mode == "incremental"
            with crm_engine.begin() as connection:
                apply(connection, "delete_call", 3)
                apply(connection, "break_lead", 2)
            loader.run(source, now=lambda: AS_OF + timedelta(minutes=10))
    finally:
        source.close()
    full = warehouse_paths(tmp_path / "full.duckdb")
    etl(crm_engine, full, full=True, moment=AS_OF + timedelta(minutes=10))
    assert snapshot(paths) == snapshot(full)


def test_a_base_checkpoint_that_fails_beside_the_models_is_made_at_the_end_of_the_run(
    crm_engine, tmp_path, monkeypatch
):
    """The base's checkpoint runs on a second cursor while the models are built; if DuckDB
    refuses it there, the run still publishes and checkpoints the base itself at its end."""
    build_small_crm(crm_engine)
    paths = warehouse_paths(tmp_path / "incremental.duckdb")
    etl(crm_engine, paths, full=True)

    def refused(checkpoint, database):
        checkpoint._error = duckdb.TransactionException("refused here")

    monkeypatch.setattr(etl_run._BackgroundCheckpoint, "start", refused)
    with crm_engine.begin() as connection:
        apply(connection, "new_call", 2)
    said = []
    source = CrmSource(crm_engine.url)
    try:
        with Loader(paths) as loader:
            summary = loader.run(source, now=lambda: AS_OF, progress=said.append)
            assert summary.mode == "incremental" and summary.landed >= 2
            # Checkpointed: the write-ahead log no longer holds the run's staging.
            wal = paths.base.with_name(paths.base.name + ".wal")
            assert not wal.exists() or wal.stat().st_size == 0
    finally:
        source.close()
    assert any("checkpoint beside the models failed (" in line for line in said)
    full = warehouse_paths(tmp_path / "full.duckdb")
    etl(crm_engine, full, full=True)
    assert snapshot(paths) == snapshot(full)


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
