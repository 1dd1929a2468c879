"""The demo brokerage: realistic proportions, a consistent history, reproducible, all or nothing.

The proportions are the ones a real sales floor shows (issue: the foundation). Consistency is
checked by recomputing each derived value from the raw rows here, independently of the generator.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import phonenumbers
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from crm.db import create_crm_engine
from crm.demo import build_demo
from crm.models import Base, Lead
from tests.conftest import migrate_to_head

UNTIL = datetime(2026, 11, 20, 18, 0, tzinfo=timezone.utc)
LEADS, DAYS, SEED = 4_000, 60, 11
T = Base.metadata.tables


def make_demo(url: str, *, seed: int = SEED, leads: int = LEADS, days: int = DAYS) -> sa.Engine:
    migrate_to_head(url)
    engine = create_crm_engine(url)
    build_demo(engine, leads=leads, days=days, seed=seed, until=UNTIL, progress=None)
    return engine


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def demo(request, tmp_path_factory) -> sa.Engine:
    """One demo CRM per database for the whole module (it is only read)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'crm.sqlite'}"
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.url(server.create_database())
    engine = make_demo(url)
    yield engine
    engine.dispose()


def rows(engine: sa.Engine, table: str, order_by: str | None = None) -> list[sa.Row]:
    table_ = T[table]
    key = order_by or next(iter(table_.primary_key.columns)).name
    with engine.connect() as connection:
        return connection.execute(sa.select(table_).order_by(table_.c[key])).all()


def share(items, predicate) -> float:
    items = list(items)
    return sum(1 for item in items if predicate(item)) / len(items)


# ---------------------------------------------------------------- proportions of a real floor
def test_connected_calls_are_a_quarter_to_a_third(demo):
    calls = rows(demo, "calls")
    assert len(calls) > 10 * 1000
    assert 0.25 <= share(calls, lambda c: c.outcome == "connected") <= 0.35


def test_five_to_ten_percent_of_leads_convert(demo):
    leads = rows(demo, "leads")
    assert len(leads) == LEADS
    assert 0.05 <= share(leads, lambda lead: lead.ftd_at is not None) <= 0.10


def test_a_tenth_to_a_quarter_of_deposit_attempts_are_declined_with_a_real_reason(demo):
    attempts = rows(demo, "deposit_attempts")
    assert 0.10 <= share(attempts, lambda d: d.status == "declined") <= 0.25
    reasons = {d.decline_reason for d in attempts if d.status == "declined"}
    assert reasons == {
        "insufficient funds",
        "3-D Secure failed",
        "do not honour",
        "card expired",
        "limit exceeded",
        "provider timeout",
    }
    assert all(d.decline_reason is None for d in attempts if d.status != "declined")
    card_only = {"3-D Secure failed", "card expired"}
    assert all(d.method == "card" for d in attempts if d.decline_reason in card_only)


def test_a_decided_attempt_has_its_decision_time_and_a_pending_one_none(demo):
    attempts = rows(demo, "deposit_attempts")
    assert any(d.status == "pending" for d in attempts)
    for d in attempts:
        if d.status == "pending":
            assert d.decided_at is None
        else:
            # The provider answers within seconds of the attempt.
            assert d.created_at <= d.decided_at <= d.created_at + timedelta(seconds=5)


def test_every_lead_time_zone_is_a_real_iana_zone_across_regions(demo):
    zones = {lead.time_zone for lead in rows(demo, "leads")}
    assert zones <= zoneinfo.available_timezones()
    regions = {zone.split("/")[0] for zone in zones}
    assert {"Europe", "America", "Asia", "Africa"} <= regions
    assert "Asia/Dubai" in zones or "Asia/Riyadh" in zones  # the Middle East


def test_every_zone_the_demo_and_simulator_give_is_one_the_crm_and_warehouse_take():
    """Leads (the demo and the simulator draw from the markets) and teams: a zone that the
    action layer refuses, or that DuckDB does not know, would leave the lead's local time blank."""
    from crm.demo import reference
    from crm.time_zones import is_time_zone

    zones = {zone for market in reference.MARKETS for zone in market.time_zones}
    zones |= {zone for _name, _desk, zone in reference.TEAMS}
    warehouse = {name for (name,) in duckdb.sql("SELECT name FROM pg_timezone_names()").fetchall()}
    assert [zone for zone in sorted(zones) if not is_time_zone(zone)] == []
    assert sorted(zones - warehouse) == []


