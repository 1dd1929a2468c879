"""The floor's day and history that keeps its people (issue 23, items 2 and 5), on the small
brokerage of tests/etl/floor_crm.py: a floor in Asia/Nicosia (UTC+2 in March), calls at 21:30
and 22:30 UTC, an AM moved to another team, one promoted and one deactivated mid-period.

Every expected value was worked out by hand from the rows of small_crm.py and floor_crm.py (the
docstring of floor_crm.py lists the calls by the floor's day)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crm import staff
from etl.extract import CrmSource
from etl.run import run_etl
from tests.etl.floor_crm import FLOOR_ZONE, build_floor_crm
from tests.etl.small_crm import AS_OF, at
from tests.etl.test_incremental import snapshot
from warehouse import warehouse_paths
from warehouse.reader import Warehouse

D = Decimal
MARCH_8, MARCH_9, MARCH_10 = date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10)


def etl(engine, paths, zone: str, full: bool = False, moment=AS_OF):
    source = CrmSource(engine.url)
    try:
        return run_etl(source, paths, full=full, now=lambda: moment, floor_zone=zone)
    finally:
        source.close()


@pytest.fixture(scope="module")
def floor(module_crm_engine, tmp_path_factory):
    crm_engine, tmp_path = module_crm_engine, tmp_path_factory.mktemp("warehouse")
    build_floor_crm(crm_engine)
    paths = warehouse_paths(tmp_path / "warehouse.duckdb")
    etl(crm_engine, paths, FLOOR_ZONE)
    reader = Warehouse(paths)
    yield reader
    reader.close()


def rows(reader: Warehouse, query: str, **params) -> list[dict]:
    return reader.sql(query, **params).to_pylist() if params else reader.sql(query).to_pylist()


def calls_by_day(reader: Warehouse) -> dict[date, tuple[int, int]]:
    found = rows(
        reader,
        "SELECT day, calls, connected_calls FROM mart_daily_kpa "
        "WHERE day BETWEEN DATE '2026-03-08' AND DATE '2026-03-10'",
    )
    return {r["day"]: (r["calls"], r["connected_calls"]) for r in found}


def test_a_call_counts_on_the_floors_day(floor):
    # 21:30 UTC is 23:30 in Nicosia (still 03-09); 22:30 UTC is 00:30 on 03-10.
    assert calls_by_day(floor) == {MARCH_8: (1, 1), MARCH_9: (3, 2), MARCH_10: (4, 2)}


def test_the_same_calls_on_a_utc_floor_fall_on_utc_days(crm_engine, tmp_path):
    build_floor_crm(crm_engine)
    paths = warehouse_paths(tmp_path / "warehouse.duckdb")
    etl(crm_engine, paths, "UTC")
    reader = Warehouse(paths)
    try:
        assert calls_by_day(reader) == {MARCH_8: (1, 1), MARCH_9: (4, 3), MARCH_10: (3, 1)}
        assert reader.sql("SELECT floor_zone() AS zone").to_pylist() == [{"zone": "UTC"}]
    finally:
        reader.close()


AGENT_DAYS = {
    # (am_id, day): (calls, connected, talk s, deposits, USD, failed, team_id, team, desk, label)
    (2, MARCH_8): (1, 1, 300, 0, D("0.00"), 0, 1, "Conversion A", "conversion",
                   "Alan Ames (now sales manager)"),
    (2, MARCH_9): (1, 1, 120, 1, D("200.00"), 0, 1, "Conversion A", "conversion",
                   "Alan Ames (now sales manager)"),
    (2, MARCH_10): (2, 1, 60, 0, D("0.00"), 1, 1, "Conversion A", "conversion",
                    "Alan Ames (now sales manager)"),
    (3, MARCH_8): (0, 0, 0, 0, D("0.00"), 0, 1, "Conversion A", "conversion",
                   "Bea Brook (now in Retention B)"),
    (3, MARCH_9): (2, 1, 240, 0, D("0.00"), 1, 1, "Conversion A", "conversion",
                   "Bea Brook (now in Retention B)"),
    (3, MARCH_10): (1, 0, 0, 0, D("0.00"), 0, 2, "Retention B", "retention", "Bea Brook"),
    (4, MARCH_8): (0, 0, 0, 0, D("0.00"), 0, 2, "Retention B", "retention",
                   "Cid Cole (deactivated)"),
    (4, MARCH_9): (0, 0, 0, 0, D("0.00"), 0, 2, "Retention B", "retention",
                   "Cid Cole (deactivated)"),
    (4, MARCH_10): (1, 1, 600, 1, D("55.00"), 0, 2, "Retention B", "retention",
                    "Cid Cole (deactivated)"),
}  # fmt: skip


def test_each_am_keeps_their_days_in_the_team_they_were_in(floor):
    found = rows(
        floor,
        "SELECT * FROM mart_agent_daily "
        "WHERE day BETWEEN DATE '2026-03-08' AND DATE '2026-03-10' ORDER BY am_id, day",
    )
    got = {
        (r["am_id"], r["day"]): (
            r["calls"],
            r["connected_calls"],
            r["talk_seconds"],
            r["deposits"],
            r["deposit_usd"],
            r["failed_deposits"],
            r["team_id"],
            r["team_name"],
            r["desk"],
            r["am_label"],
        )
        for r in found
    }
    assert got == AGENT_DAYS
    alan = next(r for r in found if r["am_id"] == 2)
    assert (alan["am_name"], alan["role_now"], alan["is_active"]) == (
        "Alan Ames",
        "sales_manager",
        True,
    )


def test_the_ams_of_every_day_add_up_to_the_floor(floor):
    # On every day of mart_daily_kpa: the AMs' calls, connected calls and deposits are the
    # floor's (every approved deposit of this CRM has an AM).
    differences = rows(
        floor,
        """
        select kpa.day, kpa.calls, kpa.connected_calls, kpa.deposits,
            coalesce(sum(am.calls), 0) as am_calls,
            coalesce(sum(am.connected_calls), 0) as am_connected,
            coalesce(sum(am.deposits), 0) as am_deposits
        from mart_daily_kpa as kpa
        left join mart_agent_daily as am using (day)
        group by all
        having kpa.calls <> am_calls or kpa.connected_calls <> am_connected
            or kpa.deposits <> am_deposits
        """,
    )
    assert differences == []


def test_team_subtotals_follow_the_team_of_the_day(floor):
    found = rows(
        floor,
        "SELECT day, team_id, sum(calls) AS calls FROM mart_agent_daily "
        "WHERE day IN (DATE '2026-03-09', DATE '2026-03-10') GROUP BY ALL ORDER BY ALL",
    )
    assert [(r["day"], r["team_id"], r["calls"]) for r in found] == [
        (MARCH_9, 1, 3),  # Alan 1, Bea 2 (before her move)
        (MARCH_9, 2, 0),  # Cid
        (MARCH_10, 1, 2),  # Alan (promoted at 11:00, after his calls)
        (MARCH_10, 2, 2),  # Bea 1 (moved at 01:00), Cid 1
    ]


@pytest.mark.parametrize(
    ("team_id", "expected"),
    [
        (1, {"calls": 2, "connected_calls": 1, "deposits": 0, "deposit_usd": D("0.00")}),
        (2, {"calls": 2, "connected_calls": 1, "deposits": 1, "deposit_usd": D("55.00")}),
        (None, {"calls": 4, "connected_calls": 2, "deposits": 1, "deposit_usd": D("55.00")}),
    ],
)
def test_sales_window_of_the_floors_today_by_the_team_of_then(floor, team_id, expected):
    # The floor's 03-10 so far: from its midnight (03-09 22:00 UTC) to the run (12:00 UTC).
    found = floor.query(
        "sales_window", start=at("03-09 22:00"), end=AS_OF, team_id=team_id, am_id=None
    ).to_pylist()[0]
    assert {key: found[key] for key in expected} == expected


def test_a_new_floor_zone_rebuilds_and_incremental_equals_full(crm_engine, tmp_path):
    build_floor_crm(crm_engine)
    kept = warehouse_paths(tmp_path / "kept" / "warehouse.duckdb")
    etl(crm_engine, kept, "UTC", full=True)
    summary = etl(crm_engine, kept, FLOOR_ZONE)
    assert summary.mode == "incremental"
    fresh = warehouse_paths(tmp_path / "fresh" / "warehouse.duckdb")
    etl(crm_engine, fresh, FLOOR_ZONE, full=True)
    assert snapshot(kept) == snapshot(fresh)
    reader = Warehouse(kept)
    try:
        assert calls_by_day(reader) == {MARCH_8: (1, 1), MARCH_9: (3, 2), MARCH_10: (4, 2)}
    finally:
        reader.close()


def test_a_team_change_reaches_an_incremental_run(crm_engine, tmp_path):
    build_floor_crm(crm_engine)
    kept = warehouse_paths(tmp_path / "kept" / "warehouse.duckdb")
    etl(crm_engine, kept, FLOOR_ZONE)
    # Bea back to Conversion A at 12:30 UTC (14:30 in Nicosia): her last team of 03-10.
    staff.set_role(
        crm_engine,
        actor_id=None,
        command_line=True,
        staff_id=3,
        role="account_manager",
        desk="conversion",
        team_id=1,
        now=at("03-10 12:30"),
    )
    later = at("03-10 13:00")
    assert etl(crm_engine, kept, FLOOR_ZONE, moment=later).mode == "incremental"
    fresh = warehouse_paths(tmp_path / "fresh" / "warehouse.duckdb")
    etl(crm_engine, fresh, FLOOR_ZONE, full=True, moment=later)
    assert snapshot(kept) == snapshot(fresh)
    reader = Warehouse(kept)
    try:
        bea = rows(
            reader,
            "SELECT day, team_id, am_label FROM mart_agent_daily "
            "WHERE am_id = 3 AND day >= DATE '2026-03-09' ORDER BY day",
        )
    finally:
        reader.close()
    assert bea == [
        {"day": MARCH_9, "team_id": 1, "am_label": "Bea Brook"},
        {"day": MARCH_10, "team_id": 1, "am_label": "Bea Brook"},
    ]


def test_the_staff_actions_keep_each_persons_history(crm_engine):
    build_floor_crm(crm_engine)
    # Alan, promoted, then moved back to an AM of Retention B a day later.
    staff.set_role(
        crm_engine,
        actor_id=None,
        command_line=True,
        staff_id=2,
        role="account_manager",
        desk="retention",
        team_id=2,
        now=at("03-11 09:00"),
    )
    with crm_engine.connect() as connection:
        history = connection.exec_driver_sql(
            "SELECT role, desk, team_id, is_active, valid_from, valid_to FROM staff_history "
            "WHERE staff_id = 2 ORDER BY valid_from, id"
        ).all()
    # small_crm wrote Alan without history: his state before the first change is kept first.
    got = [(r[0], r[1], r[2], bool(r[3])) for r in history]
    assert got == [
        ("account_manager", "conversion", 1, True),
        ("sales_manager", None, None, True),
        ("account_manager", "retention", 2, True),
    ]
    assert history[-1][5] is None  # the last is open


def test_the_log_reports_days_follow_the_team_of_the_day(floor):
    found = rows(
        floor,
        "SELECT am_id, day, am_label, team_id, calls, connected_calls FROM mart_activity_daily "
        "WHERE day = DATE '2026-03-10' ORDER BY am_id",
    )
    assert found == [
        {"am_id": 2, "day": MARCH_10, "am_label": "Alan Ames (now sales manager)", "team_id": 1,
         "calls": 2, "connected_calls": 1},
        {"am_id": 3, "day": MARCH_10, "am_label": "Bea Brook", "team_id": 2, "calls": 1,
         "connected_calls": 0},
        {"am_id": 4, "day": MARCH_10, "am_label": "Cid Cole (deactivated)", "team_id": 2,
         "calls": 1, "connected_calls": 1},
    ]  # fmt: skip
