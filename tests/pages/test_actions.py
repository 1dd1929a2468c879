"""The action widgets (dashboard/actions.py) on the pages, acting on a CRM of each test's own
with the small hand-built brokerage (tests/etl/small_crm.py), whose warehouse the ETL built at
AS_OF (Tuesday 2026-03-10 12:00 UTC); the pages' "now" is AS_OF, so every action is stamped
12:00 UTC. No ETL runs after an action: what the page shows then comes from the widget.

Hand-worked from small_crm.py, every lead at version 1:
  1 Ana Lima   Alan's (2), conversion, contacted, Sao Paulo (UTC-3), not starred
  2 Ben Hall   Bea's (3), conversion, follow_up, London, starred by Mia at 08:00, high priority,
               callback 03-10 18:00 UTC
  3 Cara Vogel Cid's (4), retention, Berlin (UTC+1); self deposit #3 of 02-03
  4 Dan Saleh  nobody's, conversion, new, Dubai
Staff: 1 Mia (lead manager), 2 Alan and 3 Bea (conversion AMs), 4 Cid (retention AM).
Rows already there: assignments 1-5, notes 1, calls 1-7, target board entry 1.
The All leads table lists Ben, Ana, Cara, Dan (rows 0-3).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time

import pandas as pd
import pytest
import sqlalchemy as sa

from crm import actions as crm_actions
from crm.db import create_crm_engine
from tests.pages.conftest import captions

MIA, ALAN, BEA, CID = 1, 2, 3, 4
AS_OF_ISO = "2026-03-10T12:00:00+00:00"
ALL_LEADS = "pages/all_leads.py"
STAR_BOARD = "pages/star_board.py"
STATE_BEFORE = {
    "compliance_status": "not_started",
    "is_starred": False,
    "starred_by_id": None,
    "starred_at": None,
    "priority": "normal",
    "callback_at": None,
}


@pytest.fixture
def crm(writable_crm) -> Iterator[sa.Engine]:
    engine = create_crm_engine(writable_crm.url)
    yield engine
    engine.dispose()


def one(engine: sa.Engine, sql: str, **params) -> dict:
    with engine.connect() as connection:
        return dict(connection.execute(sa.text(sql), params).one()._mapping)


def all_rows(engine: sa.Engine, sql: str, **params) -> list[dict]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(sa.text(sql), params)]


def lead(engine: sa.Engine, lead_id: int) -> dict:
    return one(
        engine,
        "select am_id, desk, status, is_starred, starred_by_id, priority, callback_at, version "
        "from leads where id = :id",
        id=lead_id,
    )


def audit(engine: sa.Engine) -> list[dict]:
    rows = all_rows(
        engine, "select action_id, actor_id, action, lead_id, before, after, at from audit_log"
    )
    for row in rows:
        for column in ("before", "after"):
            if isinstance(row[column], str):
                row[column] = json.loads(row[column])
    return rows


def select(at, table_key: str, *rows: int) -> None:
    at.session_state[table_key] = {"selection": {"rows": list(rows)}}
    at.run()


def submit(at, form: str):
    """The button of the widget ``form``: its key holds the widget's action id."""
    return at.button(key=f"{form}.submit.{at.session_state[f'{form}.action_id']}")


def toasts(at) -> list[str]:
    return [toast.value for toast in at.toast]


def shown(at, key: str) -> pd.DataFrame:
    return at.dataframe(key=key).value


# Assign --------------------------------------------------------------------------------------


