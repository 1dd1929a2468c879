"""The CRM reads behind the action widgets (crm/reads.py), on SQLite and PostgreSQL, against the
floor of ``actions_floor`` (values written out there by hand)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from crm import actions, reads
from tests.crm.actions_floor import NOW, build_floor


def test_active_account_managers_of_a_desk_and_of_every_desk(crm_engine):
    ids = build_floor(crm_engine)
    with crm_engine.connect() as connection:
        conversion = reads.active_account_managers(connection, "conversion")
        every_desk = reads.active_account_managers(connection, None)
    # Carl (conversion) left; Maria and Eve are not AMs.
    assert conversion == {ids["Alice"]: "Alice", ids["Bob"]: "Bob"}
    assert every_desk == {ids["Alice"]: "Alice", ids["Bob"]: "Bob", ids["Rita"]: "Rita"}


def test_lead_states_read_back_what_an_action_wrote(crm_engine):
    ids = build_floor(crm_engine)
    actions.assign(
        crm_engine,
        actor_id=ids["Maria"],
        action_id="a1",
        leads={ids["new1"]: 1},
        am_id=ids["Bob"],
        reason="new_lead",
        now=NOW,
    )
    with crm_engine.connect() as connection:
        states = reads.lead_states(connection, [ids["new1"], ids["kept"]])
        assert reads.lead_states(connection, []) == []
    by_lead = {state["lead_id"]: state for state in states}
    assert set(by_lead) == {ids["new1"], ids["kept"]}
    new1 = by_lead[ids["new1"]]
    assert (new1["am_id"], new1["am_name"], new1["team_name"]) == (ids["Bob"], "Bob", "Conversion")
    assert (new1["status"], new1["is_starred"], new1["version"]) == ("assigned", False, 2)
    kept = by_lead[ids["kept"]]
    assert (kept["am_name"], kept["desk"], kept["version"]) == ("Rita", "retention", 5)
    assert kept["callback_at"] is None
    assert isinstance(kept["is_starred"], bool)


def test_leads_changed_since_read_what_anyone_wrote_after_a_moment(crm_engine):
    ids = build_floor(crm_engine)
    # updated_at is the database's clock (the ETL reads by it), not the action's "now".
    since = datetime.now(timezone.utc)
    actions.assign(
        crm_engine,
        actor_id=ids["Maria"],
        action_id="a1",
        leads={ids["new1"]: 1},
        am_id=ids["Bob"],
        reason="new_lead",
        note="speaks Spanish",
        star=True,
        now=NOW,
    )
    with crm_engine.connect() as connection:
        (changed,) = reads.leads_changed_since(connection, since, 10)
        assert reads.leads_changed_since(connection, since, 0) == []
    assert (changed["lead_id"], changed["am_name"], changed["is_starred"]) == (
        ids["new1"],
        "Bob",
        True,
    )
    # Why it is Bob's work, and the note that came with it, by Maria.
    assert (
        changed["assignment_reason"],
        changed["assignment_note"],
        changed["assigned_by_id"],
        changed["version"],
    ) == ("new_lead", "speaks Spanish", ids["Maria"], 3)


def test_am_calls_counts_the_calls_of_a_span_as_the_crm_holds_them(crm_engine):
    ids = build_floor(crm_engine)
    for action_id, outcome, minutes in (("a", "no_answer", 0), ("b", "connected", 90)):
        with crm_engine.connect() as connection:
            version = reads.lead_states(connection, [ids["owned"]])[0]["version"]
        actions.log_call(
            crm_engine, actor_id=ids["Alice"], action_id=action_id, lead_id=ids["owned"],
            version=version, outcome=outcome, duration_s=60,
            callback_at=None if outcome == "connected" else NOW.replace(tzinfo=None, day=11),
            now=NOW + timedelta(minutes=minutes), replaces=None,
        )  # fmt: skip
    day = NOW.replace(hour=0, minute=0)
    with crm_engine.connect() as connection:
        # The no-answer at 12:00 and the connected call at 13:30; none by Bob.
        assert reads.am_calls(connection, ids["Alice"], day, day + timedelta(days=1)) == (2, 1)
        assert reads.am_calls(connection, ids["Alice"], day, NOW + timedelta(hours=1)) == (1, 0)
        assert reads.am_calls(connection, ids["Bob"], day, day + timedelta(days=1)) == (0, 0)
