"""The mart columns the lead and deposit pages added (mart_lead_priority: version, online_since;
mart_payments: reviewed_at, upsale_assigned_at), on the small hand-built CRM
(tests/etl/small_crm.py) and on it with a few follow-ups written here.

Expected values are worked out by hand from those rows, not taken from the ETL's output.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from etl.extract import CrmSource
from etl.run import run_etl
from tests.etl.small_crm import AS_OF, T, assignment, at, build_small_crm, session
from warehouse import warehouse_paths
from warehouse.reader import Warehouse

# Follow-ups the small CRM lacks (ids from 61, clear of it):
# - Ana opens a second session on another device at 11:40, still seen at 11:59 (online);
# - an upsale assignment of Ana at 03-09 14:00, before her FTD of 15:00 (does not count for it);
# - an upsale assignment of Cara on 03-10 10:30, after both her deposits;
# - a note on Ben at 03-09 13:00, an hour after his declined deposit of 12:00;
# - Ben's lead changed three more times (version 4).
FOLLOW_UPS = {
    "platform_sessions": [session(61, 1, "03-10 11:40", "03-10 11:59", None)],
    "assignments": [
        assignment(61, 1, 2, 2, "conversion", "upsale", "03-09 14:00"),
        assignment(62, 3, 4, 4, "retention", "upsale", "03-10 10:30"),
    ],
    "notes": [
        dict(
            id=61,
            lead_id=2,
            author_id=3,
            body="card declined: will try wire",
            created_at=at("03-09 13:00"),
            updated_at=at("03-09 13:00"),
        )
    ],
}


def warehouse_of(engine: sa.Engine, folder) -> Warehouse:
    paths = warehouse_paths(folder / "warehouse.duckdb")
    source = CrmSource(engine.url)
    try:
        run_etl(source, paths, now=lambda: AS_OF)
    finally:
        source.close()
    return Warehouse(paths)


@pytest.fixture(scope="module")
def small(module_crm_engine, tmp_path_factory):
    crm_engine, tmp_path = module_crm_engine, tmp_path_factory.mktemp("warehouse")
    build_small_crm(crm_engine)
    reader = warehouse_of(crm_engine, tmp_path)
    yield reader
    reader.close()


@pytest.fixture
def followed_up(crm_engine, tmp_path):
    build_small_crm(crm_engine)
    with crm_engine.begin() as connection:
        for name, rows in FOLLOW_UPS.items():
            connection.execute(sa.insert(T[name]), rows)
        connection.execute(sa.update(T["leads"]).where(T["leads"].c.id == 2).values(version=4))
    reader = warehouse_of(crm_engine, tmp_path)
    yield reader
    reader.close()


def column(reader: Warehouse, table: str, key: str, name: str) -> dict:
    rows = reader.sql(f"SELECT {key}, {name} FROM {table}").to_pylist()
    return {row[key]: row[name] for row in rows}


def test_online_since_is_the_live_sessions_login(small):
    # Ana's session of 11:50 is open and seen at 11:58; Cara's open one was last seen 03-09.
    assert column(small, "mart_lead_priority", "lead_id", "online_since") == {
        1: at("03-10 11:50"),
        2: None,
        3: None,
        4: None,
    }


def test_online_since_takes_the_earliest_of_two_live_sessions(followed_up):
    assert column(followed_up, "mart_lead_priority", "lead_id", "online_since")[1] == at(
        "03-10 11:40"
    )


def test_version_is_the_leads_change_counter(small):
    assert column(small, "mart_lead_priority", "lead_id", "version") == {1: 1, 2: 1, 3: 1, 4: 1}


def test_version_follows_the_leads_changes(followed_up):
    assert column(followed_up, "mart_lead_priority", "lead_id", "version")[2] == 4


def test_a_declined_deposit_is_reviewed_by_a_later_failed_deposit_assignment(small):
    # Ana's decline of 03-10 09:00 was assigned as failed_deposit at 09:30; Ben's of 03-09 12:00
    # has only a note from 10:05 (before it) and a follow_up assignment: still open.
    assert column(small, "mart_payments", "deposit_id", "reviewed_at") == {
        1: None,
        2: at("03-10 09:30"),
        3: None,
        4: None,
        5: None,
    }


def test_a_note_after_the_decline_reviews_it_too(followed_up):
    reviewed = column(followed_up, "mart_payments", "deposit_id", "reviewed_at")
    assert (reviewed[2], reviewed[5]) == (at("03-10 09:30"), at("03-09 13:00"))
    # A note on an approved deposit's lead is no review of it.
    assert (reviewed[1], reviewed[3], reviewed[4]) == (None, None, None)


def test_no_upsale_assignment_in_the_small_crm(small):
    assert set(column(small, "mart_payments", "deposit_id", "upsale_assigned_at").values()) == {
        None
    }


def test_upsale_assigned_at_is_the_first_upsale_assignment_after_the_deposit(followed_up):
    upsale = column(followed_up, "mart_payments", "deposit_id", "upsale_assigned_at")
    # Ana's upsale assignment (14:00) came before her FTD (15:00); Cara's after both deposits;
    # declined attempts are never upsale candidates.
    assert upsale == {1: None, 2: None, 3: at("03-10 10:30"), 4: at("03-10 10:30"), 5: None}