def test_assign_writes_the_lead_its_assignment_and_audit_and_shows_at_once(
    open_page, writable_crm, crm
):
    at = open_page(ALL_LEADS, writable_crm.warehouse, staff_id=MIA)
    select(at, "all_leads.table", 3)  # Dan
    assert "Selected: Dan Saleh" in captions(at)
    # Dan is on the conversion desk: its active AMs only; retention offers Cid alone.
    assert at.selectbox(key="all_leads.assign.am").options == ["Alan Ames", "Bea Brook"]
    at.selectbox(key="all_leads.assign.reason").select("retention").run()
    assert at.selectbox(key="all_leads.assign.am").options == ["Cid Cole"]
    at.selectbox(key="all_leads.assign.reason").select("new_lead").run()

    at.selectbox(key="all_leads.assign.am").select(ALAN)
    at.text_input(key="all_leads.assign.note").input("speaks Arabic and English")
    submit(at, "all_leads.assign").click().run()

    assert not at.exception
    assert not at.error
    assert toasts(at) == [
        "1 lead assigned to Alan Ames (new lead), not on Alan Ames's list yet: star it to put it "
        "there."
    ]
    assert lead(crm, 4) | {"callback_at": None} == {
        "am_id": ALAN,
        "desk": "conversion",
        "status": "assigned",
        "is_starred": 0,
        "starred_by_id": None,
        "priority": "normal",
        "callback_at": None,
        "version": 2,
    }
    assert all_rows(
        crm,
        "select id, lead_id, from_am_id, to_am_id, from_desk, to_desk, by_id, reason, note "
        "from assignments where id > 5",
    ) == [
        {
            "id": 6,
            "lead_id": 4,
            "from_am_id": None,
            "to_am_id": ALAN,
            "from_desk": "conversion",
            "to_desk": "conversion",
            "by_id": MIA,
            "reason": "new_lead",
            "note": "speaks Arabic and English",
        }
    ]
    (entry,) = audit(crm)
    assert (entry["actor_id"], entry["action"], entry["lead_id"]) == (MIA, "assign", 4)
    assert pd.Timestamp(entry["at"]).tz_localize(None) == pd.Timestamp("2026-03-10 12:00")
    assert entry["before"] == STATE_BEFORE | {
        "am_id": None,
        "desk": "conversion",
        "status": "new",
        "version": 1,
    }
    assert entry["after"] == STATE_BEFORE | {
        "am_id": ALAN,
        "desk": "conversion",
        "status": "assigned",
        "version": 2,
        "assignment_id": 6,
    }
    # No ETL has run: the table shows Dan as the CRM holds him now.
    table = shown(at, "all_leads.table").set_index("lead_name")
    assert table.loc["Dan Saleh", ["am_name", "team_name", "status"]].tolist() == [
        "Alan Ames",
        "Conversion A",
        "assigned",
    ]
    # The form is ready for the next assignment: a new action id, the note cleared.
    assert at.text_input(key="all_leads.assign.note").value == ""


def test_a_double_click_writes_once(open_page, writable_crm, crm):
    at = open_page(ALL_LEADS, writable_crm.warehouse, staff_id=MIA)
    select(at, "all_leads.table", 3)
    clicked_with = at.session_state["all_leads.assign.action_id"]
    at.selectbox(key="all_leads.assign.am").select(BEA)
    submit(at, "all_leads.assign").click().run()
    assert at.session_state["all_leads.assign.action_id"] != clicked_with
    # The second click of a double click, reaching the server before the page was drawn
    # again, carries the id the button was drawn with, from a page where Dan was selected
    # (the page drawn after the first click clears the selection).
    at.session_state["all_leads.assign.action_id"] = clicked_with
    select(at, "all_leads.table", 3)
    submit(at, "all_leads.assign").click().run()

    assert not at.error
    assert toasts(at) == [
        "1 lead assigned to Bea Brook (new lead), not on Bea Brook's list yet: star it to put it "
        "there."
    ]
    assert len(audit(crm)) == 1
    assert one(crm, "select count(*) as n from assignments")["n"] == 6
    assert lead(crm, 4)["version"] == 2


def test_a_lead_changed_since_the_page_showed_it_is_refused_and_nothing_written(
    open_page, writable_crm, crm
):
    at = open_page(ALL_LEADS, writable_crm.warehouse, staff_id=MIA)
    select(at, "all_leads.table", 3)  # Dan, shown at version 1
    # Meanwhile the same manager, in another tab, gives Dan to Bea.
    crm_actions.assign(
        crm,
        actor_id=MIA,
        action_id=crm_actions.new_action_id(),
        leads={4: 1},
        am_id=BEA,
        reason="new_lead",
    )
    at.selectbox(key="all_leads.assign.am").select(ALAN)
    at.text_input(key="all_leads.assign.note").input("call after 5")
    submit(at, "all_leads.assign").click().run()

    assert not at.exception
    assert [error.value for error in at.error] == [
        "lead 4 was changed by Mia Manager since you saw it (version 1, now 2): nothing was "
        "saved; look at it again and redo your change if it still applies."
    ]
    assert not toasts(at)
    assert [entry["actor_id"] for entry in audit(crm)] == [MIA]
    assert (lead(crm, 4)["am_id"], lead(crm, 4)["version"]) == (BEA, 2)
    assert one(crm, "select count(*) as n from assignments")["n"] == 6
    # The form is kept as it was.
    assert at.selectbox(key="all_leads.assign.am").value == ALAN
    assert at.text_input(key="all_leads.assign.note").value == "call after 5"


