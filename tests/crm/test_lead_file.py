"""One lead's file read from the CRM (crm/lead_file.py) on SQLite and PostgreSQL: the small
hand-built CRM's rows (tests/etl/small_crm.py), and what actions change, read back at once."""

from __future__ import annotations

from datetime import datetime, time, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from crm import actions
from crm.lead_file import read_lead_file
from crm.settings import DEFAULT_CALLING_HOURS, CallingHours
from dashboard.lead_timeline import timeline
from tests.etl.small_crm import AS_OF, build_small_crm
from tests.pages.test_lead_page import BEN_TIMELINE

MIA = 1
UTC = timezone.utc


def test_a_lead_and_its_history_as_written(crm_engine):
    build_small_crm(crm_engine)

    file = read_lead_file(crm_engine, 2)

    lead = file.profile
    assert (lead["first_name"], lead["last_name"], lead["phone"]) == (
        "Ben",
        "Hall",
        "+447000000002",
    )
    assert (lead["am_name"], lead["team_name"], lead["starred_by_name"]) == (
        "Bea Brook",
        "Conversion A",
        "Mia Manager",
    )
    assert lead["callback_at"] == datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    assert lead["balance"] == Decimal("0.00") and lead["is_starred"] is True
    sizes = {name: len(rows) for name, rows in file.history.items()}
    assert sizes == {
        "lead_assignments": 2,
        "lead_calls": 2,
        "lead_notes": 1,
        "lead_deposits": 1,
        "lead_emails": 2,
        "lead_sessions": 1,
        "lead_tickets": 1,
        "lead_audit": 0,
    }
    assert file.calling_hours == DEFAULT_CALLING_HOURS
    # The same timeline from both databases' types.
    shown = timeline(file, ZoneInfo("UTC"))
    when = shown["When"].dt.strftime("%Y-%m-%d %H:%M")
    assert list(zip(when, shown["What"], shown["Who"], shown["Details"], strict=True)) == (
        BEN_TIMELINE
    )


def test_an_unknown_lead_has_no_file(crm_engine):
    build_small_crm(crm_engine)

    assert read_lead_file(crm_engine, 99) is None


def test_actions_show_at_once(crm_engine):
    build_small_crm(crm_engine)
    now = AS_OF.replace(minute=5)
    actions.star(crm_engine, actor_id=MIA, action_id="star-ana", leads={1: 1}, now=now)
    actions.set_calling_hours(crm_engine, actor_id=MIA, action_id="hours", hours="08:00-18:30")

    file = read_lead_file(crm_engine, 1)

    assert file.profile["is_starred"] is True and file.profile["version"] == 2
    assert file.calling_hours == CallingHours(time(8, 0), time(18, 30))
    (audit,) = file.history["lead_audit"]
    assert (audit["action"], audit["actor_name"]) == ("star", "Mia Manager")
    assert (audit["before"]["is_starred"], audit["after"]["is_starred"]) == (False, True)
    shown = timeline(file, ZoneInfo("UTC"))
    assert shown.iloc[0][["What", "Who", "Details"]].tolist() == ["Starred", "Mia Manager", ""]
    assert shown.iloc[0]["When"] == now


def test_a_call_shows_the_callback_it_set(crm_engine):
    build_small_crm(crm_engine)
    alan = 2
    # Ana (lead 1, São Paulo, UTC-3) does not answer: callback Wed 11 Mar 10:00 her time.
    actions.log_call(
        crm_engine,
        actor_id=alan,
        action_id="call-ana",
        lead_id=1,
        version=1,
        outcome="no_answer",
        callback_at=datetime(2026, 3, 11, 10, 0),
        now=AS_OF,
    )

    file = read_lead_file(crm_engine, 1)

    assert file.profile["callback_at"] == datetime(2026, 3, 11, 13, 0, tzinfo=UTC)
    shown = timeline(file, ZoneInfo("UTC"))
    newest = shown[shown["When"] == AS_OF][["What", "Who", "Details"]].values.tolist()
    # The call, and the follow-up assignment to Alan it made; same moment: assigned first.
    assert newest == [
        ["Assigned", "Alan Ames", "Alan Ames → Alan Ames; reason: follow-up"],
        ["Call", "Alan Ames", "no answer; callback set for Wed 11 Mar 10:00 (lead's time)"],
    ]
