"""The lead page (issue 22, item 1) on the small hand-built CRM (tests/etl/small_crm.py), opened
by its URL ``?lead=<id>`` as a link or a bookmark opens it.

Every expected value is worked out by hand from small_crm.py: "now" is AS_OF, Tue 2026-03-10
12:00 UTC; the calling hours are the default 09:00-20:00.
"""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import ALAN, APP_TIMEOUT_S, BEA, EVE, MIA, REPO_ROOT, signed_in

PAGE = "pages/lead.py"

# Ben Hall (lead 2), newest first, in UTC: every row of his in every history table, by hand.
BEN_TIMELINE = [
    ("2026-03-10 10:29", "E-mail", "", "reach-you mail: sent after 1 min"),
    ("2026-03-10 10:01", "Assigned", "Bea Brook", "Bea Brook → Bea Brook; reason: follow-up"),
    ("2026-03-10 10:00", "Call", "Bea Brook", "busy"),
    ("2026-03-10 08:00", "Starred", "Mia Manager", ""),
    (
        "2026-03-09 12:05",
        "Support ticket",
        "",
        "Card keeps being declined (high priority, open); owner: Bea Brook",
    ),
    (
        "2026-03-09 12:00",
        "Deposit attempt",
        "",
        "300.00 USD by card via Nuvei: declined (3-D Secure failed); credited to Bea Brook",
    ),
    ("2026-03-09 10:05", "Note", "Bea Brook", "call back after work"),
    ("2026-03-09 10:00", "Call", "Bea Brook", "no answer, 10 s"),
    ("2026-03-09 09:30", "Assigned", "Mia Manager", "nobody → Bea Brook; reason: new lead"),
    ("2026-03-09 09:20", "Platform", "", "1 session, 15 min online (web)"),
    ("2026-03-09 09:00", "Registered", "", "from organic"),
    ("2026-03-09 09:00", "E-mail", "", "welcome mail: sent after 1 min"),
]


def open_lead(open_page, warehouse, lead: str, staff_id: int = MIA, **options) -> AppTest:
    """The lead page as a browser opens ``/lead?lead=<lead>``, signed in as ``staff_id``."""
    open_page(PAGE, warehouse, staff_id=staff_id, **options)  # the environment of the page
    at = AppTest.from_file(str(REPO_ROOT / "dashboard_app.py"), default_timeout=APP_TIMEOUT_S)
    at.query_params["lead"] = lead
    signed_in(at, staff_id).run()
    at.switch_page(PAGE)
    return at.run()


def timeline(at: AppTest, zone: str = "UTC") -> list[tuple[str, str, str, str]]:
    frame = at.dataframe[0].value
    when = pd.to_datetime(frame["When"]).dt.tz_convert(zone).dt.strftime("%Y-%m-%d %H:%M")
    return list(zip(when, frame["What"], frame["Who"], frame["Details"], strict=True))


def text(at: AppTest) -> str:
    return "\n".join(markdown.value for markdown in at.markdown)


def errors(at: AppTest) -> list[str]:
    return [error.value for error in at.error]


def test_the_timeline_holds_every_event_newest_first(open_page, small_warehouse):
    at = open_lead(open_page, small_warehouse, "2")

    assert not at.exception and errors(at) == []
    assert timeline(at) == BEN_TIMELINE
    assert at.header[0].value == "Ben Hall · lead 2"


def test_who_and_where_the_lead_stands(open_page, small_warehouse):
    at = open_lead(open_page, small_warehouse, "2")

    shown = text(at)
    assert "Phone: +447000000002" in shown
    assert "E-mail: ben@mail.example" in shown
    # London is UTC in March: 12:00, inside 09:00-20:00.
    assert "Local time: Tue 12:00 (Europe/London), inside the calling hours" in shown
    assert "Status: follow-up · desk: conversion" in shown
    assert "AM: Bea Brook (Conversion A) · on Bea Brook's list" in shown
    assert "Star: starred by Mia Manager, Tue 10 Mar 2026, 08:00 · priority: high" in shown
    assert "Callback due: Tue 10 Mar 18:00 lead's time" in shown
    assert "Compliance: not started" in shown
    assert "Balance: 0.00 USD" in shown
    assert "FTD: not yet" in shown
    # His one session began Mon 9 Mar 09:05 UTC (small_crm.py), as the lead tables count it.
    assert "Last login: Mon 09 Mar 2026, 09:05" in shown
    assert "None" not in shown
    call = at.get("link_button")[0].proto
    assert call.url == "tel:+447000000002"


