"""My leads as the AM's worklist (issue 22, item 8): callable now first, then due callbacks,
then the rest; each row with the lead's phone, e-mail, why it was starred and the manager's
latest note; after a call the next lead is selected.

The hand-built CRM (tests/etl/small_crm.py) at AS_OF (Tuesday 2026-03-10 12:00 UTC, calling
hours 09:00-20:00), with five more leads starred for Alan (2) by Mia (1), none called, none
logged in, all registered 02-01 (so not new):

| lead | zone (local at AS_OF) | callback (UTC) | priority | part | score |
| --- | --- | --- | --- | --- | --- |
| 11 Kai Tan | Asia/Tokyo (21:00) | 03-10 09:00, due | normal | callback due | 20 |
| 12 Lou Park | Europe/London (12:00) | none | normal | callable now | 15 |
| 13 Max Roe | America/Los_Angeles (05:00, PDT) | none | high | the rest | 40 |
| 14 Noa Vale | Europe/Paris (13:00) | none | high | callable now | 40 |
| 15 Ida Lund | Asia/Tokyo (21:00) | 03-11 09:00, not yet | normal | the rest | 35 |

Scores: high priority 25, callback within a day 20, never contacted 15 (Kai has notes, so he
was contacted). Worklist: Noa, Lou (callable, 40 > 15), Kai (due), Max, Ida (40 > 35) — Max
and Noa score alike and the parts keep them apart; Ida's callback is near but not due.

Why starred (the latest assignment's reason) and the manager's note (the latest note or
assignment note written by someone else than Alan):
- Kai: assigned for a failed deposit at 07:00 with "declined: insufficient funds"; Mia's note
  "prefers English, after 18:00 his time" at 08:00 is later; Alan's own "left a voicemail" at
  09:00 is not a manager's.
- Lou: an upsale at 06:00 with "wants to add 500 USD".
- Max: never assigned, no notes: both blank.
- Noa: a new lead, no note.
- Ida: a follow-up Alan assigned himself with "call at 9": his own, so no manager's note.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from crm.db import create_crm_engine
from tests.etl.small_crm import T, assignment, at, lead
from tests.pages.conftest import ALAN, build_warehouse, captions
from tests.pages.test_actions import all_rows, select, shown, submit, toasts

MY_LEADS = "pages/my_leads.py"
TABLE = "my_leads.table"
CALL = "my_leads.call"


def starred_for_alan(lead_id, first, last, zone, **extra) -> dict:
    return lead(
        lead_id,
        first,
        last,
        f"{first.lower()}@mail.example",
        "GB",
        zone,
        "USD",
        "02-01 08:00",
        am_id=ALAN,
        is_starred=True,
        starred_by_id=1,
        starred_at=at("03-10 07:30"),
        **extra,
    )


def note(note_id, lead_id, author_id, body, when) -> dict:
    return dict(
        id=note_id,
        lead_id=lead_id,
        author_id=author_id,
        body=body,
        created_at=at(when),
        updated_at=at(when),
    )


def add_alans_worklist(engine: sa.Engine) -> None:
    rows = {
        "leads": [
            starred_for_alan(11, "Kai", "Tan", "Asia/Tokyo", callback_at=at("03-10 09:00")),
            starred_for_alan(12, "Lou", "Park", "Europe/London"),
            starred_for_alan(13, "Max", "Roe", "America/Los_Angeles", priority="high"),
            starred_for_alan(14, "Noa", "Vale", "Europe/Paris", priority="high"),
            starred_for_alan(15, "Ida", "Lund", "Asia/Tokyo", callback_at=at("03-11 09:00")),
        ],
        "assignments": [
            {
                **assignment(11, 11, None, ALAN, "conversion", "failed_deposit", "03-10 07:00"),
                "note": "declined: insufficient funds",
            },
            {
                **assignment(12, 12, None, ALAN, "conversion", "upsale", "03-10 06:00"),
                "note": "wants to add 500 USD",
            },
            assignment(14, 14, None, ALAN, "conversion", "new_lead", "03-10 06:00"),
            {
                **assignment(15, 15, None, ALAN, "conversion", "follow_up", "03-10 06:00", by=2),
                "note": "call at 9",
            },
        ],
        "notes": [
            note(11, 11, 1, "prefers English, after 18:00 his time", "03-10 08:00"),
            note(12, 11, ALAN, "left a voicemail", "03-10 09:00"),
        ],
    }
    with engine.begin() as connection:
        for table, values in rows.items():
            for row in values:
                connection.execute(sa.insert(T[table]).values(row))


@pytest.fixture
def worklist(migrated_sqlite_template, tmp_path, monkeypatch) -> Path:
    """The small CRM with Alan's worklist, its warehouse, and the CRM the page writes to."""
    warehouse = build_warehouse(
        migrated_sqlite_template, tmp_path / "worklist", True, add_alans_worklist
    )
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{tmp_path / 'worklist' / 'crm.sqlite'}")
    return warehouse


