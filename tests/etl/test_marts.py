"""Every mart column against the small hand-built CRM (tests/etl/small_crm.py).

The expected values below were worked out by hand from the rows in small_crm.py, not taken
from the ETL's output.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from etl.extract import CrmSource
from etl.run import run_etl
from tests.etl.small_crm import AS_OF, at, build_small_crm
from warehouse import warehouse_paths
from warehouse.reader import Warehouse

D = Decimal


@pytest.fixture(scope="module")
def small_warehouse(module_crm_engine, tmp_path_factory):
    crm_engine, tmp_path = module_crm_engine, tmp_path_factory.mktemp("warehouse")
    build_small_crm(crm_engine)
    paths = warehouse_paths(tmp_path / "warehouse.duckdb")
    source = CrmSource(crm_engine.url)
    try:
        summary = run_etl(source, paths, now=lambda: AS_OF)
    finally:
        source.close()
    reader = Warehouse(paths)
    reader.summary = summary
    yield reader
    reader.close()


def rows(reader: Warehouse, query: str) -> list[dict]:
    return reader.sql(query).to_pylist()


def by_key(items: list[dict], *keys: str) -> dict:
    return {
        tuple(item[k] for k in keys) if len(keys) > 1 else item[keys[0]]: item for item in items
    }


# ---------------------------------------------------------------- mart_lead_priority
def test_lead_priority_has_one_row_per_good_lead_ranked_with_reasons(small_warehouse):
    leads = rows(
        small_warehouse,
        "SELECT * FROM mart_lead_priority "
        "ORDER BY priority_score DESC, last_login_at DESC NULLS LAST, lead_id",
    )
    assert [lead["lead_id"] for lead in leads] == [2, 1, 3, 4]  # 5 is quarantined
    lead = by_key(leads, "lead_id")
    assert lead[2]["priority_score"] == 110
    assert lead[2]["priority_reasons"] == (
        "failed deposit 2026-03-09; high priority (upsale); callback due; logged in yesterday; "
        "new registration"
    )
    assert lead[1]["priority_score"] == 100
    assert lead[1]["priority_reasons"] == "online now; failed deposit 2026-03-10; logged in today"
    assert lead[3]["priority_score"] == 65
    assert lead[3]["priority_reasons"] == (
        "came back after 27 days away; logged in yesterday; low balance"
    )
    assert lead[4]["priority_score"] == 50
    assert lead[4]["priority_reasons"] == "logged in today; new registration"


def test_lead_priority_owner_and_profile_columns(small_warehouse):
    lead = by_key(rows(small_warehouse, "SELECT * FROM mart_lead_priority"), "lead_id")
    ana = lead[1]
    assert ana["lead_name"] == "Ana Lima"
    assert (ana["email"], ana["phone"], ana["country"]) == (
        "ana@mail.example",
        "+447000000001",
        "BR",
    )
    assert (ana["time_zone"], ana["language"], ana["source"]) == (
        "America/Sao_Paulo",
        "en",
        "organic",
    )
    assert (ana["status"], ana["desk"], ana["am_id"], ana["am_name"], ana["team_name"]) == (
        "contacted",
        "conversion",
        2,
        "Alan Ames",
        "Conversion A",
    )
    assert (ana["is_starred"], ana["priority"], ana["compliance_status"]) == (
        False,
        "normal",
        "not_started",
    )
    assert ana["registered_at"] == at("03-08 10:00")
    assert ana["ftd_at"] == at("03-09 15:00")
    assert ana["callback_at"] is None
    assert lead[2]["is_starred"] is True and lead[2]["callback_at"] == at("03-10 18:00")
    assert lead[3]["desk"] == "retention" and lead[3]["team_name"] == "Retention B"
    assert lead[4]["am_id"] is None and lead[4]["am_name"] is None


def test_lead_priority_login_columns(small_warehouse):
    lead = by_key(rows(small_warehouse, "SELECT * FROM mart_lead_priority"), "lead_id")
    assert (
        lead[1]["last_login_at"],
        lead[1]["days_since_login"],
        lead[1]["came_back_after_days"],
        lead[1]["logins"],
        lead[1]["online_now"],
    ) == (at("03-10 11:50"), 0, 2, 2, True)
    assert (
        lead[2]["last_login_at"],
        lead[2]["days_since_login"],
        lead[2]["came_back_after_days"],
        lead[2]["logins"],
        lead[2]["online_now"],
    ) == (at("03-09 09:05"), 1, None, 1, False)
    # Cara's session of 03-09 was never closed, but she has not been seen since 20:30.
    assert (
        lead[3]["last_login_at"],
        lead[3]["days_since_login"],
        lead[3]["came_back_after_days"],
        lead[3]["logins"],
        lead[3]["online_now"],
    ) == (at("03-09 20:00"), 1, 27, 3, False)
    assert (lead[4]["days_since_login"], lead[4]["online_now"]) == (0, False)


def test_lead_priority_money_and_deposit_columns(small_warehouse):
    lead = by_key(rows(small_warehouse, "SELECT * FROM mart_lead_priority"), "lead_id")
    assert (lead[1]["balance"], lead[1]["currency"], lead[1]["balance_usd"]) == (
        D("500.00"),
        "BRL",
        D("100.00"),
    )
    assert (lead[3]["balance"], lead[3]["currency"], lead[3]["balance_usd"]) == (
        D("40.00"),
        "EUR",
        D("44.00"),
    )
    assert (lead[1]["deposits"], lead[1]["deposit_usd"], lead[1]["last_deposit_at"]) == (
        1,
        D("200.00"),
        at("03-09 15:00"),
    )
    assert (lead[3]["deposits"], lead[3]["deposit_usd"], lead[3]["last_deposit_at"]) == (
        2,
        D("165.00"),
        at("03-10 09:30"),
    )
    # Dan's two attempts were quarantined: the mart knows of no deposit.
    assert (lead[4]["deposits"], lead[4]["deposit_usd"], lead[4]["last_deposit_at"]) == (
        0,
        D("0.00"),
        None,
    )
    assert [lead[i]["open_failed_deposit"] for i in (1, 2, 3, 4)] == [True, True, False, False]


def test_lead_priority_last_contact_is_a_call_mail_or_note_never_the_welcome(small_warehouse):
    lead = by_key(rows(small_warehouse, "SELECT * FROM mart_lead_priority"), "lead_id")
    assert (lead[1]["last_contacted_at"], lead[1]["last_call_at"]) == (
        at("03-10 08:00"),
        at("03-10 08:00"),
    )
    assert (lead[2]["last_contacted_at"], lead[2]["last_call_at"]) == (
        at("03-10 10:30"),
        at("03-10 10:00"),
    )
    assert lead[3]["last_contacted_at"] == at("03-10 09:00")
    assert (lead[4]["last_contacted_at"], lead[4]["last_call_at"]) == (None, None)


# ---------------------------------------------------------------- mart_payments
def test_payments_one_row_per_good_attempt(small_warehouse):
    payments = rows(small_warehouse, "SELECT * FROM mart_payments ORDER BY created_at")
    assert [p["deposit_id"] for p in payments] == [3, 5, 1, 2, 4]  # 6 and 7 quarantined
    p = by_key(payments, "deposit_id")
    assert p[1] == {
        "deposit_id": 1,
        "lead_id": 1,
        "lead_name": "Ana Lima",
        "country": "BR",
        "time_zone": "America/Sao_Paulo",
        "lead_desk": "conversion",
        "am_id": 2,
        "am_name": "Alan Ames",
        "team_name": "Conversion A",
        "method": "card",
        "provider": "Stripe",
        "status": "approved",
        "decline_reason": None,
        "amount": D("1000.00"),
        "currency": "BRL",
        "amount_usd": D("200.00"),
        "is_self_deposit": False,
        "is_ftd": True,
        "crm_is_ftd": True,
        "on_target_board": False,
        "created_at": at("03-09 15:00"),
        "decided_at": at("03-09 15:00"),
        "counted_at": at("03-09 15:00"),
        "reviewed_at": None,
        "upsale_assigned_at": None,
    }
    assert (p[5]["status"], p[5]["decline_reason"], p[5]["am_name"]) == (
        "declined",
        "3-D Secure failed",
        "Bea Brook",
    )
    assert (p[3]["is_self_deposit"], p[3]["is_ftd"], p[3]["amount_usd"]) == (
        True,
        True,
        D("110.00"),
    )
    assert [p[i]["on_target_board"] for i in (1, 2, 3, 4, 5)] == [False, False, False, True, False]


# ---------------------------------------------------------------- mart_agent_daily
def test_agent_daily_is_every_am_every_day_with_zeros(small_warehouse):
    daily = rows(small_warehouse, "SELECT * FROM mart_agent_daily")
    days = (date(2026, 3, 10) - date(2026, 2, 3)).days + 1  # first data: Cid's FTD on 02-03
    assert len(daily) == 3 * days
    assert {d["am_id"] for d in daily} == {2, 3, 4}
    quiet = by_key(daily, "am_id", "day")[(3, date(2026, 2, 20))]
    assert (
        quiet["calls"],
        quiet["connected_calls"],
        quiet["call_ratio"],
        quiet["talk_seconds"],
        quiet["deposits"],
        quiet["deposit_usd"],
        quiet["ftds"],
        quiet["failed_deposits"],
        quiet["assigned_leads"],
    ) == (0, 0, None, 0, 0, D("0.00"), 0, 0, 0)
    assert sum(d["calls"] for d in daily) == 6 and sum(d["connected_calls"] for d in daily) == 3


@pytest.mark.parametrize(
    "am_id, day, expected",
    [
        # calls, connected, ratio, talk s, deposits, usd, ftds, failed, assigned
        (2, date(2026, 3, 8), (1, 1, 1.0, 300, 0, D("0.00"), 0, 0, 1)),
        (2, date(2026, 3, 9), (1, 1, 1.0, 120, 1, D("200.00"), 1, 0, 0)),
        (2, date(2026, 3, 10), (1, 0, 0.0, 0, 0, D("0.00"), 0, 1, 1)),
        (3, date(2026, 3, 9), (1, 0, 0.0, 0, 0, D("0.00"), 0, 1, 1)),
        (3, date(2026, 3, 10), (1, 0, 0.0, 0, 0, D("0.00"), 0, 0, 1)),
        (4, date(2026, 2, 3), (0, 0, None, 0, 1, D("110.00"), 1, 0, 0)),
        (4, date(2026, 2, 5), (0, 0, None, 0, 0, D("0.00"), 0, 0, 1)),
        (4, date(2026, 3, 10), (1, 1, 1.0, 600, 1, D("55.00"), 0, 0, 0)),
    ],
)
def test_agent_daily_values(small_warehouse, am_id, day, expected):
    row = by_key(rows(small_warehouse, "SELECT * FROM mart_agent_daily"), "am_id", "day")[
        (am_id, day)
    ]
    assert (
        row["calls"],
        row["connected_calls"],
        row["call_ratio"],
        row["talk_seconds"],
        row["deposits"],
        row["deposit_usd"],
        row["ftds"],
        row["failed_deposits"],
        row["assigned_leads"],
    ) == expected
    names = {
        2: ("Alan Ames", "Conversion A", "conversion"),
        3: ("Bea Brook", "Conversion A", "conversion"),
        4: ("Cid Cole", "Retention B", "retention"),
    }
    assert (row["am_name"], row["team_name"], row["desk"]) == names[am_id]
    assert row["is_active"] is True


# ---------------------------------------------------------------- mart_daily_kpa
@pytest.mark.parametrize(
    "day, expected",
    [
        # registrations, ftds, deposits, usd, failed, calls, connected, ratio, conversion
        (date(2026, 2, 1), (1, 0, 0, D("0.00"), 0, 0, 0, None, 0.0)),
        (date(2026, 2, 3), (0, 1, 1, D("110.00"), 0, 0, 0, None, None)),
        (date(2026, 3, 8), (1, 0, 0, D("0.00"), 0, 1, 1, 1.0, 0.0)),
        (date(2026, 3, 9), (1, 1, 1, D("200.00"), 1, 2, 1, 0.5, 1.0)),
        (date(2026, 3, 10), (1, 0, 1, D("55.00"), 1, 3, 1, 0.3333, 0.0)),
    ],
)
def test_daily_kpa_values(small_warehouse, day, expected):
    kpa = by_key(rows(small_warehouse, "SELECT * FROM mart_daily_kpa"), "day")
    assert len(kpa) == (date(2026, 3, 10) - date(2026, 2, 1)).days + 1
    row = kpa[day]
    assert (
        row["registrations"],
        row["ftds"],
        row["deposits"],
        row["deposit_usd"],
        row["failed_deposits"],
        row["calls"],
        row["connected_calls"],
        row["call_ratio"],
        row["conversion_rate"],
    ) == expected


# ---------------------------------------------------------------- quarantine and run log
def test_bad_rows_are_quarantined_with_their_reason_and_counted(small_warehouse):
    quarantine = {
        (q["table_name"], q["row_key"]): q["reason"]
        for q in rows(small_warehouse, "SELECT * FROM quarantine")
    }
    assert quarantine == {
        ("leads", "5"): "malformed email not-an-email",
        ("calls", "7"): "started_at in the future",
        ("deposit_attempts", "6"): "amount missing or not positive",
        ("deposit_attempts", "7"): "unknown currency XYZ",
        ("platform_sessions", "8"): "lead 5 is missing or quarantined",
    }
    summary = small_warehouse.summary
    assert summary.quarantined == 5  # every row readers find in quarantine, the orphan too
    assert "5 quarantined" in summary.line()
    run = rows(small_warehouse, "SELECT rows_quarantined FROM etl_runs")[-1]
    assert run["rows_quarantined"] == 5
    tables = by_key(rows(small_warehouse, "SELECT * FROM etl_run_tables"), "table_name")
    held = {
        name: row["rows_quarantined"] for name, row in tables.items() if row["rows_quarantined"]
    }
    assert held == {"leads": 1, "calls": 1, "deposit_attempts": 2, "platform_sessions": 1}


def test_run_is_logged_with_rows_and_watermarks(small_warehouse):
    run = rows(small_warehouse, "SELECT * FROM etl_runs")[-1]
    assert (run["status"], run["mode"], run["as_of"]) == ("succeeded", "full", AS_OF)
    assert run["rows_landed"] == 50 + 7  # every row of small_crm.ROWS, and the pages-b block
    tables = by_key(rows(small_warehouse, "SELECT * FROM etl_run_tables"), "table_name")
    assert tables["calls"]["rows_landed"] == 7 and tables["calls"]["rows_quarantined"] == 1
    # The newest call is stamped 03-11 09:00, after the run: the watermark stops at the run's
    # own moment, so that the calls written until 03-11 are still read.
    assert tables["calls"]["watermark"] == AS_OF
    assert tables["leads"]["watermark"] < AS_OF
    fresh = small_warehouse.query("freshness").to_pylist()[0]
    assert fresh["as_of"] == AS_OF and fresh["finished_at"] > datetime(
        2026, 1, 1, tzinfo=timezone.utc
    )


# ---------------------------------------------------------------- snapshot macros
@pytest.mark.parametrize(
    ("zone", "local", "inside"),
    [
        # 2026-03-10 12:00 UTC, worked out by hand from each zone's offset that day.
        ("Europe/London", "12:00", True),  # GMT
        ("Asia/Tokyo", "21:00", False),  # UTC+9: after 20:00
        ("America/New_York", "08:00", False),  # EDT since 8 March: before 09:00
        ("America/Sao_Paulo", "09:00", True),  # UTC-3: 09:00 is the first minute inside
        ("Asia/Kolkata", "17:30", True),  # UTC+5:30
        (None, None, None),  # a zone the warehouse does not know: no local time
    ],
)
def test_snapshots_carry_local_time_and_calling_hours_macros(small_warehouse, zone, local, inside):
    found = small_warehouse.sql(
        "SELECT strftime(local_time($zone, $now), '%H:%M') AS local, "
        "inside_calling_hours($zone, $now, 540, 1200) AS inside",
        {"zone": zone, "now": AS_OF},
    ).to_pylist()
    assert found == [{"local": local, "inside": inside}]