def test_money_with_separators_and_the_failed_deposit_note(open_page, small_warehouse):
    # Ana Lima (lead 1), in São Paulo (UTC-3): at 12:00 UTC it is 09:00 there, inside the hours.
    at = open_lead(open_page, small_warehouse, "1")

    shown = text(at)
    assert "Local time: Tue 09:00 (America/Sao\\_Paulo), inside the calling hours" in shown
    assert "Balance: 500.00 BRL" in shown
    assert "FTD: Mon 09 Mar 2026, 15:00" in shown
    events = timeline(at)
    assert (
        "2026-03-09 15:00",
        "Deposit attempt",
        "",
        "1,000.00 BRL (200.00 USD) by card via Stripe: approved; FTD, credited to Alan Ames",
    ) in events
    assert (
        "2026-03-10 09:00",
        "Deposit attempt",
        "",
        "250.00 BRL (50.00 USD) by card via Stripe: declined (insufficient funds); "
        "credited to Alan Ames",
    ) in events
    assert (
        "2026-03-10 09:30",
        "Assigned",
        "Mia Manager",
        "Alan Ames → Alan Ames; reason: failed deposit",
    ) in events
    # Two sessions on two days: one a day, the open one "not logged out".
    open_one = "1 session, 8 min online (web); not logged out"
    assert ("2026-03-10 11:58", "Platform", "", open_one) in events
    assert ("2026-03-08 10:30", "Platform", "", "1 session, 29 min online (web)") in events


def test_times_are_in_the_viewers_zone(open_page, small_warehouse):
    at = open_lead(open_page, small_warehouse, "2", time_zone="Asia/Tokyo")

    frame = at.dataframe[0].value
    # 10:29 UTC is 19:29 in Tokyo (UTC+9).
    first = pd.Timestamp(frame["When"].iloc[0])
    assert f"{first:%Y-%m-%d %H:%M %Z}" == "2026-03-10 19:29 JST"
    assert "Registered: Mon 09 Mar 2026, 18:00" in text(at)


def test_a_manager_acts_and_the_page_shows_it_at_once(open_page, writable_crm):
    at = open_lead(open_page, writable_crm.warehouse, "2")

    at.text_area(key="lead.2.note.body").input("call +44 7700 900123 or ben@work.example")
    at.main.button(key=f"lead.2.note.submit.{at.session_state['lead.2.note.action_id']}").click()
    at.run()

    assert errors(at) == []
    assert timeline(at)[0] == (
        "2026-03-10 12:00",
        "Note",
        "Mia Manager",
        "call +44 7700 900123 or ben@work.example",
    )
    assert len(timeline(at)) == len(BEN_TIMELINE) + 1


def test_an_executive_sees_contacts_masked_and_no_actions(open_page, writable_crm):
    manager = open_lead(open_page, writable_crm.warehouse, "2")
    manager.text_area(key="lead.2.note.body").input("call +44 7700 900123 or ben@work.example")
    action_id = manager.session_state["lead.2.note.action_id"]
    manager.button(key=f"lead.2.note.submit.{action_id}").click()
    manager.run()

    at = open_lead(open_page, writable_crm.warehouse, "2", staff_id=EVE)

    shown = text(at)
    assert "Phone: •••" in shown and "E-mail: •••" in shown
    assert "ben@mail.example" not in shown and "+447000000002" not in shown
    assert len(at.get("link_button")) == 0
    assert timeline(at)[0] == ("2026-03-10 12:00", "Note", "Mia Manager", "call ••• or •••")
    assert len(at.main.button) == 0 and len(at.main.text_area) == 0


def test_an_am_opens_their_own_lead_with_the_call_form(open_page, small_warehouse):
    at = open_lead(open_page, small_warehouse, "1", staff_id=ALAN)

    assert errors(at) == []
    assert "Phone: +447000000001" in text(at)
    assert at.radio(key="lead.1.call.outcome").value == "connected"
    assert [b.label for b in at.main.button] == ["Log call", "Add note"]


def test_an_am_is_refused_another_ams_lead(open_page, small_warehouse):
    # Lead 2 is Bea's: Alan typed (or forged) its number.
    at = open_lead(open_page, small_warehouse, "2", staff_id=ALAN)

    assert errors(at) == [
        "error: lead 2 is not yours: an account manager sees only the leads assigned to them."
    ]
    assert "Ben" not in text(at) and "+447000000002" not in text(at)
    assert len(at.dataframe) == 0 and len(at.main.button) == 0


def test_a_bad_or_unknown_lead_number_is_refused(open_page, small_warehouse):
    bad = open_lead(open_page, small_warehouse, "2 or 1=1", staff_id=BEA)
    unknown = open_lead(open_page, small_warehouse, "99")

    assert errors(bad) == ["error: '2 or 1=1' is not a lead number (a whole number such as 1042)."]
    assert errors(unknown) == ["error: there is no lead 99."]
    assert len(bad.dataframe) == 0 and len(unknown.dataframe) == 0


def test_without_a_number_the_page_asks_for_one(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)

    assert [info.value for info in at.info] == [
        "Open a lead from any table of leads, or type its number above."
    ]
    at.text_input(key="lead").input("3").run()
    assert at.header[0].value == "Cara Vogel · lead 3"


def test_every_lead_row_links_to_its_lead_page(open_page, small_warehouse):
    at = open_page("pages/all_leads.py", small_warehouse)

    table = at.dataframe(key="all_leads.table").value
    # Ana 1, Ben 2, Cara 3, Dan 4 (lead 5 is quarantined by the ETL).
    links = dict(zip(table["lead_name"], table["lead_page"], strict=True))
    assert links == {
        "Ana Lima": "lead?lead=1",
        "Ben Hall": "lead?lead=2",
        "Cara Vogel": "lead?lead=3",
        "Dan Saleh": "lead?lead=4",
    }
    assert list(table.columns[:2]) == ["lead_page", "lead_name"]
