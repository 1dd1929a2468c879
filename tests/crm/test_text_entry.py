"""Names and notes are checked where they enter the CRM (issue 26, item 9), on SQLite and
PostgreSQL: a control character (a bare carriage return that splits a CSV record) or an
invisible formatting character is refused in one line, and nothing is written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crm import actions, staff
from crm.actions import ActionRefused
from tests.crm.actions_floor import NOW, build_floor
from tests.crm.test_actions import PERSON


@pytest.fixture
def floor(crm_engine):
    return crm_engine, build_floor(crm_engine)


def leads(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.text("SELECT count(*) FROM leads"))


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("last_name", 'Quinn\r=HYPERLINK("https://evil.example")', "U+000D CARRIAGE RETURN"),
        ("first_name", "Zo\u202eë", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("last_name", "Qu\u200binn", "U+200B ZERO WIDTH SPACE"),
        ("first_name", "Zoë\nAdmin", "U+000A LINE FEED"),
    ],
)
def test_a_registration_with_a_control_character_is_refused(floor, field, value, named):
    engine, _ = floor
    before = leads(engine)
    with pytest.raises(ActionRefused) as refused:
        actions.register_leads(engine, [{**PERSON, field: value}], action_id="reg", now=NOW)
    assert str(refused.value) == (
        f"registration 1: {field.replace('_', ' ')} holds an invisible or control character "
        f"({named}): remove it and try again."
    )
    assert leads(engine) == before


def test_a_note_keeps_its_line_breaks_but_not_a_carriage_return(floor):
    engine, ids = floor
    ok = actions.add_note(
        engine, actor_id=ids["Maria"], action_id="n1", lead_id=1, body="called\n\tno answer"
    )
    assert ok.message == "note added to lead 1."
    with pytest.raises(ActionRefused, match=r"the note holds .* \(U\+000D CARRIAGE RETURN\)"):
        actions.add_note(engine, actor_id=ids["Maria"], action_id="n2", lead_id=1, body="a\r=1+1")


def test_a_staff_name_with_a_control_character_is_refused(floor):
    engine, _ = floor
    with pytest.raises(ActionRefused, match=r"the name holds .* \(U\+0007 control character\)"):
        staff.add_staff(
            engine, actor_id=None, command_line=True, name="Nora\x07", email="n@x.test",
            role="executive",
        )  # fmt: skip
