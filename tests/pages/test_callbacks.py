"""The callback a call form offers (issue 22, item 6), on My leads with the hand-built CRM
(tests/etl/small_crm.py). Ben Hall (lead 2) is Bea's, in Europe/London (UTC+0 in March); the
CRM sets no working days, so they are Monday to Friday, and the calling hours 09:00-20:00."""

from __future__ import annotations

from datetime import date, time

from tests.pages.conftest import captions
from tests.pages.test_actions import BEA, select

FRIDAY_NOON = "2026-03-13T12:00:00+00:00"


def test_on_friday_the_default_callback_is_monday_morning_in_words(open_page, small_warehouse):
    at = open_page("pages/my_leads.py", small_warehouse, staff_id=BEA, now=FRIDAY_NOON)
    select(at, "my_leads.table", 0)  # Ben
    at.radio(key="my_leads.call.outcome").set_value("no_answer").run()
    assert at.date_input(key="my_leads.call.2.day").value == date(2026, 3, 16)
    assert at.time_input(key="my_leads.call.2.time").value == time(10, 0)
    assert "Callback: Mon 16 Mar, 10:00 in London" in captions(at)

    # A day the floor does not work, at an hour outside the calling hours, says so.
    at.date_input(key="my_leads.call.2.day").set_value(date(2026, 3, 14))
    at.time_input(key="my_leads.call.2.time").set_value(time(21, 0)).run()
    assert (
        "Callback: Sat 14 Mar, 21:00 in London; a Saturday, not a working day "
        "(Mon,Tue,Wed,Thu,Fri); outside the calling hours 09:00-20:00" in captions(at)
    )