@pytest.fixture
def crm(worklist) -> Iterator[sa.Engine]:
    engine = create_crm_engine(f"sqlite:///{worklist.parent / 'crm.sqlite'}")
    yield engine
    engine.dispose()


def blank(value) -> bool:
    return value is None or pd.isna(value) or value == ""


def test_the_worklist_is_callable_now_then_due_callbacks_then_the_rest(open_page, worklist):
    at = open_page(MY_LEADS, worklist, staff_id=ALAN)
    assert not at.exception, at.exception
    rows = shown(at, TABLE)
    assert rows["lead_name"].tolist() == ["Noa Vale", "Lou Park", "Kai Tan", "Max Roe", "Ida Lund"]
    assert rows["inside_calling_hours"].tolist() == [True, True, False, False, False]


def test_each_row_has_the_phone_email_why_starred_and_the_managers_note(open_page, worklist):
    at = open_page(MY_LEADS, worklist, staff_id=ALAN)
    rows = shown(at, TABLE).set_index("lead_name")
    assert rows["phone"].to_dict() == {
        "Noa Vale": "+447000000014",
        "Lou Park": "+447000000012",
        "Kai Tan": "+447000000011",
        "Max Roe": "+447000000013",
        "Ida Lund": "+447000000015",
    }
    assert rows.loc["Kai Tan", "email"] == "kai@mail.example"
    assert rows.loc["Noa Vale", "email"] == "noa@mail.example"
    assert rows.loc["Kai Tan", "starred_because"] == "failed deposit"
    assert rows.loc["Kai Tan", "manager_note"] == "prefers English, after 18:00 his time"
    assert rows.loc["Lou Park", "starred_because"] == "upsale"
    assert rows.loc["Lou Park", "manager_note"] == "wants to add 500 USD"
    assert rows.loc["Noa Vale", "starred_because"] == "new lead"
    assert blank(rows.loc["Noa Vale", "manager_note"])
    assert rows.loc["Ida Lund", "starred_because"] == "follow-up"
    assert blank(rows.loc["Ida Lund", "manager_note"])
    assert blank(rows.loc["Max Roe", "starred_because"])
    assert blank(rows.loc["Max Roe", "manager_note"])


def test_after_a_call_the_next_lead_of_the_worklist_is_selected(open_page, worklist, crm):
    at = open_page(MY_LEADS, worklist, staff_id=ALAN)
    select(at, TABLE, 0)  # Noa
    assert "Selected: Noa Vale" in captions(at)
    at.radio(key=f"{CALL}.outcome").set_value("connected").run()
    submit(at, CALL).click().run()
    assert not at.exception, at.exception
    assert toasts(at)
    assert at.session_state[TABLE]["selection"]["rows"] == [1]
    assert "Selected: Lou Park" in captions(at)
    assert not submit(at, CALL).disabled  # ready for Lou's call

    submit(at, CALL).click().run()  # Lou, connected
    assert "Selected: Kai Tan" in captions(at)
    calls = all_rows(crm, "select lead_id, am_id from calls where lead_id > 10 order by id")
    assert calls == [{"lead_id": 14, "am_id": ALAN}, {"lead_id": 12, "am_id": ALAN}]


def test_after_a_call_to_the_last_lead_nothing_is_selected(open_page, worklist):
    at = open_page(MY_LEADS, worklist, staff_id=ALAN)
    select(at, TABLE, 4)  # Ida
    submit(at, CALL).click().run()
    assert toasts(at)
    assert at.session_state[TABLE]["selection"]["rows"] == []
    assert submit(at, CALL).disabled
