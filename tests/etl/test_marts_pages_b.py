"""Every column of the marts of the pages-b pages (log report, funnel, support issues, target
board) against the small hand-built CRM (tests/etl/small_crm.py, with its pages-b block).

The expected values were worked out by hand from the rows in small_crm.py, not taken from the
ETL's output.
"""

from __future__ import annotations

from datetime import date
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
        run_etl(source, paths, now=lambda: AS_OF)
    finally:
        source.close()
    reader = Warehouse(paths)
    yield reader
    reader.close()


def rows(reader: Warehouse, query: str) -> list[dict]:
    return reader.sql(query).to_pylist()


# ---------------------------------------------------------------- mart_activity_log
def test_activity_log_is_every_call_note_mail_and_assignment(small_warehouse):
    log = rows(small_warehouse, "SELECT * FROM mart_activity_log ORDER BY occurred_at")
    columns = ["kind", "event_id", "occurred_at", "am_id", "lead_id", "detail", "summary"]
    assert [list(row) for row in log] == [columns] * len(log)
    # The welcome mails (1-4) are nobody's work; the future call 7 is quarantined. The "reach
    # you" mail to Ben went out at 10:30 on 03-10, when Bea owned him (assignment 3, 10:01).
    assert [tuple(row.values()) for row in log] == [
        (
            "assignment",
            4,
            at("02-05 09:00"),
            4,
            3,
            "retention",
            "assigned: retention by Mia Manager",
        ),
        ("assignment", 1, at("03-08 10:30"), 2, 1, "new_lead", "assigned: new lead by Mia Manager"),
        ("call", 1, at("03-08 11:00"), 2, 1, "connected", "connected, 5:00"),
        ("assignment", 2, at("03-09 09:30"), 3, 2, "new_lead", "assigned: new lead by Mia Manager"),
        ("call", 3, at("03-09 10:00"), 3, 2, "no_answer", "no answer"),
        ("note", 1, at("03-09 10:05"), 3, 2, None, "call back after work"),
        ("call", 2, at("03-09 14:00"), 2, 1, "connected", "connected, 2:00"),
        ("call", 6, at("03-10 08:00"), 2, 1, "voicemail", "voicemail"),
        ("call", 5, at("03-10 09:00"), 4, 3, "connected", "connected, 10:00"),
        (
            "assignment",
            5,
            at("03-10 09:30"),
            2,
            1,
            "failed_deposit",
            "assigned: failed deposit by Mia Manager",
        ),
        ("call", 4, at("03-10 10:00"), 3, 2, "busy", "busy"),
        ("assignment", 3, at("03-10 10:01"), 3, 2, "follow_up", "assigned: follow-up by Bea Brook"),
        ("email", 5, at("03-10 10:30"), 3, 2, "reach_you", "e-mail sent: reach you"),
    ]


# ---------------------------------------------------------------- mart_activity_daily
def test_activity_daily_is_every_am_every_day_from_the_first_activity(small_warehouse):
    daily = rows(small_warehouse, "SELECT * FROM mart_activity_daily")
    days = (date(2026, 3, 10) - date(2026, 2, 5)).days + 1  # first activity: 02-05
    assert days == 34 and len(daily) == 3 * days
    assert list(daily[0]) == [
        "am_id",
        "day",
        "am_name",
        "am_label",
        "team_id",
        "team_name",
        "calls",
        "connected_calls",
        "emails",
        "notes",
        "assignments",
    ]
    names = {
        2: ("Alan Ames", 1, "Conversion A"),
        3: ("Bea Brook", 1, "Conversion A"),
        4: ("Cid Cole", 2, "Retention B"),
    }
    for row in daily:
        assert (row["am_name"], row["team_id"], row["team_name"]) == names[row["am_id"]]
    busy = {
        (row["am_id"], row["day"]): (
            row["calls"],
            row["connected_calls"],
            row["emails"],
            row["notes"],
            row["assignments"],
        )
        for row in daily
        if row["calls"] + row["emails"] + row["notes"] + row["assignments"]
    }
    assert busy == {
        (4, date(2026, 2, 5)): (0, 0, 0, 0, 1),
        (2, date(2026, 3, 8)): (1, 1, 0, 0, 1),
        (2, date(2026, 3, 9)): (1, 1, 0, 0, 0),
        (3, date(2026, 3, 9)): (1, 0, 0, 1, 1),
        (2, date(2026, 3, 10)): (1, 0, 0, 0, 1),
        (3, date(2026, 3, 10)): (1, 0, 1, 0, 1),
        (4, date(2026, 3, 10)): (1, 1, 0, 0, 0),
    }
    assert [(row["am_id"], row["day"]) for row in daily[:3]] == [
        (2, date(2026, 2, 5)),
        (3, date(2026, 2, 5)),
        (4, date(2026, 2, 5)),
    ]