def test_undo_a_bulk_assignment_of_this_shift(open_page, writable_crm, crm):
    at = open_page(ALL_LEADS, writable_crm.warehouse, staff_id=MIA)
    select(at, "all_leads.table", 0, 1)  # Ben (Bea's) and Ana (Alan's)
    at.selectbox(key="all_leads.assign.reason").select("reassignment")
    at.selectbox(key="all_leads.assign.am").select(ALAN).run()
    at.text_input(key="all_leads.assign.note").input("Bea is on leave")
    submit(at, "all_leads.assign").click().run()
    message = (
        "2 leads assigned to Alan Ames (reassignment), 1 lead not on Alan Ames's list yet: star "
        "it to put it there; taken from Bea Brook: deposits made so far stay credited to Bea "
        "Brook, deposits from now on are credited to Alan Ames."
    )
    assert toasts(at) == [message]
    assert shown(at, "all_leads.table")["am_name"].tolist()[:2] == ["Alan Ames", "Alan Ames"]

    undo = at.selectbox(key="all_leads.assign.undo.chosen")
    assert undo.options == [f"12:00 · {message}"]
    submit(at, "all_leads.assign.undo").click().run()

    assert not at.error
    assert toasts(at) == ["assignment undone for 2 leads."]
    # Each lead back with its owner, desk and status, one version further on.
    assert (lead(crm, 2)["am_id"], lead(crm, 2)["status"], lead(crm, 2)["version"]) == (
        BEA,
        "follow_up",
        3,
    )
    assert (lead(crm, 1)["am_id"], lead(crm, 1)["status"], lead(crm, 1)["version"]) == (
        ALAN,
        "contacted",
        3,
    )
    assert one(crm, "select count(*) as n from assignments")["n"] == 5
    undone = [entry for entry in audit(crm) if entry["action"] == "undo_assignment"]
    assert sorted((entry["lead_id"], entry["after"]["am_id"]) for entry in undone) == [
        (1, ALAN),
        (2, BEA),
    ]
    assert shown(at, "all_leads.table")["am_name"].tolist()[:2] == ["Bea Brook", "Alan Ames"]
    # Undone once: it is no longer offered.
    assert "No bulk assignment of yours to undo" in captions(at)


# Star and note -------------------------------------------------------------------------------


def test_unstar_on_the_star_board(open_page, writable_crm, crm):
    at = open_page(STAR_BOARD, writable_crm.warehouse, staff_id=MIA)
    select(at, "star.leads", 0)  # Ben, the only starred lead
    submit(at, "star.stars.unstar").click().run()

    assert not at.exception
    assert toasts(at) == ["1 lead unstarred."]
    assert lead(crm, 2)["is_starred"] == 0
    assert lead(crm, 2)["starred_by_id"] is None
    assert lead(crm, 2)["version"] == 2
    (entry,) = audit(crm)
    assert (entry["action"], entry["lead_id"], entry["actor_id"]) == ("unstar", 2, MIA)
    assert (entry["before"]["is_starred"], entry["before"]["starred_at"]) == (
        True,
        "2026-03-10T08:00:00+00:00",
    )
    assert (entry["after"]["is_starred"], entry["after"]["starred_at"]) == (False, None)
    # Ben leaves the list at once.
    assert "No starred leads match these filters." in [info.value for info in at.info]


def test_star_on_all_leads_shows_on_the_star_board_at_once(open_page, writable_crm, crm):
    at = open_page(ALL_LEADS, writable_crm.warehouse, staff_id=MIA)
    select(at, "all_leads.table", 1)  # Ana
    submit(at, "all_leads.stars.star").click().run()

    assert toasts(at) == ["1 lead starred."]
    assert (lead(crm, 1)["is_starred"], lead(crm, 1)["starred_by_id"]) == (1, MIA)
    (entry,) = audit(crm)
    assert (entry["action"], entry["lead_id"]) == ("star", 1)
    assert entry["after"]["starred_at"] == AS_OF_ISO
    at.switch_page(STAR_BOARD).run()
    assert shown(at, "star.leads")["lead_name"].tolist() == ["Ben Hall", "Ana Lima"]


