"""The real-time simulator on a small CRM written here: what must hold whatever the draw.

Ticks run on a fixed clock with a fixed seed, so nothing sleeps and every run is the same.
The catch-up and the command are in test_simulate_catch_up.py and test_simulate_command.py.
"""

from __future__ import annotations

import shutil
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from crm.actions import distribution as dist
from crm.db import create_crm_engine
from crm.demo import floor
from crm.demo import reference as ref
from crm.demo.simulate import close_stale_sessions
from crm.distribution.availability import Shift
from tests.crm.simulate_crm import START, T, build_crm, rows_of, run_ticks


def simulate_a_minute(engine: sa.Engine) -> tuple:
    """The small brokerage after 60 one-second ticks at 4 events a second: its engine, ids,
    last tick's time and tick results."""
    crm = build_crm(engine)
    last, results = run_ticks(engine, ticks=60, rate=4.0)
    return engine, crm, last, results


@pytest.fixture(scope="module")
def simulated(module_crm_engine):
    """``simulate_a_minute`` once per database for the tests that only read it."""
    return simulate_a_minute(module_crm_engine)


@pytest.fixture
def simulated_to_change(crm_engine):
    """``simulate_a_minute`` in this test's own CRM, for a test that writes to it."""
    return simulate_a_minute(crm_engine)


# What every tick must keep true --------------------------------------------------------------


def test_each_new_lead_has_one_welcome_mail_and_a_session(simulated):
    engine, crm, last, results = simulated
    new = [lead for lead in rows_of(engine, "leads") if lead.id not in crm["start"]]
    assert len(new) == sum(r.registrations for r in results) > 0

    mails = [m for m in rows_of(engine, "email_outbox") if m.template == "welcome"]
    sessions = defaultdict(list)
    for s in rows_of(engine, "platform_sessions"):
        sessions[s.lead_id].append(s)
    markets = {m.country: m for m in ref.MARKETS}
    for lead in new:
        welcome = [m for m in mails if m.lead_id == lead.id]
        assert len(welcome) == 1
        assert welcome[0].to_address == lead.email
        assert welcome[0].status == "queued" and welcome[0].attempts == 0
        assert lead.first_name in welcome[0].body
        assert welcome[0].created_at == lead.registered_at
        assert any(s.login_at == lead.registered_at for s in sessions[lead.id])
        status = "new" if lead.ftd_at is None else "converted"  # some deposit at once
        assert (lead.status, lead.desk, lead.am_id, lead.version) == (status, "conversion", None, 1)
        assert lead.created_at == lead.registered_at <= lead.updated_at
        market = markets[lead.country]
        assert lead.time_zone in market.time_zones
        ZoneInfo(lead.time_zone)
        assert lead.phone.startswith(market.phone_prefix)
        assert lead.currency in (market.currency, "USD")
        assert lead.source in {s[0] for s in ref.SOURCES}


def test_open_sessions_were_seen_within_a_heartbeat_and_stale_ones_closed(simulated_to_change):
    engine, crm, last, results = simulated_to_change
    sessions = rows_of(engine, "platform_sessions")
    # The tab closed 90 minutes before the start is left alone by the ticks' short look-back...
    tab = next(s for s in sessions if s.lead_id == crm["leads"][3] and s.device == "android")
    assert tab.logout_at is None and tab.last_seen_at == START - timedelta(minutes=90)
    # ...every other open session was seen less than a heartbeat (30 s) before the last tick...
    open_now = [s for s in sessions if s.logout_at is None and s.id != tab.id]
    assert open_now
    assert all(last - timedelta(seconds=30) < s.last_seen_at <= last for s in open_now)
    assert any(s.last_seen_at < last for s in open_now)
    assert len({s.lead_id for s in open_now}) == results[-1].online
    for s in sessions:
        if s.logout_at is not None:
            assert s.login_at <= s.last_seen_at == s.logout_at <= last
    # ...and the tab is closed at its last sighting by the sweep the command runs at start.
    with engine.begin() as connection:
        assert close_stale_sessions(connection, last) == 1
    tab = next(s for s in rows_of(engine, "platform_sessions") if s.id == tab.id)
    assert tab.logout_at == tab.last_seen_at == START - timedelta(minutes=90)
    assert tab.updated_at == last


