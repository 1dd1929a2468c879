"""The Online and Online advanced pages (F2) on the small hand-built CRM
(tests/etl/small_crm.py), run at AS_OF (2026-03-10 12:00 UTC).

Hand-worked: only Ana Lima is online (her session of 11:50 is open and was seen at 11:58: online
until 12:03, 5 minutes after; Cara's open session was last seen on 03-09). Who is online is read
from the CRM at the page's "now" (live); the rest is the warehouse's, as of the run. Ana: Alan's
(Conversion A), contacted, 500.00 BRL = 100.00 USD, one deposit of 200.00 USD on 03-09 15:00,
last call 03-10 08:00, local time in Sao Paulo (UTC-3).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from crm.db import create_crm_engine
from dashboard import exports
from dashboard.data import LIVE_TICK_S
from etl.extract import CrmSource
from etl.run import run_etl
from tests.etl.small_crm import AS_OF, T
from tests.pages.conftest import build_warehouse, captions
from warehouse import warehouse_paths

ONLINE = "pages/online.py"
ADVANCED = "pages/online_advanced.py"


@pytest.mark.parametrize("page", [ONLINE, ADVANCED])
def test_the_lead_online_with_local_time_and_since_when(open_page, small_warehouse, page):
    at = open_page(page, small_warehouse, now="2026-03-10T12:02:30+00:00")
    assert not at.exception
    table = at.dataframe[0].value
    assert table["lead_name"].tolist() == ["Ana Lima"]
    ana = table.iloc[0]
    assert ana["online_since"] == pd.Timestamp("2026-03-10 11:50", tz="UTC")
    assert ana["local_time"] == pd.Timestamp("2026-03-10 09:02")
    assert ana["inside_calling_hours"]
    assert ana["am_name"] == "Alan Ames"
    assert ana["priority_reasons"] == "online now; failed deposit 2026-03-10; logged in today"
    assert ana["last_contacted_at"] == pd.Timestamp("2026-03-10 08:00", tz="UTC")
    assert "1 leads online" in captions(at)
    assert "data as of 12:00:00" in captions(at)
    assert "refreshes itself every 3 s" in captions(at)


def test_online_advanced_adds_the_context_for_the_call(open_page, small_warehouse):
    at = open_page(ADVANCED, small_warehouse, now="2026-03-10T12:02:30+00:00")
    ana = at.dataframe[0].value.iloc[0]
    assert (ana["status"], ana["balance"], ana["balance_usd"]) == ("contacted", "500.00 BRL", 100.0)
    assert (ana["deposits"], ana["deposit_usd"]) == (1, 200.0)
    assert ana["last_deposit_at"] == pd.Timestamp("2026-03-09 15:00", tz="UTC")
    assert ana["last_call_at"] == pd.Timestamp("2026-03-10 08:00", tz="UTC")
    # 11:50 to 12:02 (now, to the minute): 12 minutes online.
    assert ana["online_seconds"] == 12 * 60
    at.session_state["online_advanced.table"] = {"selection": {"rows": [0]}}
    at.run()
    assert "Selected: Ana Lima" in captions(at)


def test_plain_online_has_no_selection_and_fewer_columns(open_page, small_warehouse):
    at = open_page(ONLINE, small_warehouse)
    assert "balance" not in at.dataframe[0].value.columns
    assert "online_seconds" not in at.dataframe[0].value.columns


@pytest.mark.parametrize("page, prefix", [(ONLINE, "online"), (ADVANCED, "online_advanced")])
def test_team_and_am_filters(open_page, small_warehouse, page, prefix):
    at = open_page(page, small_warehouse)
    at.selectbox(key=f"{prefix}.am").select("Alan Ames").run()
    assert at.dataframe[0].value["lead_name"].tolist() == ["Ana Lima"]
    at.selectbox(key=f"{prefix}.team").select("Retention B").run()
    assert not at.exception
    assert not at.dataframe
    assert at.info[0].value == "No leads online match these filters."


@pytest.mark.parametrize("page", [ONLINE, ADVANCED])
def test_empty_crm(open_page, empty_warehouse, page):
    # The people sign in to the small CRM, where nobody is online at 13:00.
    at = open_page(page, empty_warehouse, now="2026-03-10T13:00:00+00:00")
    assert not at.exception
    assert "Nothing to show yet: the warehouse holds no leads" in at.info[0].value
    assert "python -m crm demo" in at.markdown[0].value


def test_a_new_etl_run_shows_at_the_next_refresh(open_page, migrated_sqlite_template, tmp_path):
    """The freshness line follows a new snapshot at the next refresh (Ana's logout is read
    live; tests/pages/test_real_time.py shows it needs no ETL run)."""
    link = build_warehouse(migrated_sqlite_template, tmp_path, fill=True)
    at = open_page(ONLINE, link)
    assert at.dataframe[0].value["lead_name"].tolist() == ["Ana Lima"]

    crm = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    engine = create_crm_engine(crm)
    later = AS_OF + timedelta(minutes=1)
    with engine.begin() as connection:
        # Ana logs out at 12:00:30.
        sessions = T["platform_sessions"]
        logout = AS_OF + timedelta(seconds=30)
        connection.execute(
            sa.update(sessions)
            .where(sessions.c.id == 2)
            .values(logout_at=logout, updated_at=logout)
        )
    engine.dispose()
    source = CrmSource(crm)
    try:
        run_etl(source, warehouse_paths(link), now=lambda: later)
    finally:
        source.close()

    # The next refresh comes LIVE_REFRESH_S after the last, past the live read's tick (a run
    # of the ETL on this small CRM can take less than the tick).
    time.sleep(LIVE_TICK_S)
    at.run()  # what the refresh does; the query cache was not cleared
    assert not at.exception
    assert "data as of 12:01:00" in captions(at)
    assert at.info[0].value == "No leads online match these filters."


@pytest.mark.parametrize("page", [ONLINE, ADVANCED])
def test_missing_warehouse_says_how_to_build_it(open_page, tmp_path, page):
    at = open_page(page, tmp_path / "nowhere.duckdb")
    assert not at.exception
    assert "run `python -m etl run` to build it" in at.info[0].value
    assert not at.dataframe


@pytest.mark.parametrize(("page", "key"), [(ONLINE, "online"), (ADVANCED, "online_advanced")])
def test_the_export_takes_the_table_the_last_refresh_showed(open_page, small_warehouse, page, key):
    # The buttons sit outside the refreshing fragment (issue 27: no export built at each
    # refresh); what they export is the table the fragment showed last.
    at = open_page(page, small_warehouse, now="2026-03-10T12:02:30+00:00")
    assert [button.label for button in at.get("download_button")] == [
        "Export CSV",
        "Export Excel",
    ]
    shown = at.session_state[f"{key}.table.export.latest"].frame
    text = exports.csv_bytes(shown).decode("utf-8")
    assert '"Ana Lima"' in text
    assert len(text.splitlines()) == 2  # the header and Ana
