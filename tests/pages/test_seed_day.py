"""The floor's working day, end to end (issue 22, "Done when"), on the tests' hand-built CRM
(tests/etl/small_crm.py) plus a second new lead and a second owned deposit, with no ETL run
after the morning's: every page shows each step at once.

The day (Tue 10 March 2026; the warehouse was built at 12:00 UTC):

1. 12:00, Mia (lead manager), All leads, new leads only: Dan Saleh (4, Dubai, UTC+4) and Fay
   Ito (6, Madrid, UTC+1), registered today, nobody's. She assigns both to Alan with "star for
   the AM now" and a note. They leave the new leads at once.
2. Alan (AM) opens My leads: Dan and Fay, each with phone, the note, "new lead". At 12:00 UTC
   Dan's clock reads 16:00 and Fay's 13:00: both inside 09:00-20:00.
3. Alan calls Dan: no answer. The callback offered is Dan's next working morning, Wed 11 March
   10:00 in Dubai = 06:00 UTC.
4. Mia reviews both failed deposits in one go: 5 (Ben's, 3-D Secure failed) to Bea, 2 (Ana's,
   insufficient funds) to Alan, starred.
5. Mia records both owned deposits not on a board in one go: 1 (Ana's FTD, 1,000.00 BRL =
   200.00 USD, Alan's) and 8 (Cara's 20.00 EUR = 22.00 USD, Cid's): 222.00 USD.
6. 19:00 UTC, end of shift: Ben's callback (18:00 UTC) fell due and nobody called: carried
   over (Bea). Dan's callback is tomorrow in Dubai (23:00 there now): starred (Alan). Ana and
   Fay are starred without a callback due: unstarred (Alan 2).
7. Each lead's page shows its steps in its timeline (and Cara's deposit on Cid's board).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timezone

import pandas as pd
import pytest
import sqlalchemy as sa

from crm.db import create_crm_engine
from tests.etl.small_crm import T, deposit
from tests.etl.small_crm import lead as lead_row
from tests.pages.conftest import WritableCrm, build_warehouse, captions
from tests.pages.test_actions import (
    ALAN,
    BEA,
    CID,
    MIA,
    all_rows,
    lead,
    select,
    shown,
    submit,
    toasts,
)
from tests.pages.test_lead_page import open_lead, timeline

NOTE = "New today: call before noon their time"
EVENING = "2026-03-10T19:00:00+00:00"
# The timeline's times as it writes them (UTC).
EVENING_SHOWN = "2026-03-10 19:00"


def add_the_days_leads(engine: sa.Engine) -> None:
    """Fay Ito, a second new lead, and Cara's second deposit, owned by Cid."""
    with engine.begin() as connection:
        connection.execute(
            sa.insert(T["leads"]).values(
                lead_row(
                    6, "Fay", "Ito", "fay@mail.example", "ES", "Europe/Madrid", "EUR", "03-10 08:00"
                )
            )
        )
        connection.execute(
            sa.insert(T["deposit_attempts"]).values(
                deposit(
                    8, 3, CID, "20.00", "EUR", "22.00", "card", "Stripe", "approved", "03-10 11:30"
                )
            )
        )


@pytest.fixture
def day(migrated_sqlite_template, tmp_path, monkeypatch) -> WritableCrm:
    warehouse = build_warehouse(
        migrated_sqlite_template, tmp_path / "day", True, prepare=add_the_days_leads
    )
    url = f"sqlite:///{tmp_path / 'day' / 'crm.sqlite'}"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    return WritableCrm(url, warehouse)


@pytest.fixture
def crm(day) -> Iterator[sa.Engine]:
    engine = create_crm_engine(day.url)
    yield engine
    engine.dispose()


def utc_of(moment) -> datetime:
    """A time the CRM gives back (SQLite: naive UTC) as an aware UTC one."""
    moment = pd.Timestamp(moment)
    return (moment.tz_localize("UTC") if moment.tzinfo is None else moment).to_pydatetime()


def leads(engine: sa.Engine, *ids: int) -> dict[int, tuple]:
    rows = all_rows(
        engine,
        "select id, am_id, is_starred, starred_by_id, callback_at from leads order by id",
    )
    return {
        row["id"]: (row["am_id"], bool(row["is_starred"]), row["starred_by_id"])
        for row in rows
        if row["id"] in ids
    }


