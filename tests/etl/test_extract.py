"""Extraction lands the CRM's rows in DuckDB exactly and in the same types, from SQLite and from
PostgreSQL. Values are read back through the casts staging applies (timestamptz, DECIMAL(18, 2)).
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import duckdb
import pytest
import sqlalchemy as sa

from crm.models import Base
from etl import extract
from etl.extract import CrmSource, ExtractError

UTC = timezone.utc
T = Base.metadata.tables
REGISTERED = datetime(2026, 3, 1, 9, 0, 0, 1, tzinfo=UTC)
CALLBACK = datetime(2026, 3, 10, 18, 0, 0, 123456, tzinfo=UTC)


def lead(id: int, **changes) -> dict:
    values = dict(
        id=id,
        first_name="Amira",
        last_name="Haddad",
        email=f"lead{id}@example.com",
        phone="+971500000001",
        country="AE",
        time_zone="Asia/Dubai",
        language="ar",
        source="google",
        campaign=None,
        registered_at=REGISTERED,
        am_id=None,
        is_starred=False,
        callback_at=None,
        balance=Decimal("0.00"),
        updated_at=REGISTERED,
    )
    # One insert takes its columns from the first row: every row names them all.
    return {**values, **changes}


def insert(engine: sa.Engine, table: str, rows: list[dict]) -> None:
    with engine.begin() as connection:
        connection.execute(T[table].insert(), rows)


def insert_dan(engine: sa.Engine) -> None:
    """Dan Cohen, AM number 7 (the staff row the leads and targets below name)."""
    insert(
        engine,
        "staff",
        [
            dict(
                id=7,
                name="Dan Cohen",
                email="dan@starboard.example",
                role="account_manager",
                desk="conversion",
            )
        ],
    )


@pytest.fixture
def duck():
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()


@pytest.fixture
def source(crm_engine):
    crm = CrmSource(crm_engine.url)
    yield crm
    crm.close()


def types(duck, table: str) -> dict[str, str]:
    return {name: kind for name, kind, *_ in duck.execute(f"DESCRIBE {table}").fetchall()}


def test_values_land_exactly(crm_engine, source, duck):
    insert_dan(crm_engine)
    insert(
        crm_engine,
        "leads",
        [
            lead(1, balance=Decimal("0.10"), callback_at=None),
            lead(
                2,
                balance=Decimal("1234567.89"),
                callback_at=CALLBACK,
                am_id=7,
                is_starred=True,
                campaign="spring",
            ),
        ],
    )
    insert(
        crm_engine,
        "currencies",
        [
            dict(code="EUR", usd_rate=Decimal("1.10000000"), updated_at=REGISTERED),
            dict(code="JPY", usd_rate=Decimal("0.00671234"), updated_at=REGISTERED),
            dict(code="VND", usd_rate=Decimal("0.00003912"), updated_at=REGISTERED),
            dict(code="USD", usd_rate=Decimal("1"), updated_at=REGISTERED),
        ],
    )

    assert source.land(duck, T["leads"], "leads") == 2
    assert source.land(duck, T["currencies"], "currencies") == 4

    rows = duck.execute(
        "SELECT id, cast(balance AS decimal(18, 2)), cast(callback_at AS timestamptz), "
        "cast(registered_at AS timestamptz), am_id, is_starred, campaign "
        "FROM leads ORDER BY id"
    ).fetchall()
    assert rows == [
        (1, Decimal("0.10"), None, REGISTERED, None, False, None),
        (2, Decimal("1234567.89"), CALLBACK, REGISTERED, 7, True, "spring"),
    ]
    rates = duck.execute(
        "SELECT code, cast(usd_rate AS decimal(18, 8)) FROM currencies ORDER BY code"
    ).fetchall()
    assert rates == [
        ("EUR", Decimal("1.10000000")),
        ("JPY", Decimal("0.00671234")),
        ("USD", Decimal("1")),
        ("VND", Decimal("0.00003912")),  # SQLite spells this float 3.912e-05
    ]
    assert list(types(duck, "leads")) == [c.name for c in T["leads"].columns]


def test_both_databases_land_the_same_documented_types(source, duck):
    for name in ("leads", "am_targets", "audit_log", "currencies"):
        source.land(duck, T[name], name)
    leads, targets = types(duck, "leads"), types(duck, "am_targets")
    assert (leads["id"], leads["am_id"], leads["is_starred"], leads["version"]) == (
        "BIGINT",
        "INTEGER",
        "BOOLEAN",
        "INTEGER",
    )
    assert (leads["callback_at"], leads["balance"], leads["email"]) == (
        "TIMESTAMP WITH TIME ZONE",
        "DECIMAL(18,2)",
        "VARCHAR",
    )
    assert (targets["id"], targets["period_start"], targets["target_usd"]) == (
        "INTEGER",
        "DATE",
        "DECIMAL(18,2)",
    )
    assert types(duck, "audit_log")["before"] == "JSON"
    assert types(duck, "currencies")["usd_rate"] == "DECIMAL(18,8)"


def test_times_are_the_same_instants_whatever_duckdbs_time_zone(crm_engine, source):
    insert(crm_engine, "leads", [lead(1, callback_at=CALLBACK)])
    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'America/New_York'")
    source.land(duck, T["leads"], "leads")
    assert duck.execute(
        "SELECT epoch_us(callback_at), epoch_us(registered_at) FROM leads"
    ).fetchall() == [
        (
            int(CALLBACK.timestamp()) * 1_000_000 + CALLBACK.microsecond,
            int(REGISTERED.timestamp()) * 1_000_000 + REGISTERED.microsecond,
        )
    ]
    duck.close()


def test_dates_and_json_land(crm_engine, source, duck):
    insert_dan(crm_engine)
    insert(
        crm_engine,
        "am_targets",
        [
            dict(
                id=1,
                am_id=7,
                period_start=date(2026, 3, 1),
                period_end=date(2026, 3, 31),
                target_usd=Decimal("55000.00"),
                target_ftds=12,
            )
        ],
    )
    insert(
        crm_engine,
        "audit_log",
        [
            dict(
                id=1,
                action_id="a1",
                actor_id=7,
                action="star",
                before={"is_starred": False},
                after={"is_starred": True},
                at=CALLBACK,
                updated_at=CALLBACK,
            )
        ],
    )

    source.land(duck, T["am_targets"], "am_targets")
    source.land(duck, T["audit_log"], "audit_log")

    assert duck.execute(
        "SELECT cast(period_start AS date), cast(period_end AS date), "
        "cast(target_usd AS decimal(18, 2)) FROM am_targets"
    ).fetchall() == [(date(2026, 3, 1), date(2026, 3, 31), Decimal("55000.00"))]
    assert duck.execute(
        "SELECT json_extract(cast(after AS json), '$.is_starred')::boolean FROM audit_log"
    ).fetchall() == [(True,)]


def test_since_lands_only_rows_changed_at_or_after_it(crm_engine, source, duck):
    since = datetime(2026, 3, 10, 12, 0, 0, 500000, tzinfo=UTC)
    insert(
        crm_engine,
        "leads",
        [
            lead(1, updated_at=since - timedelta(microseconds=1)),
            lead(2, updated_at=since),
            lead(3, updated_at=since + timedelta(days=3)),
            lead(4, updated_at=since - timedelta(days=30)),
        ],
    )

    # Given in another zone: the same instant.
    assert (
        source.land(
            duck, T["leads"], "changed", since=since.astimezone(timezone(timedelta(hours=-5)))
        )
        == 2
    )
    assert duck.execute("SELECT id FROM changed ORDER BY id").fetchall() == [(2,), (3,)]

    assert source.land(duck, T["leads"], "changed", since=since + timedelta(days=10)) == 0
    assert types(duck, "changed")["callback_at"] == "TIMESTAMP WITH TIME ZONE"
    assert list(types(duck, "changed")) == [c.name for c in T["leads"].columns]


def test_since_must_be_timezone_aware(source, duck):
    with pytest.raises(ValueError, match="naive"):
        source.land(duck, T["leads"], "changed", since=datetime(2026, 3, 10))


def test_keys_lands_exactly_the_primary_keys(crm_engine, source, duck):
    insert(crm_engine, "leads", [lead(id) for id in (3, 1, 2, 10)])
    insert(
        crm_engine,
        "currencies",
        [dict(code=code, usd_rate=Decimal("1"), updated_at=REGISTERED) for code in ("USD", "EUR")],
    )

    assert source.keys(duck, T["leads"], "lead_keys") == 4
    assert duck.execute("SELECT * FROM lead_keys ORDER BY id").fetchall() == [
        (1,),
        (2,),
        (3,),
        (10,),
    ]
    assert source.keys(duck, T["currencies"], "currency_keys") == 2
    assert sorted(duck.execute("SELECT * FROM currency_keys").fetchall()) == [("EUR",), ("USD",)]


def test_every_empty_table_lands_empty_with_its_columns(source, duck):
    for table in T.values():
        assert source.land(duck, table, f"empty_{table.name}") == 0
        assert list(types(duck, f"empty_{table.name}")) == [c.name for c in table.columns]
        assert duck.execute(f"SELECT count(*) FROM empty_{table.name}").fetchone() == (0,)


def test_land_replaces_the_target_and_writes_into_a_schema(crm_engine, source, duck):
    duck.execute("CREATE SCHEMA landing")
    insert(crm_engine, "leads", [lead(1), lead(2)])
    assert source.land(duck, T["leads"], "landing.leads") == 2
    insert(crm_engine, "leads", [lead(3)])
    assert source.land(duck, T["leads"], "landing.leads") == 3
    assert duck.execute("SELECT count(*) FROM landing.leads").fetchone() == (3,)


def test_land_can_stage_rows_on_their_way_in(crm_engine, source, duck):
    """``into``: the landed rows are only a view while a SELECT over them is written."""
    duck.execute("CREATE SCHEMA landing")
    insert(crm_engine, "leads", [lead(1), lead(2, first_name="Bea")])
    select = "SELECT id, upper(first_name) AS name FROM landing.leads"
    assert source.land(duck, T["leads"], "landing.leads", into=("staged", select)) == 2
    assert sorted(duck.execute("SELECT * FROM staged").fetchall())[1] == (2, "BEA")
    assert (
        duck.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'leads'").fetchone()[0]
        == 0
    )


def test_the_write_horizon_is_when_the_oldest_open_transaction_began(crm_engine, source):
    if crm_engine.dialect.name != "postgresql":
        assert source.write_horizon() is None  # SQLite cannot tell: the ETL reads an overlap
        return
    first = source.write_horizon()  # nothing open but the ETL's own connections: now
    assert abs(first - datetime.now(timezone.utc)) < timedelta(seconds=5)
    with crm_engine.connect() as writer, writer.begin():
        began = writer.execute(
            sa.text("SELECT xact_start FROM pg_stat_activity WHERE pid = pg_backend_pid()")
        ).scalar()
        assert source.write_horizon() == began
    assert source.write_horizon() > began


SESSIONS = 200_000
NULL_LOGOUTS = 150_000  # more than SQLite's first batch: its type must not come from NULLs


@pytest.mark.slow
def test_many_rows_land_whole_across_batches_and_streams(crm_engine, duck, tmp_path, monkeypatch):
    # A small threshold so that 200,000 rows take every path: several ranges read by parallel
    # streams from PostgreSQL, several batches from SQLite and from a changed-row read.
    monkeypatch.setattr(extract, "PARALLEL_MIN_PAGES", 16)
    base = datetime(2026, 3, 1, tzinfo=UTC)
    insert(crm_engine, "leads", [lead(1)])
    insert(
        crm_engine,
        "platform_sessions",
        [
            dict(
                id=i,
                lead_id=1,
                login_at=base,
                last_seen_at=base,
                logout_at=None if i <= NULL_LOGOUTS else base + timedelta(microseconds=i),
                device="web",
                updated_at=base + timedelta(seconds=i),
            )
            for i in range(1, SESSIONS + 1)
        ],
    )
    duck = duckdb.connect(str(tmp_path / "landing.duckdb"))
    duck.execute("SET TimeZone = 'UTC'")
    crm = CrmSource(crm_engine.url, streams=3)
    try:
        assert crm.land(duck, T["platform_sessions"], "sessions") == SESSIONS
        assert duck.execute(
            "SELECT count(DISTINCT id), sum(id), count(logout_at), "
            "max(cast(logout_at AS timestamptz)) FROM sessions"
        ).fetchone() == (
            SESSIONS,
            SESSIONS * (SESSIONS + 1) // 2,
            SESSIONS - NULL_LOGOUTS,
            base + timedelta(microseconds=SESSIONS),
        )

        since = base + timedelta(seconds=SESSIONS - 100_000 + 1)
        assert crm.land(duck, T["platform_sessions"], "recent", since=since) == 100_000
        assert duck.execute("SELECT min(id), max(id) FROM recent").fetchone() == (
            SESSIONS - 100_000 + 1,
            SESSIONS,
        )
        assert crm.keys(duck, T["platform_sessions"], "session_keys") == SESSIONS
    finally:
        crm.close()
        duck.close()


def test_a_failed_land_names_the_table_and_the_source_still_works(crm_engine, source, duck):
    missing = sa.Table(
        "no_such_table", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True)
    )
    duck.execute("BEGIN TRANSACTION")
    with pytest.raises(ExtractError, match="no_such_table"):
        source.land(duck, missing, "nothing")
    duck.execute("ROLLBACK")

    insert(crm_engine, "leads", [lead(1)])
    assert source.land(duck, T["leads"], "leads") == 1


def test_a_stream_failing_mid_table_fails_the_land_and_stops_the_others(
    crm_engine, duck, monkeypatch
):
    if crm_engine.dialect.name != "postgresql":
        pytest.skip("parallel streams read PostgreSQL only")
    insert(crm_engine, "leads", [lead(1), lead(2), lead(3)])
    ranges = ["ctid < '(1,0)'::tid", "ctid >= '(1,0)'::tid AND 1 / 0 = 1", "ctid >= '(1,0)'::tid"]
    monkeypatch.setattr(extract, "_block_ranges", lambda pages, streams: ranges)
    crm = CrmSource(crm_engine.url, streams=2)
    try:
        with pytest.raises(ExtractError, match="division by zero"):
            crm.land(duck, T["leads"], "leads")
        assert not [t for t in threading.enumerate() if t.name.startswith("starboard-extract")]
        monkeypatch.undo()
        assert crm.land(duck, T["leads"], "leads") == 3
    finally:
        crm.close()


def ahead_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("starboard-ahead")]


def changed_since_day_3(crm_engine) -> datetime:
    """Leads 1-5 and one session each, lead i and its session last written on 1 March + i
    days; Dan, written now. Rows written on or after the 3rd: Dan, leads and sessions 3-5."""
    insert_dan(crm_engine)
    insert(
        crm_engine,
        "leads",
        [lead(i, updated_at=REGISTERED + timedelta(days=i)) for i in range(1, 6)],
    )
    insert(
        crm_engine,
        "platform_sessions",
        [
            dict(
                id=10 + i,
                lead_id=i,
                login_at=REGISTERED,
                last_seen_at=REGISTERED,
                device="web",
                updated_at=REGISTERED + timedelta(days=i),
            )
            for i in range(1, 6)
        ],
    )
    return datetime(2026, 3, 4, 9, 0, 0, 1, tzinfo=UTC)  # 1 March 09:00:00.000001 + 3 days


def test_reads_ahead_land_what_the_reads_one_by_one_land(crm_engine, source, duck):
    since = changed_since_day_3(crm_engine)
    plan = [
        (T["staff"], since),
        (T["notes"], since),
        (T["leads"], since),
        (T["platform_sessions"], since),
    ]
    with source.reading_ahead(plan):
        assert source.land(duck, T["staff"], "staff", since=since) == 1
        assert source.land(duck, T["notes"], "notes", since=since) == 0
        assert source.land(duck, T["leads"], "leads", since=since) == 3
        assert source.land(duck, T["platform_sessions"], "sessions", since=since) == 3
    assert duck.execute("SELECT list(id ORDER BY id) FROM leads").fetchone() == ([3, 4, 5],)
    assert duck.execute("SELECT list(id ORDER BY id) FROM sessions").fetchone() == ([13, 14, 15],)
    assert duck.execute("SELECT name FROM staff").fetchone() == ("Dan Cohen",)
    assert types(duck, "notes")["body"] == "VARCHAR"  # no rows, and still its columns
    assert not ahead_threads()


def test_a_land_out_of_the_planned_order_reads_for_itself_and_stops_the_reads_ahead(
    crm_engine, source, duck
):
    since = changed_since_day_3(crm_engine)
    with source.reading_ahead([(T["leads"], since), (T["platform_sessions"], since)]):
        assert source.land(duck, T["platform_sessions"], "sessions", since=since) == 3
        assert not ahead_threads()
        assert source.land(duck, T["leads"], "leads", since=since - timedelta(days=1)) == 4
    assert duck.execute("SELECT list(id ORDER BY id) FROM leads").fetchone() == ([2, 3, 4, 5],)


def test_a_failed_read_ahead_names_its_table_and_the_source_still_works(crm_engine, source, duck):
    since = changed_since_day_3(crm_engine)
    missing = sa.Table(
        "no_such_table",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("updated_at", sa.DateTime),
    )
    duck.execute("BEGIN TRANSACTION")
    with (
        pytest.raises(ExtractError, match="no_such_table"),
        source.reading_ahead([(T["leads"], since), (missing, since), (T["staff"], since)]),
    ):
        assert source.land(duck, T["leads"], "leads", since=since) == 3
        source.land(duck, missing, "nothing", since=since)
    duck.execute("ROLLBACK")
    assert not ahead_threads()
    assert source.land(duck, T["leads"], "leads", since=since) == 3


def test_reads_ahead_not_landed_are_stopped_at_the_end_of_the_block(crm_engine, source, duck):
    since = changed_since_day_3(crm_engine)
    with source.reading_ahead([(T["leads"], since), (T["platform_sessions"], since)]):
        assert source.land(duck, T["leads"], "leads", since=since) == 3
    assert not ahead_threads()
    assert source.land(duck, T["platform_sessions"], "sessions", since=since) == 3


def test_land_inside_a_transaction_commits_with_it(crm_engine, source, duck):
    insert(crm_engine, "leads", [lead(1)])
    duck.execute("BEGIN TRANSACTION")
    source.land(duck, T["leads"], "leads")
    duck.execute("ROLLBACK")
    assert duck.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'leads'"
    ).fetchone() == (0,)


def test_since_is_read_through_the_updated_at_index(crm_engine):
    # The query text is the module's own; the plan is the database's answer for it (SQLite's
    # with the parameter bound). PostgreSQL is told to avoid a full scan, which it still takes
    # when the condition cannot use the index (a tiny table makes a full scan the cheaper plan).
    table = T["platform_sessions"]
    since = datetime(2026, 3, 10, tzinfo=UTC)
    with crm_engine.connect() as connection:
        if crm_engine.dialect.name == "sqlite":
            query = extract._sqlite_select(table, list(table.columns), since=True)
            plan = connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {query}", ("2026-03-10 00:00:00.000000",)
            ).fetchall()
        else:
            query = extract._postgresql_select(table, list(table.columns), since=since)
            connection.exec_driver_sql("SET enable_seqscan = off")
            plan = connection.exec_driver_sql(f"EXPLAIN {query}").fetchall()
    assert "ix_platform_sessions_updated_at" in str(plan)