def test_note_on_a_lead(open_page, writable_crm, crm):
    at = open_page(ALL_LEADS, writable_crm.warehouse, staff_id=MIA)
    select(at, "all_leads.table", 1)  # Ana
    at.text_area(key="all_leads.note.body").input("prefers WhatsApp, not calls")
    submit(at, "all_leads.note").click().run()

    assert toasts(at) == ["note added to lead 1."]
    assert all_rows(crm, "select id, lead_id, author_id, body from notes where id > 1") == [
        {"id": 2, "lead_id": 1, "author_id": MIA, "body": "prefers WhatsApp, not calls"}
    ]
    (entry,) = audit(crm)
    assert (entry["action"], entry["lead_id"], entry["before"], entry["after"]) == (
        "add_note",
        1,
        None,
        {"note_id": 2, "body": "prefers WhatsApp, not calls"},
    )
    # A note changes no state of the lead.
    assert lead(crm, 1)["version"] == 1


def test_a_note_on_two_leads_is_not_offered(open_page, writable_crm, crm):
    at = open_page(ALL_LEADS, writable_crm.warehouse, staff_id=MIA)
    select(at, "all_leads.table", 0, 1)
    assert "Select one lead at a time (2 are selected)." in captions(at)
    assert submit(at, "all_leads.note").disabled


# Deposit reviews -----------------------------------------------------------------------------


def test_failed_deposit_goes_to_its_am_with_the_decline_reason(open_page, writable_crm, crm):
    at = open_page("pages/failed_deposits.py", writable_crm.warehouse, staff_id=MIA)
    select(at, "failed_deposits.table", 0)  # deposit 5: Ben's, 3-D Secure failed, open
    review = "failed_deposits.review"
    # Ben's owner first, among the conversion desk's AMs.
    assert at.selectbox(key=f"{review}.5.am").value == BEA
    assert at.selectbox(key=f"{review}.5.am").options == ["Alan Ames", "Bea Brook"]
    assert "declined: 3-D Secure failed" in captions(at)
    at.text_area(key=f"{review}.note").input("Suggest a card with 3-D Secure set up.")
    submit(at, review).click().run()

    assert not at.error
    assert toasts(at) == [
        "lead 2 assigned to Bea Brook with the decline reason, starred: on Bea Brook's list now."
    ]
    note = (
        "Deposit of 300.00 USD by card (Nuvei) declined: 3-D Secure failed. "
        "Suggest a card with 3-D Secure set up."
    )
    assert all_rows(
        crm, "select lead_id, from_am_id, to_am_id, reason, note from assignments where id > 5"
    ) == [
        {"lead_id": 2, "from_am_id": BEA, "to_am_id": BEA, "reason": "failed_deposit", "note": note}
    ]
    assert (lead(crm, 2)["status"], lead(crm, 2)["version"]) == ("follow_up", 2)
    (entry,) = audit(crm)
    assert (entry["action"], entry["lead_id"]) == ("assign_failed_deposit", 2)
    assert (entry["after"]["deposit_id"], entry["after"]["assignment_id"]) == (5, 6)
    # Deposit 5 shows as reviewed at once.
    table = shown(at, "failed_deposits.table").set_index("deposit_id")
    assert bool(table.loc[5, "is_reviewed"]) is True


def test_self_deposit_assigned_for_upsale_with_high_priority(open_page, writable_crm, crm):
    at = open_page("pages/new_deposits.py", writable_crm.warehouse, staff_id=MIA)
    at.selectbox(key="new_deposits.range").select("Custom").run()
    at.date_input(key="new_deposits.range.custom").set_value(
        (date(2026, 2, 1), date(2026, 3, 10))
    ).run()
    select(at, "new_deposits.self", 0)  # deposit 3: Cara's self deposit
    review = "new_deposits.self.review"
    # Cara is on the retention desk: Cid alone, her owner, chosen already; starred by default.
    assert at.selectbox(key=f"{review}.3.am").options == ["Cid Cole"]
    assert at.selectbox(key=f"{review}.3.am").value == CID
    assert at.checkbox(key=f"{review}.star").value is True
    submit(at, review).click().run()

    assert not at.error
    assert toasts(at) == [
        "lead 3 assigned to Cid Cole for upsale, high priority, starred: on Cid Cole's list now."
    ]
    assert lead(crm, 3) | {"callback_at": None} == {
        "am_id": CID,
        "desk": "retention",
        "status": "retention",
        "is_starred": 1,
        "starred_by_id": MIA,
        "priority": "high",
        "callback_at": None,
        "version": 3,
    }
    assert all_rows(crm, "select lead_id, to_am_id, reason from assignments where id > 5") == [
        {"lead_id": 3, "to_am_id": CID, "reason": "upsale"}
    ]
    upsale, star = audit(crm)
    assert (upsale["action"], upsale["after"]["priority"], upsale["after"]["deposit_id"]) == (
        "assign_for_upsale",
        "high",
        3,
    )
    assert (star["action"], star["after"]["is_starred"], star["after"]["version"]) == (
        "star",
        True,
        3,
    )
    assert bool(shown(at, "new_deposits.self").iloc[0]["is_upsale_assigned"]) is True