def test_without_a_heartbeat_interval_every_open_session_is_seen_every_tick(brokerage):
    engine, crm = brokerage
    last, results = run_ticks(engine, ticks=45, rate=4.0, heartbeat=timedelta(0))
    open_now = [
        s
        for s in rows_of(engine, "platform_sessions")
        if s.logout_at is None and s.last_seen_at > START
    ]
    assert len(open_now) >= results[-1].online > 0
    assert {s.last_seen_at for s in open_now} == {last}


def test_a_session_unseen_for_five_minutes_is_closed_when_it_was_last_seen(brokerage):
    engine, crm = brokerage
    with engine.begin() as connection:
        connection.execute(
            T["platform_sessions"].insert(),
            {
                "lead_id": crm["leads"][4],
                "login_at": START - timedelta(minutes=10),
                "last_seen_at": START - timedelta(minutes=5, seconds=30),
                "device": "web",
                "updated_at": START - timedelta(minutes=5, seconds=30),
            },
        )
    run_ticks(engine, ticks=1, rate=0.001)
    dropped = [s for s in rows_of(engine, "platform_sessions") if s.lead_id == crm["leads"][4]]
    assert [(s.logout_at, s.updated_at) for s in dropped] == [
        (START - timedelta(minutes=5, seconds=30), START + timedelta(seconds=1))
    ]


def test_calls_are_made_by_active_ams_on_leads_they_own(simulated):
    engine, crm, last, results = simulated
    owner = {lead.id: lead.am_id for lead in rows_of(engine, "leads")}
    new_calls = [c for c in rows_of(engine, "calls") if c.created_at > START]
    assert len(new_calls) == sum(r.calls for r in results) > 0
    for call in new_calls:
        assert call.am_id in crm["ams"]
        assert owner[call.lead_id] == call.am_id
        # Dialled within the tick that wrote it (a tick is a second here).
        assert call.created_at - timedelta(seconds=1) < call.started_at <= call.created_at
        assert call.created_at == call.updated_at
        if call.outcome == "connected":
            assert 45 <= call.duration_s <= 3600
        else:
            assert 0 < call.duration_s <= 60
    assert {c.outcome for c in new_calls} <= {
        "connected",
        "no_answer",
        "busy",
        "voicemail",
        "wrong_number",
    }
    # A wrong number sends the "reach you" mail, once per lead.
    reach = Counter(m.lead_id for m in rows_of(engine, "email_outbox") if m.template == "reach_you")
    assert set(reach) == {c.lead_id for c in new_calls if c.outcome == "wrong_number"}
    assert set(reach.values()) <= {1}


def test_an_am_calls_one_lead_at_a_time_in_the_shift_s_stretches_of_work(brokerage):
    engine, crm = brokerage
    # Monday 2 March 2026, 00:00 to 20:00 UTC (London is on GMT), in 5-minute ticks.
    midnight = START - timedelta(hours=9)
    # The AMs' calls follow their shifts and the leads they own, whatever the rate: 0.1 a
    # second still puts ~300 registrations, ~1,600 logins and ~500 deposits among the calls
    # (rate 1.0 took 5 times as long for the same checks).
    run_ticks(engine, ticks=240, rate=0.1, dt=300.0, start=midnight)
    assert_a_working_day_of_calls(engine, crm, midnight)


def assert_a_working_day_of_calls(engine: sa.Engine, crm: dict, midnight: datetime) -> None:
    """Alice's and Bob's calls on the Monday that began at ``midnight``: in their shifts, one
    after another with the wrap-up between, 2.6 to 5 hours of talk."""
    calls = defaultdict(list)
    for call in sorted(rows_of(engine, "calls"), key=lambda c: c.started_at):
        if call.created_at > midnight:
            calls[call.am_id].append(call)
    alice, bob = crm["ams"]
    assert set(calls) == {alice, bob}  # never the AM who left
    # Shifts start at 09:00 (Alice, staff id 2) and 09:30 (Bob, id 3), London time; work comes
    # in stretches of 2 h, 2 h, 2 h and 1 h 15 min after breaks of 15, 45 and 15 minutes.
    for am, start in ((alice, START), (bob, START + timedelta(minutes=30))):
        blocks = [
            (start + timedelta(minutes=begin), start + timedelta(minutes=begin + length))
            for begin, length in ((0, 120), (135, 120), (300, 120), (435, 75))
        ]
        talk = 0
        for call, following in zip(calls[am], calls[am][1:] + [None], strict=True):
            assert any(begin <= call.started_at < end for begin, end in blocks), call
            end = call.started_at + timedelta(seconds=call.duration_s)
            if following is not None:
                # Wrap-up: 30 s and 0.3 s a second of talk.
                wrap = timedelta(seconds=30 + 0.3 * call.duration_s)
                assert following.started_at >= end + wrap
            talk += call.duration_s
        # The day's talk target is between 2.6 and 4.4 hours; the last call may run over, by
        # half an hour at most.
        assert 2.6 * 3600 <= talk <= 4.4 * 3600 + 1800