def test_the_floors_day(open_page, day, crm):
    # 1. The lead manager assigns the new leads to Alan, starred for him now.
    at = open_page("pages/all_leads.py", day.warehouse, staff_id=MIA)
    at.toggle(key="all_leads.new").set_value(True).run()
    assert sorted(shown(at, "all_leads.table")["lead_name"]) == ["Dan Saleh", "Fay Ito"]
    select(at, "all_leads.table", 0, 1)
    at.selectbox(key="all_leads.assign.am").select(ALAN)
    at.checkbox(key="all_leads.assign.star").check()
    at.text_input(key="all_leads.assign.note").input(NOTE)
    submit(at, "all_leads.assign").click().run()
    assert not at.error and not at.exception
    assert toasts(at) == [
        "2 leads assigned to Alan Ames (new lead), starred: on Alan Ames's list now."
    ]
    assert leads(crm, 4, 6) == {4: (ALAN, True, MIA), 6: (ALAN, True, MIA)}
    assert "No leads match these filters." in [info.value for info in at.info]

    # 2. Alan sees them at once on My leads, with phone and note.
    at = open_page("pages/my_leads.py", day.warehouse, staff_id=ALAN)
    assert not at.exception, at.exception
    assert "2 starred leads" in captions(at)
    # Both callable now; Dan logged in today, so he ranks first.
    rows = shown(at, "my_leads.table")
    assert rows[
        ["lead_name", "phone", "manager_note", "starred_because", "status"]
    ].values.tolist() == [
        ["Dan Saleh", "+447000000004", NOTE, "new lead", "assigned"],
        ["Fay Ito", "+447000000006", NOTE, "new lead", "assigned"],
    ]
    assert rows["local_time"].dt.strftime("%H:%M").tolist() == ["16:00", "13:00"]

    # 3. No answer from Dan: the callback offered is his next working morning.
    select(at, "my_leads.table", 0)
    at.radio(key="my_leads.call.outcome").set_value("no_answer").run()
    assert at.date_input(key="my_leads.call.4.day").value == date(2026, 3, 11)
    assert at.time_input(key="my_leads.call.4.time").value == time(10, 0)
    assert "Callback: Wed 11 Mar, 10:00 in Dubai" in captions(at)
    submit(at, "my_leads.call").click().run()
    assert not at.error and not at.exception
    assert toasts(at) == [
        "no answer: callback Wed 11 Mar 10:00 in the lead's time (Asia/Dubai); lead 4 assigned "
        "to Alan Ames for follow-up."
    ]
    assert all_rows(crm, "select lead_id, am_id, outcome from calls where id > 7") == [
        {"lead_id": 4, "am_id": ALAN, "outcome": "no_answer"}
    ]
    assert utc_of(lead(crm, 4)["callback_at"]) == datetime(2026, 3, 11, 6, tzinfo=timezone.utc)
    # The next lead is selected for the next call.
    assert at.session_state["my_leads.table"]["selection"]["rows"] == [1]
    # Dan's row shows the callback and the follow-up at once.
    rows = shown(at, "my_leads.table").set_index("lead_name")
    assert rows.loc["Dan Saleh", "callback_local"] == pd.Timestamp("2026-03-11 10:00")
    assert rows.loc["Dan Saleh", ["status", "starred_because"]].tolist() == [
        "follow-up",
        "follow-up",
    ]

    # 4. Two failed deposits in one go, each to its own AM with its own decline.
    at = open_page("pages/failed_deposits.py", day.warehouse, staff_id=MIA)
    assert shown(at, "failed_deposits.table")["deposit_id"].tolist() == [5, 2]
    select(at, "failed_deposits.table", 0, 1)
    submit(at, "failed_deposits.review.bulk").click().run()
    assert toasts(at) == [
        "2 failed deposits assigned with their decline reasons (Alan Ames 1, Bea Brook 1); "
        "starred: on their AMs' lists now."
    ]
    assert shown(at, "failed_deposits.table")["is_reviewed"].astype(bool).tolist() == [True, True]

    # 5. The owned deposits not on a board yet, recorded in one go.
    at.switch_page("pages/new_deposits.py").run()
    at.radio(key="new_deposits.kind").set_value("On AM-owned accounts (target board)").run()
    table = shown(at, "new_deposits.owned")
    # Not on a board first (the newest first), then the one on Cid's board.
    assert table["deposit_id"].tolist() == [8, 1, 4]
    select(at, "new_deposits.owned", 0, 1)
    submit(at, "new_deposits.owned.review.bulk").click().run()
    assert toasts(at) == [
        "2 deposits, 222.00 USD in all, recorded on their AMs' target boards "
        "(Alan Ames 1, Cid Cole 1)."
    ]
    table = shown(at, "new_deposits.owned").set_index("deposit_id")
    assert table["on_target_board"].astype(bool).to_dict() == {1: True, 8: True, 4: True}

    # 6. 19:00 UTC: end of shift, Ben's missed callback carried over.
    at = open_page("pages/star_board.py", day.warehouse, staff_id=MIA, now=EVENING)
    at.button(key="star.shift.preview").click().run()
    assert (
        "End of shift of Tue 10 Mar for the whole floor, calling hours 09:00-20:00: 2 leads to "
        "unstar, 1 lead to star, 1 missed callback carried over, 0 leads skipped."
    ) in captions(at)
    # Under the star board's own per-AM counts, the plan's per AM.
    assert at.dataframe[1].value.values.tolist() == [
        ["Alan Ames", 2, 1, 0],
        ["Bea Brook", 0, 0, 1],
    ]
    submit(at, "star.shift").click().run()
    assert toasts(at) == [
        "end of shift: 2 leads unstarred, 1 lead starred, 1 missed callback carried over."
    ]
    assert leads(crm, 1, 2, 4, 6) == {
        1: (ALAN, False, None),
        2: (BEA, True, MIA),
        4: (ALAN, True, MIA),
        6: (ALAN, False, None),
    }
    # The board shows it at once: Ben and Dan, one each.
    assert sorted(shown(at, "star.leads")["lead_name"]) == ["Ben Hall", "Dan Saleh"]
    per_am = at.dataframe[0].value
    assert per_am[["am_name", "starred"]].values.tolist() == [["Alan Ames", 1], ["Bea Brook", 1]]

    # 7. Each lead's page shows its steps of the day (12:00 to 19:00 UTC) in its timeline.
    for lead_id, steps in DAY_STEPS.items():
        page = open_lead(open_page, day.warehouse, str(lead_id), now=EVENING)
        assert not page.exception, page.exception
        events = [
            event for event in timeline(page) if "2026-03-10 12:00" <= event[0] <= EVENING_SHOWN
        ]
        assert sorted(events) == sorted(steps), lead_id