def test_owned_deposit_recorded_on_the_ams_target_board(open_page, writable_crm, crm):
    at = open_page("pages/new_deposits.py", writable_crm.warehouse, staff_id=MIA)
    at.radio(key="new_deposits.kind").set_value("On AM-owned accounts (target board)").run()
    select(at, "new_deposits.owned", 0)  # deposit 1: Ana's FTD, credited to Alan, not recorded
    button = submit(at, "new_deposits.owned.review")
    assert button.label == "Record on Alan Ames's target board"
    button.click().run()

    assert not at.error
    assert toasts(at) == ["200.00 USD recorded on Alan Ames's target board."]
    assert all_rows(
        crm,
        "select id, am_id, deposit_id, amount_usd, recorded_by_id from target_board_entries "
        "where id > 1",
    ) == [{"id": 2, "am_id": ALAN, "deposit_id": 1, "amount_usd": "200.00", "recorded_by_id": MIA}]
    (entry,) = audit(crm)
    assert (entry["action"], entry["lead_id"], entry["before"], entry["after"]) == (
        "record_on_target_board",
        1,
        None,
        {"target_board_entry_id": 2, "am_id": ALAN, "deposit_id": 1, "amount_usd": "200.00"},
    )
    table = shown(at, "new_deposits.owned").set_index("deposit_id")
    assert bool(table.loc[1, "on_target_board"]) is True
    # A second, deliberate click (selected again, a new action id) is refused: once per deposit.
    select(at, "new_deposits.owned", 0)
    submit(at, "new_deposits.owned.review").click().run()
    assert [error.value for error in at.error] == [
        "deposit 1 is already on Alan Ames's target board (since 2026-03-10 12:00 UTC)."
    ]
    assert len(audit(crm)) == 1


# End of shift --------------------------------------------------------------------------------


def test_end_of_shift_preview_then_confirm(open_page, writable_crm, crm):
    # After the ETL's run: Alan gets no answer from Ana and sets a callback tomorrow 10:00 in
    # Sao Paulo (13:00 UTC); Cid talks to Cara and sets one tomorrow 22:00 in Berlin.
    for actor, lead_id, outcome, callback in (
        (ALAN, 1, "no_answer", datetime(2026, 3, 11, 10, 0)),
        (CID, 3, "connected", datetime(2026, 3, 11, 22, 0)),
    ):
        crm_actions.log_call(
            crm,
            actor_id=actor,
            action_id=crm_actions.new_action_id(),
            lead_id=lead_id,
            version=1,
            outcome=outcome,
            callback_at=callback,
            now=datetime.fromisoformat(AS_OF_ISO),
        )
    before = len(audit(crm))
    at = open_page(STAR_BOARD, writable_crm.warehouse, staff_id=MIA)
    assert submit(at, "star.shift").disabled
    at.button(key="star.shift.preview").click().run()

    # Ben's callback (18:00 today in London) is not tomorrow: his star goes. Ana's tomorrow
    # 10:00 is inside 09:00-20:00: starred. Cara's 22:00 is not: skipped, saying why.
    assert not at.exception
    assert (
        "End of shift of Tue 10 Mar for the whole floor, calling hours 09:00-20:00: 1 lead to "
        "unstar, 1 lead to star, 0 missed callbacks carried over, 1 lead skipped." in captions(at)
    )
    # Per AM: Alan gets Ana's star, Bea loses Ben's; then to star, to unstar, skipped.
    per_am, star, unstar, skipped = (table.value for table in at.dataframe[1:5])
    assert per_am.values.tolist() == [["Alan Ames", 0, 1, 0], ["Bea Brook", 1, 0, 0]]
    assert star[["lead_name", "time_zone"]].values.tolist() == [["Ana Lima", "America/Sao_Paulo"]]
    assert star.iloc[0]["callback_local"] == pd.Timestamp("2026-03-11 10:00")
    assert unstar["lead_name"].tolist() == ["Ben Hall"]
    skipped = skipped.iloc[0]
    assert (skipped["lead_name"], skipped["reason"]) == (
        "Cara Vogel",
        "its callback at 22:00 (its local time) is outside the calling hours 09:00-20:00",
    )
    assert len(audit(crm)) == before  # a preview writes nothing

    submit(at, "star.shift").click().run()
    assert not at.error
    assert toasts(at) == ["end of shift: 1 lead unstarred, 1 lead starred."]
    assert (lead(crm, 2)["is_starred"], lead(crm, 2)["version"]) == (0, 2)
    assert (lead(crm, 1)["is_starred"], lead(crm, 1)["starred_by_id"]) == (1, MIA)
    assert lead(crm, 1)["version"] == 3  # 2 after Alan's call
    shift = [entry for entry in audit(crm) if entry["action"] == "end_of_shift"]
    assert sorted((e["lead_id"], e["after"]["is_starred"]) for e in shift) == [
        (1, True),
        (2, False),
    ]
    # At once: Ben off the list, Ana on it with her callback on her own clock.
    leads = shown(at, "star.leads")
    assert leads["lead_name"].tolist() == ["Ana Lima"]
    assert leads.iloc[0]["callback_local"] == pd.Timestamp("2026-03-11 10:00")
    assert leads.iloc[0]["am_name"] == "Alan Ames"