def test_the_simulator_follows_a_manager_s_change_of_shift_and_leave(brokerage):
    engine, crm = brokerage
    alice, bob = crm["ams"]
    manager = crm["manager"]
    # Alice's Monday becomes 13:00-17:30 London time (GMT in March); Bob is away on Monday.
    week = [Shift(day, 540, 1080) for day in range(1, 5)] + [Shift(0, 13 * 60, 17 * 60 + 30)]
    dist.set_shifts(engine, actor_id=manager, action_id="week", am_id=alice, shifts=week)
    dist.add_leave(
        engine,
        actor_id=manager,
        action_id="away",
        am_id=bob,
        first=START.date(),
        last=START.date(),
    )
    # Monday 2 March 2026, 09:00 to 18:00 UTC, in 5-minute ticks (at rate 0.1, as above).
    run_ticks(engine, ticks=108, rate=0.1, dt=300.0)
    calls = [c for c in rows_of(engine, "calls") if c.created_at > START]
    assert {c.am_id for c in calls} == {alice}
    # The shift's 4 h 30 min less the half hour a last call may run: stretches of work of 2 h
    # from 13:00, and after the 15-minute break, 1 h 45 min from 15:15.
    one = START.replace(hour=13)
    blocks = [
        (one, one + timedelta(hours=2)),
        (one + timedelta(hours=2, minutes=15), one + timedelta(hours=4)),
    ]
    for call in calls:
        assert any(begin <= call.started_at < end for begin, end in blocks), call
        assert call.started_at + timedelta(seconds=call.duration_s) <= one + timedelta(
            hours=4, minutes=30
        )
    assert any(c.started_at >= blocks[1][0] for c in calls)


def test_an_am_given_a_shift_already_under_way_starts_calling_at_once(brokerage):
    # The walk-through: at 05:20:30 on Sunday 1 March a manager gives Alice (London, GMT)
    # Sunday 01:00-20:00. Laid from 01:00 her stretches of work would be 01:00-03:00,
    # 03:15-05:15, lunch until 06:00: no call for 40 minutes while the floor shows her
    # behind. She starts when told, at the next whole minute (05:21), breaks counted from
    # there: her first stretch is 05:21-07:21.
    engine, crm = brokerage
    alice, bob = crm["ams"]
    told = datetime(2026, 3, 1, 5, 20, 30, tzinfo=timezone.utc)
    week = [Shift(day, 540, 1080) for day in range(5)] + [Shift(6, 60, 20 * 60)]
    dist.set_shifts(
        engine, actor_id=crm["manager"], action_id="sunday", am_id=alice, shifts=week, now=told
    )
    # One-minute ticks, the first over 05:20-05:21, the last ending at 06:00.
    # Rate 0.1: the calls follow the shifts and owned leads, not the rate (as the tests above).
    _, results = run_ticks(engine, ticks=40, rate=0.1, dt=60.0, start=told.replace(second=0))
    calls = sorted(
        (c for c in rows_of(engine, "calls") if c.created_at > told), key=lambda c: c.started_at
    )
    assert {c.am_id for c in calls} == {alice}  # Bob has no Sunday shift
    # The tick to 05:22 dials at once (a tick's work starts a microsecond after the last).
    first = calls[0].started_at - datetime(2026, 3, 1, 5, 21, tzinfo=timezone.utc)
    assert timedelta(0) <= first < timedelta(seconds=1)
    assert all(c.started_at < datetime(2026, 3, 1, 6, 0, tzinfo=timezone.utc) for c in calls)
    assert sum(r.calls for r in results) == len(calls) >= 5


def test_nobody_calls_at_the_weekend(brokerage):
    engine, crm = brokerage
    saturday = START - timedelta(days=2)
    # Rate 0.1: ~750 logins and ~280 deposits in those 10 hours, and no AM on shift.
    _, results = run_ticks(engine, ticks=60, rate=0.1, dt=600.0, start=saturday)
    assert sum(r.calls for r in results) == 0
    assert sum(r.logins for r in results) > 0