MIA_NAME, ALAN_NAME = "Mia Manager", "Alan Ames"
NEW_LEAD = f"nobody → Alan Ames; reason: new lead; note: {NOTE}"
DAY_STEPS = {
    1: [  # Ana: her failed deposit to Alan, starred; her FTD on his board; unstarred at 19:00
        ("2026-03-10 19:00", "Unstarred", MIA_NAME, "at end of shift"),
        (
            "2026-03-10 12:00",
            "Assigned",
            MIA_NAME,
            "Alan Ames → Alan Ames; reason: failed deposit; note: Deposit of 250.00 BRL by card "
            "(Stripe) declined: insufficient funds.",
        ),
        ("2026-03-10 12:00", "Starred", MIA_NAME, ""),
        (
            "2026-03-10 12:00",
            "Target board",
            MIA_NAME,
            "deposit 1 of 200.00 USD on Alan Ames's board",
        ),
    ],
    2: [  # Ben: his failed deposit to Bea (starred already); his missed callback carried over
        ("2026-03-10 19:00", "Starred", MIA_NAME, "again at end of shift"),
        (
            "2026-03-10 12:00",
            "Assigned",
            MIA_NAME,
            "Bea Brook → Bea Brook; reason: failed deposit; note: Deposit of 300.00 USD by card "
            "(Nuvei) declined: 3-D Secure failed.",
        ),
    ],
    3: [  # Cara: her 20.00 EUR on Cid's board
        (
            "2026-03-10 12:00",
            "Target board",
            MIA_NAME,
            "deposit 8 of 22.00 USD on Cid Cole's board",
        ),
    ],
    4: [  # Dan: assigned and starred, no answer (follow-up, callback), starred for tomorrow
        ("2026-03-10 19:00", "Starred", MIA_NAME, "again at end of shift"),
        ("2026-03-10 12:00", "Assigned", MIA_NAME, NEW_LEAD),
        ("2026-03-10 12:00", "Starred", MIA_NAME, ""),
        ("2026-03-10 12:00", "Assigned", ALAN_NAME, "Alan Ames → Alan Ames; reason: follow-up"),
        (
            "2026-03-10 12:00",
            "Call",
            ALAN_NAME,
            "no answer; callback set for Wed 11 Mar 10:00 (lead's time)",
        ),
    ],
    6: [  # Fay: assigned and starred, not called, no callback: unstarred at 19:00
        ("2026-03-10 19:00", "Unstarred", MIA_NAME, "at end of shift"),
        ("2026-03-10 12:00", "Assigned", MIA_NAME, NEW_LEAD),
        ("2026-03-10 12:00", "Starred", MIA_NAME, ""),
    ],
}