# My leads ------------------------------------------------------------------------------------


def test_my_leads_logs_a_no_answer_with_a_callback_in_the_leads_time(open_page, writable_crm, crm):
    at = open_page("pages/my_leads.py", writable_crm.warehouse, staff_id=BEA)
    assert not at.exception
    assert at.title[0].value == "My leads"
    tiles = {metric.label: (metric.value, metric.delta) for metric in at.metric}
    # Bea on 03-10: one call (busy, 10:00), none connected, no deposit; 03-09: one no-answer.
    assert tiles["Calls"] == ("1", "0")
    assert tiles["Connected calls"] == ("0", "0")
    assert tiles["Call ratio"] == ("0.0 %", "0")
    assert tiles["Deposits"] == ("0", "0")
    assert shown(at, "my_leads.table")["lead_name"].tolist() == ["Ben Hall"]

    select(at, "my_leads.table", 0)
    at.radio(key="my_leads.call.outcome").set_value("no_answer").run()
    # London moves to summer time on 03-29: 10:00 there on 03-30 is 09:00 UTC.
    at.date_input(key="my_leads.call.2.day").set_value(date(2026, 3, 30))
    at.time_input(key="my_leads.call.2.time").set_value(time(10, 0))
    submit(at, "my_leads.call").click().run()

    assert not at.error
    assert toasts(at) == [
        "no answer: callback Mon 30 Mar 10:00 in the lead's time (Europe/London); lead 2 "
        "assigned to Bea Brook for follow-up."
    ]
    assert all_rows(
        crm, "select id, lead_id, am_id, duration_s, outcome from calls where id > 7"
    ) == [{"id": 8, "lead_id": 2, "am_id": BEA, "duration_s": 0, "outcome": "no_answer"}]
    ben = lead(crm, 2)
    assert (ben["am_id"], ben["status"], ben["version"]) == (BEA, "follow_up", 2)
    assert pd.Timestamp(ben["callback_at"]).tz_localize(None) == pd.Timestamp("2026-03-30 09:00")
    (entry,) = audit(crm)
    assert (entry["action"], entry["actor_id"], entry["lead_id"]) == ("log_call", BEA, 2)
    assert entry["before"]["callback_at"] == "2026-03-10T18:00:00+00:00"
    assert entry["after"]["callback_at"] == "2026-03-30T09:00:00+00:00"
    assert (entry["after"]["call_id"], entry["after"]["outcome"]) == (8, "no_answer")
    # At once: the callback on Ben's own clock.
    assert shown(at, "my_leads.table").iloc[0]["callback_local"] == pd.Timestamp("2026-03-30 10:00")


def test_a_manager_sees_an_ams_list_but_logs_no_call_for_them(open_page, writable_crm, crm):
    at = open_page("pages/my_leads.py", writable_crm.warehouse, staff_id=MIA)
    assert "Choose an AM" in at.info[0].value
    at.selectbox(key="my_leads.am").select("Bea Brook").run()
    assert shown(at, "my_leads.table")["lead_name"].tolist() == ["Ben Hall"]
    select(at, "my_leads.table", 0)
    assert "Calls are logged by the AM who made them, from their own list." in captions(at)
    assert submit(at, "my_leads.call").disabled