def test_deposits_are_long_tailed_in_several_currencies(demo):
    approved = [d for d in rows(demo, "deposit_attempts") if d.status == "approved"]
    assert len({d.currency for d in approved}) >= 5
    usd = sorted(d.amount_usd for d in approved)
    median, p99 = usd[len(usd) // 2], usd[int(len(usd) * 0.99)]
    assert p99 > 5 * median  # a long tail: a few whales
    assert all(d.amount > 0 for d in approved)


def test_registrations_follow_a_weekly_rhythm(demo):
    per_day: dict = defaultdict(int)
    for lead in rows(demo, "leads"):
        per_day[lead.registered_at.date()] += 1
    weekday = [n for day, n in per_day.items() if day.weekday() < 5]
    weekend = [n for day, n in per_day.items() if day.weekday() >= 5]
    assert sum(weekday) / len(weekday) > 1.2 * sum(weekend) / len(weekend)


def test_logins_fade_after_registration_and_some_leads_come_back(demo):
    registered = {lead.id: lead.registered_at for lead in rows(demo, "leads")}
    logins: dict = defaultdict(list)
    for session in rows(demo, "platform_sessions"):
        logins[session.lead_id].append(session.login_at)
    first_week = later_week = 0
    came_back = 0
    for lead_id, times in logins.items():
        start = registered[lead_id]
        first_week += sum(1 for t in times if t < start + timedelta(days=7))
        later_week += sum(
            1 for t in times if start + timedelta(days=21) <= t < start + timedelta(days=28)
        )
        times.sort()
        if any(b - a >= timedelta(days=21) for a, b in zip(times, times[1:], strict=False)):
            came_back += 1
    assert first_week > 3 * later_week
    # About 2 % of the leads of a 60-day history (7 % of a 90-day one's): weeks of silence
    # need a history long enough to hold them.
    assert came_back > LEADS * 0.015


def test_three_or_more_teams_on_both_desks_with_targets(demo):
    staff = rows(demo, "staff")
    ams = [s for s in staff if s.role == "account_manager" and s.is_active]
    assert len({s.team_id for s in ams}) >= 3
    assert {s.desk for s in ams} == {"conversion", "retention"}
    assert {s.role for s in staff} == {
        "admin",
        "sales_manager",
        "lead_manager",
        "account_manager",
        "executive",
    }
    month_start = UNTIL.date().replace(day=1)
    targeted = {t.am_id for t in rows(demo, "am_targets") if t.period_start == month_start}
    assert {s.id for s in ams} <= targeted


def test_the_floor_has_work_in_every_state(demo):
    leads = rows(demo, "leads")
    statuses = {lead.status for lead in leads}
    assert {"new", "follow_up", "contacted", "converted", "retention"} <= statuses
    assert any(lead.is_starred for lead in leads)
    assert any(lead.priority == "high" for lead in leads)
    tickets = rows(demo, "support_tickets")
    assert {"open", "closed"} <= {t.status for t in tickets}
    reasons = {a.reason for a in rows(demo, "assignments")}
    assert {"new_lead", "follow_up", "failed_deposit", "upsale", "retention"} <= reasons


# ---------------------------------------------------------------- a believable floor
def calls_by_am_and_day(demo) -> dict[tuple[int, date], list]:
    """Each AM's calls by the AM's own local date, in order."""
    zone = {s.id: zoneinfo.ZoneInfo(s.time_zone) for s in rows(demo, "staff")}
    days: dict = defaultdict(list)
    for call in rows(demo, "calls", order_by="started_at"):
        days[(call.am_id, call.started_at.astimezone(zone[call.am_id]).date())].append(call)
    return days


def ended(call) -> datetime:
    return call.started_at + timedelta(seconds=call.duration_s)


def test_an_am_s_calls_never_overlap_and_fit_a_shift_with_breaks_on_working_days(demo):
    days = calls_by_am_and_day(demo)
    assert len(days) > 300
    for (am_id, day), calls in days.items():
        assert day.weekday() < 5, (am_id, day)  # Monday to Friday, the CRM's default
        for call, following in zip(calls, calls[1:], strict=False):
            # The next dial comes after the hang-up and at least 15 s of wrap-up.
            assert following.started_at >= ended(call) + timedelta(seconds=15), (am_id, call)
        # A shift: 8:00 at the earliest, 9 h at the most from the first dial to the last
        # hang-up, and a lunch break (45 minutes) in any day longer than 5 hours.
        span = ended(calls[-1]) - calls[0].started_at
        assert span <= timedelta(hours=9), (am_id, day, span)
        if span > timedelta(hours=5):
            gaps = [b.started_at - ended(a) for a, b in zip(calls, calls[1:], strict=False)]
            assert max(gaps) >= timedelta(minutes=45), (am_id, day)


def test_an_am_s_shift_is_daytime_in_the_am_s_own_zone(demo):
    zone = {s.id: zoneinfo.ZoneInfo(s.time_zone) for s in rows(demo, "staff")}
    for call in rows(demo, "calls"):
        local = call.started_at.astimezone(zone[call.am_id])
        # Shifts start between 08:00 and 10:00 and last 8.5 h (a call may run on 30 minutes).
        assert 8 <= local.hour + local.minute / 60 < 19, (call.am_id, local)


def working_days(demo) -> list[tuple[int, date]]:
    """Every working day of every AM in the demo: a date in the AM's own zone that is one of
    the floor's working days (Monday to Friday, the CRM's default) and not one of their leave
    (``am_leave``), on or after the day the AM joined (``staff.created_at``: the demo's floor
    takes on AMs as its book grows), strictly between the demo's first and last dates there
    (so that the whole shift is inside the history). AMs who left have none: they own
    nothing and make no calls.
    """
    out = []
    away = defaultdict(list)
    for spell in rows(demo, "am_leave"):
        away[spell.am_id].append((spell.first_day, spell.last_day))
    for person in rows(demo, "staff"):
        if person.role != "account_manager" or not person.is_active:
            continue
        zone = zoneinfo.ZoneInfo(person.time_zone)
        first = max(
            (UNTIL - timedelta(days=DAYS)).astimezone(zone).date() + timedelta(days=1),
            person.created_at.astimezone(zone).date(),
        )
        last = UNTIL.astimezone(zone).date() - timedelta(days=1)
        out += [
            (person.id, first + timedelta(days=d))
            for d in range((last - first).days + 1)
            if (first + timedelta(days=d)).weekday() < 5
            and not any(a <= first + timedelta(days=d) <= b for a, b in away[person.id])
        ]
    return out


def test_an_am_talks_two_to_five_hours_every_working_day(demo):
    days = calls_by_am_and_day(demo)
    talk = {key: sum(c.duration_s for c in calls) / 3600 for key, calls in days.items()}
    assert max(talk.values()) <= 5
    working = working_days(demo)
    # Every AM of both desks, from early in the history (the first AMs start within days).
    staff = {s.id: s for s in rows(demo, "staff")}
    assert {staff[am].desk for am, _day in working} == {"conversion", "retention"}
    assert len(working) > 300
    assert min(day for _am, day in working) <= (UNTIL - timedelta(days=DAYS - 7)).date()
    short = [(am, day, talk.get((am, day), 0)) for am, day in working]
    assert [item for item in short if not 2 <= item[2] <= 5] == []


def test_an_am_calls_only_from_the_day_they_joined(demo):
    staff = {s.id: s for s in rows(demo, "staff")}
    for call in rows(demo, "calls"):
        assert call.started_at >= staff[call.am_id].created_at, call
    # Each AM on the phone joined the floor an hour before their first shift.
    first = {}
    for call in rows(demo, "calls", order_by="started_at"):
        first.setdefault(call.am_id, call.started_at)
    for am_id, at in first.items():
        assert at - staff[am_id].created_at < timedelta(hours=1, minutes=10), am_id


def test_registrations_follow_each_market_s_own_day(demo):
    hours = [
        lead.registered_at.astimezone(zoneinfo.ZoneInfo(lead.time_zone)).hour
        for lead in rows(demo, "leads")
    ]
    # Of the 112 parts of a day's registrations, 7 fall between midnight and 06:00 local time
    # and 41 between 17:00 and 22:00 (6 % and 37 %).
    night = sum(1 for h in hours if h < 6) / len(hours)
    evening = sum(1 for h in hours if 17 <= h < 22) / len(hours)
    assert night < 0.09
    assert evening > 0.30


def test_most_deposits_of_worked_leads_come_within_hours_of_a_connected_call(demo):
    talks: dict = defaultdict(list)
    for call in rows(demo, "calls"):
        if call.outcome == "connected":
            talks[call.lead_id].append(ended(call))
    worked = [
        d for d in rows(demo, "deposit_attempts") if d.status == "approved" and d.am_id is not None
    ]
    assert len(worked) > 500
    after_a_talk = [
        d
        for d in worked
        if any(timedelta(0) <= d.created_at - t <= timedelta(hours=4) for t in talks[d.lead_id])
    ]
    assert len(after_a_talk) / len(worked) > 0.6


def test_staff_have_unique_realistic_names_without_numbers(demo):
    from crm.demo.reference import NAMES

    staff = rows(demo, "staff")
    names = [s.name for s in staff]
    assert len(set(names)) == len(names)
    assert len({s.email for s in staff}) == len(staff)
    for person in staff:
        assert not any(ch.isdigit() for ch in person.name + person.email), person.name
        first, last = person.name.split(" ", 1)
        assert any(first in firsts for firsts, _lasts in NAMES.values()), person.name
        assert any(last in lasts for _firsts, lasts in NAMES.values()), person.name
    # A floor's people share their team's markets: Conversion MENA's from the Arabic or
    # Turkish lists.
    teams = {t.id: t.name for t in rows(demo, "teams")}
    for person in staff:
        if person.team_id is not None and teams[person.team_id] == "Conversion MENA":
            first, last = person.name.split(" ", 1)
            assert first in NAMES["ar"][0] + NAMES["tr"][0], person.name


def test_every_phone_is_a_valid_number_of_the_lead_s_country_in_e164(demo):
    for lead in rows(demo, "leads"):
        number = phonenumbers.parse(lead.phone)
        assert phonenumbers.is_valid_number_for_region(number, lead.country), lead.phone
        assert lead.phone == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# ---------------------------------------------------------------- a consistent history
def test_usd_amounts_are_the_exact_conversion_at_the_book_rate(demo):
    rate = {c.code: Decimal(c.usd_rate) for c in rows(demo, "currencies")}
    for d in rows(demo, "deposit_attempts"):
        expected = (d.amount * rate[d.currency]).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert d.amount_usd == expected, d


def test_the_ftd_is_each_converted_lead_s_first_approved_deposit(demo):
    first_approved: dict = {}
    ftd_rows: dict = defaultdict(list)
    for d in rows(demo, "deposit_attempts", order_by="created_at"):
        if d.status == "approved":
            first_approved.setdefault(d.lead_id, d)
        if d.is_ftd:
            ftd_rows[d.lead_id].append(d)
    for lead in rows(demo, "leads"):
        if lead.ftd_at is None:
            assert lead.id not in ftd_rows
            continue
        assert len(ftd_rows[lead.id]) == 1
        assert ftd_rows[lead.id][0].id == first_approved[lead.id].id
        assert first_approved[lead.id].created_at == lead.ftd_at


def test_last_login_is_the_latest_session_and_nothing_is_in_the_future(demo):
    latest: dict = {}
    for session in rows(demo, "platform_sessions"):
        latest[session.lead_id] = max(
            latest.get(session.lead_id, session.login_at), session.login_at
        )
        assert session.login_at <= session.last_seen_at <= UNTIL
    for lead in rows(demo, "leads"):
        assert lead.last_login_at == latest[lead.id]
        assert lead.registered_at <= UNTIL and lead.updated_at <= UNTIL
    for call in rows(demo, "calls"):
        # Recorded when it ended: no call is still going on at the demo's "now".
        assert call.started_at + timedelta(seconds=call.duration_s) <= UNTIL
    # The ETL reads changes by updated_at: no row may be stamped after the demo's "now".
    with demo.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for stamp in ("created_at", "updated_at"):
                if stamp in table.c:
                    latest = connection.execute(sa.select(sa.func.max(table.c[stamp]))).scalar()
                    assert latest is None or latest <= UNTIL, (table.name, stamp, latest)


def test_owners_are_active_account_managers_on_the_lead_s_desk(demo):
    staff = {s.id: s for s in rows(demo, "staff")}
    for lead in rows(demo, "leads"):
        if lead.am_id is None:
            assert lead.status == "new" or lead.ftd_at is not None
            continue
        owner = staff[lead.am_id]
        assert owner.role == "account_manager" and owner.is_active
        assert owner.desk == lead.desk
    assert all(staff[c.am_id].role == "account_manager" for c in rows(demo, "calls"))


def test_balances_are_what_was_deposited_moved_by_trading(demo):
    deposited: dict = defaultdict(Decimal)
    for d in rows(demo, "deposit_attempts"):
        if d.status == "approved":
            deposited[d.lead_id] += d.amount
    for lead in rows(demo, "leads"):
        assert Decimal("0") <= lead.balance <= deposited[lead.id] * Decimal("1.15")


def test_target_board_holds_only_approved_deposits_of_the_owning_am(demo):
    deposits = {d.id: d for d in rows(demo, "deposit_attempts")}
    entries = rows(demo, "target_board_entries")
    assert entries
    for entry in entries:
        deposit = deposits[entry.deposit_id]
        assert deposit.status == "approved" and not deposit.is_self_deposit
        assert deposit.am_id == entry.am_id and deposit.amount_usd == entry.amount_usd


def test_every_lead_got_one_welcome_email(demo):
    welcomes: dict = defaultdict(int)
    for mail in rows(demo, "email_outbox"):
        if mail.template == "welcome":
            welcomes[mail.lead_id] += 1
            assert mail.body.startswith("Hello ")
    assert len(welcomes) == LEADS and set(welcomes.values()) == {1}


def test_demo_keeps_the_schema_whole_and_marks_itself(demo):
    with demo.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        setting = connection.execute(
            sa.select(T["crm_settings"].c.value).where(T["crm_settings"].c.key == "demo")
        ).scalar_one()
    assert diff == []  # the indexes and foreign keys dropped for the bulk load are back
    assert setting == "true"


# ---------------------------------------------------------------- reproducible, all or nothing
def dump(engine: sa.Engine) -> dict[str, list[tuple]]:
    return {
        name: [tuple(row) for row in rows(engine, name)]
        for name in T
        if name not in ("crm_settings", "audit_log")
    }


def test_same_seed_gives_the_same_brokerage_on_either_database(demo, tmp_path):
    again = make_demo(f"sqlite:///{tmp_path / 'again.sqlite'}")
    assert dump(again) == dump(demo)
    other = make_demo(f"sqlite:///{tmp_path / 'other.sqlite'}", seed=SEED + 1)
    assert dump(other)["leads"] != dump(demo)["leads"]


def test_new_rows_get_fresh_ids_after_the_demo(demo):
    with demo.begin() as connection:
        before = connection.scalar(sa.select(sa.func.max(Lead.id)))
        new_id = connection.execute(
            sa.insert(Lead)
            .values(
                first_name="Ana",
                last_name="Lima",
                email="ana@example.com",
                phone="+5511999",
                country="BR",
                time_zone="America/Sao_Paulo",
                language="pt",
                source="organic",
                registered_at=UNTIL,
            )
            .returning(Lead.id)
        ).scalar_one()
        assert new_id > before
        connection.execute(sa.delete(Lead).where(Lead.id == new_id))


def test_an_interrupted_demo_leaves_the_crm_empty(crm_engine):
    class Interrupt:
        def write(self, text):
            raise KeyboardInterrupt  # as if Ctrl-C came after the first chunk was written

        def flush(self):
            pass

    with pytest.raises(KeyboardInterrupt):
        build_demo(crm_engine, leads=300, days=10, seed=1, until=UNTIL, progress=Interrupt())
    with crm_engine.connect() as connection:
        for name in T:
            assert connection.scalar(sa.select(sa.func.count()).select_from(T[name])) == 0, name
        indexes = sa.inspect(connection).get_indexes("platform_sessions")
    assert {i["name"] for i in indexes} >= {"ix_platform_sessions_lead_id"}
