"""The marts' FTDs, deposit days, credit and conversions on the FTD cases (tests/etl/ftd_crm.py).

Every expected value was worked out by hand from the rows of small_crm.py and ftd_crm.py (the
docstring of ftd_crm.py lists the new rows and why each is or is not an FTD).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from etl.extract import CrmSource
from etl.run import run_etl
from tests.etl.ftd_crm import build_ftd_crm
from tests.etl.small_crm import AS_OF, at
from warehouse import warehouse_paths
from warehouse.reader import Warehouse

D = Decimal


@pytest.fixture(scope="module")
def ftd_warehouse(module_crm_engine, tmp_path_factory):
    crm_engine, tmp_path = module_crm_engine, tmp_path_factory.mktemp("warehouse")
    build_ftd_crm(crm_engine)
    paths = warehouse_paths(tmp_path / "warehouse.duckdb")
    source = CrmSource(crm_engine.url)
    try:
        run_etl(source, paths, now=lambda: AS_OF)
    finally:
        source.close()
    reader = Warehouse(paths)
    yield reader
    reader.close()


def rows(reader: Warehouse, query: str) -> list[dict]:
    return reader.sql(query).to_pylist()


def test_payments_ftd_is_the_first_approved_deposit_and_the_crm_flag_is_kept(ftd_warehouse):
    p = {
        r["deposit_id"]: r
        for r in rows(ftd_warehouse, "SELECT * FROM mart_payments ORDER BY deposit_id")
    }
    assert sorted(p) == [1, 2, 3, 4, 5, 8, 9, 10, 11, 12]  # 6 and 7 quarantined
    # Ana's double submit: only the first approval is her FTD; Ben's charged-back FTD moved
    # to his next approved deposit; Dan's self deposit is his FTD.
    assert {i for i, r in p.items() if r["is_ftd"]} == {1, 3, 10, 12}
    assert {i for i, r in p.items() if r["crm_is_ftd"]} == {1, 3, 8, 9, 12}
    assert p[9]["status"] == "charged_back"
    # A deposit counts when it was decided: 11 was attempted on 03-09, approved on 03-10.
    assert (p[11]["created_at"], p[11]["decided_at"], p[11]["counted_at"]) == (
        at("03-09 23:50"),
        at("03-10 00:10"),
        at("03-10 00:10"),
    )
    assert p[5]["counted_at"] == at("03-09 12:00")
    assert (p[12]["am_id"], p[12]["is_self_deposit"]) == (None, True)


def test_ftd_disagreements_list_the_crm_flags_the_warehouse_does_not_follow(ftd_warehouse):
    listed = ftd_warehouse.query(
        "ftd_disagreements", first_day=date(2026, 3, 1), last_day=date(2026, 3, 10)
    )
    got = {r["deposit_id"]: (r["is_ftd"], r["crm_is_ftd"], r["reason"]) for r in listed.to_pylist()}
    assert got == {
        8: (False, True, "flagged by the CRM, but Ana Lima's FTD is an earlier approved deposit"),
        9: (False, True, "flagged by the CRM, but charged back"),
        10: (True, False, "the first approved deposit of Ben Hall, not flagged by the CRM"),
    }


@pytest.mark.parametrize(
    "day, expected",
    [
        # registrations, ftds, deposits, usd, failed, same-day ratio, cohort ftds, cohort conv.
        (date(2026, 2, 3), (0, 1, 1, D("110.00"), 0, None, 0, None)),
        (date(2026, 3, 8), (1, 0, 0, D("0.00"), 0, 0.0, 1, 1.0)),
        (date(2026, 3, 9), (1, 1, 2, D("400.00"), 1, 1.0, 1, 1.0)),
        (date(2026, 3, 10), (1, 2, 4, D("177.00"), 1, 2.0, 1, 1.0)),
    ],
)
def test_daily_kpa_counts_deposits_on_their_approval_day(ftd_warehouse, day, expected):
    kpa = {r["day"]: r for r in rows(ftd_warehouse, "SELECT * FROM mart_daily_kpa")}
    row = kpa[day]
    assert (
        row["registrations"],
        row["ftds"],
        row["deposits"],
        row["deposit_usd"],
        row["failed_deposits"],
        row["conversion_rate"],
        row["cohort_ftds"],
        row["cohort_conversion"],
    ) == expected
    # A day's cohort closes once its last registration had 7 whole days: 03-02's on 03-10.
    assert (
        kpa[date(2026, 3, 2)]["is_cohort_closed"],
        kpa[date(2026, 3, 3)]["is_cohort_closed"],
    ) == (
        True,
        False,
    )


@pytest.mark.parametrize(
    "am_id, day, expected",
    [
        # deposits, usd, ftds, failed
        (2, date(2026, 3, 9), (2, D("400.00"), 1, 0)),
        (3, date(2026, 3, 9), (0, D("0.00"), 0, 1)),
        (3, date(2026, 3, 10), (1, D("60.00"), 1, 0)),
        (4, date(2026, 3, 9), (0, D("0.00"), 0, 0)),
        (4, date(2026, 3, 10), (2, D("77.00"), 0, 0)),
    ],
)
def test_agent_daily_credits_the_am_on_the_approval_day(ftd_warehouse, am_id, day, expected):
    row = rows(
        ftd_warehouse,
        f"SELECT * FROM mart_agent_daily WHERE am_id = {am_id} AND day = DATE '{day}'",
    )[0]
    assert (row["deposits"], row["deposit_usd"], row["ftds"], row["failed_deposits"]) == expected


def test_the_floor_minus_the_ams_is_the_deposits_credited_to_no_am(ftd_warehouse):
    (ams,) = rows(
        ftd_warehouse,
        "SELECT sum(deposits) AS d, sum(deposit_usd) AS usd, sum(ftds) AS f "
        "FROM mart_agent_daily WHERE day = DATE '2026-03-10'",
    )
    assert (ams["d"], ams["usd"], ams["f"]) == (3, D("137.00"), 1)
    credit = ftd_warehouse.query(
        "deposit_credit", first_day=date(2026, 3, 10), last_day=date(2026, 3, 10)
    )
    got = {r["credit"]: (r["deposits"], r["deposit_usd"], r["ftds"]) for r in credit.to_pylist()}
    assert got == {
        "credited to an AM": (3, D("137.00"), 1),
        "not credited to an AM (self deposits)": (1, D("40.00"), 1),
    }


def test_target_board_counts_a_deposit_at_its_status_and_amount_now(ftd_warehouse):
    board = {r["target_id"]: r for r in rows(ftd_warehouse, "SELECT * FROM mart_target_board")}
    # Bea: the charged-back 100.00 counts nothing; the 60.00 recorded as 50.00 counts 60.00.
    bea = board[4]
    assert (
        bea["recorded_deposits"],
        bea["recorded_usd"],
        bea["recorded_ftds"],
        bea["progress"],
    ) == (
        1,
        D("60.00"),
        1,
        0.15,
    )
    cid = board[1]
    assert (cid["recorded_deposits"], cid["recorded_usd"], cid["recorded_ftds"]) == (
        1,
        D("55.00"),
        0,
    )


def test_funnel_ftd_is_the_approval_of_the_warehouse_ftd(ftd_warehouse):
    funnel = {
        r["lead_id"]: r["ftd_at"] for r in rows(ftd_warehouse, "SELECT * FROM mart_lead_funnel")
    }
    assert funnel == {
        1: at("03-09 15:00"),
        2: at("03-10 07:00"),
        3: at("02-03 10:00"),
        4: at("03-10 11:00"),
    }


@pytest.mark.parametrize(
    "moment, expected",
    [
        ("2026-02-27 12:00", 0.0),  # before the period
        ("2026-03-02 08:00", 0.0),  # the first working day, before 09:00
        ("2026-03-02 13:30", 0.0227),  # half of its 09:00-18:00: 0.5 / 22
        ("2026-03-07 15:00", 0.2273),  # a Saturday: the week's 5 days / 22
        ("2026-03-10 12:00", 0.2879),  # 6 days and a third / 22
        ("2026-04-02 10:00", 1.0),  # after the period
    ],
)
def test_expected_share_of_a_march_target(ftd_warehouse, moment, expected):
    (row,) = rows(
        ftd_warehouse,
        "SELECT round(expected_share(DATE '2026-03-01', DATE '2026-03-31', "
        f"TIMESTAMPTZ '{moment}+00'), 4) AS share",
    )
    assert row["share"] == expected