# ---------------------------------------------------------------- mart_lead_funnel
def test_lead_funnel_has_registration_first_contact_and_ftd_per_lead(small_warehouse):
    funnel = rows(small_warehouse, "SELECT * FROM mart_lead_funnel")
    # Sorted by registration. Cara's first contact is Cid's call of 03-10, long after her
    # self-deposited FTD of 02-03; Dan is nobody's and never contacted (the welcome is no contact).
    assert funnel == [
        {
            "lead_id": 3,
            "registered_at": at("02-01 08:00"),
            "am_id": 4,
            "team_id": 2,
            "first_contacted_at": at("03-10 09:00"),
            "ftd_at": at("02-03 10:00"),
        },
        {
            "lead_id": 1,
            "registered_at": at("03-08 10:00"),
            "am_id": 2,
            "team_id": 1,
            "first_contacted_at": at("03-08 11:00"),
            "ftd_at": at("03-09 15:00"),
        },
        {
            "lead_id": 2,
            "registered_at": at("03-09 09:00"),
            "am_id": 3,
            "team_id": 1,
            "first_contacted_at": at("03-09 10:00"),
            "ftd_at": None,
        },
        {
            "lead_id": 4,
            "registered_at": at("03-10 09:30"),
            "am_id": None,
            "team_id": None,
            "first_contacted_at": None,
            "ftd_at": None,
        },
    ]


# ---------------------------------------------------------------- mart_support_tickets
def test_support_tickets_one_row_per_ticket_with_lead_am_and_owner(small_warehouse):
    tickets = rows(small_warehouse, "SELECT * FROM mart_support_tickets ORDER BY opened_at")
    assert [t["ticket_id"] for t in tickets] == [4, 5, 1, 2, 3]  # by opening time
    ticket = {t["ticket_id"]: t for t in tickets}
    assert ticket[1] == {
        "ticket_id": 1,
        "lead_id": 2,
        "lead_name": "Ben Hall",
        "lead_am_id": 3,
        "lead_am_name": "Bea Brook",
        "owner_id": 3,
        "owner_name": "Bea Brook",
        "subject": "Card keeps being declined",
        "priority": "high",
        "priority_rank": 3,
        "status": "open",
        "is_open": True,
        "opened_at": at("03-09 12:05"),
        "closed_at": None,
    }
    assert ticket[4] == {
        "ticket_id": 4,
        "lead_id": 3,
        "lead_name": "Cara Vogel",
        "lead_am_id": 4,
        "lead_am_name": "Cid Cole",
        "owner_id": 4,
        "owner_name": "Cid Cole",
        "subject": "Password reset",
        "priority": "low",
        "priority_rank": 1,
        "status": "closed",
        "is_open": False,
        "opened_at": at("03-01 10:00"),
        "closed_at": at("03-02 10:00"),
    }
    # Pending is still open: it waits on someone.
    assert (ticket[3]["status"], ticket[3]["is_open"], ticket[3]["priority_rank"]) == (
        "pending",
        True,
        4,
    )
    assert (ticket[2]["owner_id"], ticket[2]["owner_name"], ticket[2]["lead_am_name"]) == (
        None,
        None,
        "Alan Ames",
    )
    assert (ticket[5]["lead_am_id"], ticket[5]["lead_am_name"], ticket[5]["owner_name"]) == (
        None,
        None,
        "Mia Manager",
    )
    assert ticket[5]["priority_rank"] == 2


# ---------------------------------------------------------------- mart_target_board
def test_target_board_one_row_per_target_with_what_was_recorded_in_its_period(small_warehouse):
    board = rows(small_warehouse, "SELECT * FROM mart_target_board ORDER BY period_start, am_id")
    assert board == [
        {
            "target_id": 3,
            "am_id": 4,
            "am_name": "Cid Cole",
            "team_id": 2,
            "team_name": "Retention B",
            "period_start": date(2026, 2, 1),
            "period_end": date(2026, 2, 28),
            "target_usd": D("300.00"),
            "recorded_usd": D("0.00"),
            "progress": 0.0,
            "recorded_deposits": 0,
            "target_ftds": 1,
            "recorded_ftds": 0,
        },
        {
            "target_id": 2,
            "am_id": 2,
            "am_name": "Alan Ames",
            "team_id": 1,
            "team_name": "Conversion A",
            "period_start": date(2026, 3, 1),
            "period_end": date(2026, 3, 31),
            "target_usd": D("500.00"),
            "recorded_usd": D("0.00"),
            "progress": 0.0,
            "recorded_deposits": 0,
            "target_ftds": 2,
            "recorded_ftds": 0,
        },
        {
            "target_id": 1,
            "am_id": 4,
            "am_name": "Cid Cole",
            "team_id": 2,
            "team_name": "Retention B",
            "period_start": date(2026, 3, 1),
            "period_end": date(2026, 3, 31),
            "target_usd": D("1000.00"),
            "recorded_usd": D("55.00"),  # deposit 4 of 03-10, on Cid's board
            "progress": 0.055,
            "recorded_deposits": 1,
            "target_ftds": 0,
            "recorded_ftds": 0,
        },
    ]