def test_deposits_convert_at_the_book_rate_and_credit_the_balance(simulated):
    engine, crm, last, results = simulated
    deposits = rows_of(engine, "deposit_attempts")
    assert len(deposits) == sum(r.deposits for r in results) > 0
    leads = {lead.id: lead for lead in rows_of(engine, "leads")}
    providers = {(method, name) for method, name, _ in ref.PROVIDERS}
    reasons = {reason for reason, _ in ref.DECLINE_REASONS}
    credited = defaultdict(Decimal)
    for d in deposits:
        assert d.currency == leads[d.lead_id].currency
        assert d.amount > 0
        expected = (d.amount * ref.USD_RATES[d.currency]).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert d.amount_usd == expected
        assert (d.method, d.provider) in providers
        assert d.am_id == leads[d.lead_id].am_id
        assert d.created_at == d.updated_at == d.decided_at
        if d.status == "approved":
            assert d.decline_reason is None
            credited[d.lead_id] += d.amount
        else:
            assert d.status == "declined" and d.decline_reason in reasons
            assert d.method == "card" or d.decline_reason not in {
                "3-D Secure failed",
                "card expired",
            }
    for lead_id, lead in leads.items():
        before = crm["start"].get(lead_id)
        start = before.balance if before else Decimal("0.00")
        assert lead.balance == start + credited[lead_id]


def test_the_ftd_is_the_first_approved_deposit_and_converts_the_lead(simulated):
    engine, crm, last, results = simulated
    by_lead = defaultdict(list)
    for d in rows_of(engine, "deposit_attempts"):
        by_lead[d.lead_id].append(d)
    leads = {lead.id: lead for lead in rows_of(engine, "leads")}
    ftds = 0
    for lead_id, attempts in by_lead.items():
        approved = [d for d in attempts if d.status == "approved"]
        first_time = [d for d in attempts if d.is_ftd]
        before = crm["start"].get(lead_id)
        if before is not None and before.ftd_at is not None or not approved:
            assert first_time == []
            continue
        assert first_time == approved[:1]
        assert leads[lead_id].ftd_at == first_time[0].created_at
        assert leads[lead_id].status == "converted"
        ftds += 1
    assert ftds == sum(r.ftds for r in results)


def test_a_deposit_is_a_self_deposit_when_no_am_called_before_it(simulated):
    engine, crm, last, results = simulated
    calls = defaultdict(list)
    for c in rows_of(engine, "calls"):
        calls[c.lead_id].append(c.started_at)
    for d in rows_of(engine, "deposit_attempts"):
        called = any(at < d.created_at for at in calls[d.lead_id])
        assert d.is_self_deposit == (d.status == "approved" and (d.am_id is None or not called))


def test_platform_activity_leaves_lead_versions_alone_but_moves_updated_at(simulated):
    engine, crm, last, results = simulated
    sessions = rows_of(engine, "platform_sessions")
    logged_in = {s.lead_id for s in sessions if s.login_at > START}
    deposited = {d.lead_id for d in rows_of(engine, "deposit_attempts") if d.status == "approved"}
    touched = 0
    for lead in rows_of(engine, "leads"):
        before = crm["start"].get(lead.id)
        if before is None:
            continue
        assert lead.version == before.version
        assert (lead.am_id, lead.is_starred, lead.priority) == (
            before.am_id,
            before.is_starred,
            before.priority,
        )
        if lead.id in logged_in or lead.id in deposited:
            assert START < lead.updated_at <= last
            touched += 1
        else:
            assert lead.updated_at == before.updated_at
        if lead.id in logged_in:
            assert lead.last_login_at == max(s.login_at for s in sessions if s.lead_id == lead.id)
    assert touched
    # Every row a tick wrote carries that tick's time in updated_at, for the ETL's watermark.
    for table in ("calls", "deposit_attempts", "email_outbox"):
        assert all(
            START < row.updated_at <= last
            for row in rows_of(engine, table)
            if row.created_at > START
        )


def test_a_tick_that_fails_writes_nothing(brokerage, monkeypatch):
    engine, crm = brokerage
    from crm.actions import mail

    def broken_mail(*args, **kwargs):
        raise RuntimeError("the mail templates are gone")

    # Where the simulator's mails (welcome through the action layer, reach you) are rendered.
    monkeypatch.setattr(mail, "render_email", broken_mail)
    tables = ("leads", "platform_sessions", "calls", "deposit_attempts", "email_outbox")
    before = {table: rows_of(engine, table) for table in tables}
    with pytest.raises(RuntimeError, match="templates are gone"):
        run_ticks(engine, ticks=1, rate=500.0)
    assert {table: rows_of(engine, table) for table in tables} == before


def test_same_seed_and_clock_give_the_same_rows(brokerage, request, tmp_path):
    engine, _ = brokerage
    twin, drop_twin = twin_engine(engine, request, tmp_path)
    try:
        build_crm(twin)
        _, results = run_ticks(engine, ticks=40, rate=3.0, seed=5, dt=5.0)
        run_ticks(twin, ticks=40, rate=3.0, seed=5, dt=5.0)
        for table in ("leads", "platform_sessions", "calls", "deposit_attempts", "email_outbox"):
            assert rows_of(engine, table) == rows_of(twin, table), table
        assert all(
            sum(getattr(r, kind) for r in results)
            for kind in ("registrations", "logins", "logouts", "calls", "deposits")
        )
    finally:
        twin.dispose()
        drop_twin()


@pytest.mark.postgres
def test_sqlite_and_postgresql_get_the_same_rows(
    tmp_path, postgres_server, migrated_postgres_template, migrated_sqlite_template
):
    path = tmp_path / "crm.sqlite"
    shutil.copyfile(migrated_sqlite_template, path)
    name = postgres_server.create_database(template=migrated_postgres_template)
    engines = [create_crm_engine(f"sqlite:///{path}"), create_crm_engine(postgres_server.url(name))]
    try:
        for engine in engines:
            build_crm(engine)
            last, _ = run_ticks(engine, ticks=30, rate=3.0, seed=8, dt=5.0)
        for table in ("leads", "platform_sessions", "calls", "deposit_attempts", "email_outbox"):
            assert simulated_rows(engines[0], table, last) == simulated_rows(
                engines[1], table, last
            ), table
    finally:
        for engine in engines:
            engine.dispose()
        postgres_server.drop_database(name)


def simulated_rows(engine: sa.Engine, table: str, last: datetime) -> list[tuple]:
    """The rows, with the simulated clock's stamps as they are and the database's own marked
    as such: a row a tick writes twice keeps its ``updated_at`` the second time, so the database
    stamps it (migration 0007) from its own clock, which each database reads apart."""
    stamped = T[table].c.keys().index("updated_at")
    return [
        tuple("stamped by the database" if i == stamped and value > last else value
              for i, value in enumerate(row))
        for row in rows_of(engine, table)
    ]  # fmt: skip


def twin_engine(engine: sa.Engine, request: pytest.FixtureRequest, tmp_path: Path):
    """A second migrated, empty CRM on the same kind of database as ``engine``; its remover."""
    if engine.dialect.name == "sqlite":
        path = tmp_path / "twin.sqlite"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_template"), path)
        return create_crm_engine(f"sqlite:///{path}"), lambda: None
    server = request.getfixturevalue("postgres_server")
    name = server.create_database(template=request.getfixturevalue("migrated_postgres_template"))
    return create_crm_engine(server.url(name)), lambda: server.drop_database(name)


def test_the_rate_is_the_average_number_of_events_a_second(crm_engine):
    # Enough leads that logins always find someone offline.
    build_crm(crm_engine, leads=600)
    ticks, rate = 120, 4.0
    _, results = run_ticks(crm_engine, ticks=ticks, rate=rate, dt=2.0)
    drawn = sum(r.logins + r.deposits for r in results)
    # Logouts are not drawn but come at the session hazard; before the number online has
    # settled (4 minutes into a 12-minute mean session) the drawn events carry the rate alone.
    # Logins and deposits are 0.62 of it (calls, once 0.32, come from the AMs on shift).
    expected = ticks * 2.0 * rate / 1.56
    assert 0.8 * 0.62 * expected < drawn < 1.2 * 0.62 * expected
    # Registrations: 0.06 of it, times how busy the markets are at 09:00 UTC on a Monday
    # (morning in Europe, evening in Asia, night in the Americas; Mondays bring 1.0 / 0.864 of
    # an average weekday's share).
    busy = floor.market_rhythm(START).sum()
    assert 1.0 < busy < 1.3
    registrations = sum(r.registrations for r in results)
    assert 0.5 * 0.06 * busy * expected < registrations < 1.6 * 0.06 * busy * expected
    deposits = rows_of(crm_engine, "deposit_attempts")
    declined = sum(d.status == "declined" for d in deposits) / len(deposits)
    assert 0.05 < declined < 0.35
