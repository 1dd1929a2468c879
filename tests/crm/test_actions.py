"""Every action on the small floor of ``actions_floor``, on SQLite and PostgreSQL: what it
writes (checked against values worked out by hand), what it refuses (and that it then wrote
nothing), its audit, its idempotency and its version check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import partial

import numpy as np
import pandas as pd
import pytest

from crm import actions
from crm.actions import ActionRefused, LeadChanged
from crm.email import render_email
from tests.crm.actions_floor import NOW, T, build_floor, counts, lead, rows


@pytest.fixture
def floor(crm_engine):
    return crm_engine, build_floor(crm_engine)


def state(row) -> tuple:
    return (row.am_id, row.desk, row.status, row.is_starred, row.priority, row.version)


def refused(engine, call, match: str):
    """``call()`` is refused with a message matching ``match`` and writes nothing."""
    before = counts(engine)
    leads_before = rows(engine, "leads")
    with pytest.raises(ActionRefused, match=match):
        call()
    assert counts(engine) == before
    assert rows(engine, "leads") == leads_before


# Assign ----------------------------------------------------------------------------------------


def test_assign_many_sets_owner_status_history_and_audit(floor):
    engine, ids = floor
    result = actions.assign(
        engine,
        actor_id=ids["Maria"],
        action_id="a1",
        leads={ids["new1"]: 1, ids["new2"]: 3},
        am_id=ids["Bob"],
        reason="new_lead",
        note="  hot leads from the webinar ",
        now=NOW,
    )
    assert result.message == (
        "2 leads assigned to Bob (new lead), not on Bob's list yet: star them to put them there."
    )
    assert result.versions == {ids["new1"]: 2, ids["new2"]: 4}
    assert not result.replayed
    assert state(lead(engine, ids["new1"])) == (
        ids["Bob"],
        "conversion",
        "assigned",
        False,
        "normal",
        2,
    )  # noqa: E501
    assert state(lead(engine, ids["new2"])) == (
        ids["Bob"],
        "conversion",
        "assigned",
        False,
        "normal",
        4,
    )  # noqa: E501
    assert lead(engine, ids["new1"]).updated_at == NOW

    history = rows(engine, "assignments")
    assert [
        (a.lead_id, a.from_am_id, a.to_am_id, a.from_desk, a.to_desk, a.by_id, a.reason, a.note)
        for a in history
    ] == [
        (
            ids[n],
            None,
            ids["Bob"],
            "conversion",
            "conversion",
            ids["Maria"],
            "new_lead",
            "hot leads from the webinar",
        )
        for n in ("new1", "new2")
    ]
    assert all(a.assigned_at == NOW for a in history)

    audit = rows(engine, "audit_log")
    assert [(a.action_id, a.actor_id, a.action, a.lead_id, a.at) for a in audit] == [
        ("a1", ids["Maria"], "assign", ids["new1"], NOW),
        ("a1", ids["Maria"], "assign", ids["new2"], NOW),
    ]
    assert audit[0].before == {
        "am_id": None, "desk": "conversion", "status": "new", "is_starred": False,
        "starred_by_id": None, "starred_at": None, "priority": "normal", "callback_at": None,
        "compliance_status": "not_started", "version": 1,
    }  # fmt: skip
    assert audit[0].after == {
        **audit[0].before, "am_id": ids["Bob"], "status": "assigned", "version": 2,
        "assignment_id": history[0].id,
    }  # fmt: skip
    assert audit[1].before["version"] == 3 and audit[1].after["version"] == 4

    (applied,) = rows(engine, "applied_actions")
    assert (applied.action_id, applied.actor_id, applied.action, applied.lead_count) == (
        "a1", ids["Maria"], "assign", 2,
    )  # fmt: skip
    assert applied.applied_at == NOW


def test_the_same_action_id_twice_writes_once_and_answers_the_first_result(floor):
    engine, ids = floor
    call = dict(
        actor_id=ids["Maria"], action_id="twice", leads=[(ids["new1"], 1)], am_id=ids["Bob"],
        reason="new_lead", now=NOW,
    )  # fmt: skip
    first = actions.assign(engine, **call)
    after_first = counts(engine)
    # A rerun of the page: same id, and by now a stale version; it must not be a conflict.
    again = actions.assign(engine, **call)
    assert counts(engine) == after_first
    assert again.replayed and not first.replayed
    assert (again.message, again.versions) == (first.message, first.versions)
    assert lead(engine, ids["new1"]).version == 2


def test_an_action_id_used_for_another_action_is_refused(floor):
    engine, ids = floor
    actions.star(engine, actor_id=ids["Maria"], action_id="x", leads={ids["owned"]: 2}, now=NOW)
    refused(
        engine,
        lambda: actions.unstar(
            engine, actor_id=ids["Maria"], action_id="x", leads={ids["owned"]: 3}, now=NOW
        ),
        "already used for 'star'",
    )


def test_a_stale_version_is_a_conflict_and_nothing_of_the_action_is_written(floor):
    engine, ids = floor
    # Bob's manager saw 'owned' at version 2; Maria reassigns it first.
    actions.assign(
        engine, actor_id=ids["Maria"], action_id="first", leads={ids["owned"]: 2},
        am_id=ids["Bob"], reason="reassignment", note="Alice is away", now=NOW,
    )  # fmt: skip
    before = counts(engine)
    with pytest.raises(LeadChanged) as raised:
        actions.assign(
            engine, actor_id=ids["Maria"], action_id="second",
            leads={ids["new1"]: 1, ids["owned"]: 2}, am_id=ids["Alice"], reason="reassignment",
            note="Alice is back", now=NOW,
        )  # fmt: skip
    assert raised.value.lead_id == ids["owned"]
    assert str(raised.value) == (
        f"lead {ids['owned']} was changed by Maria since you saw it (version 2, now 3): nothing "
        "was saved; look at it again and redo your change if it still applies."
    )
    assert counts(engine) == before
    assert state(lead(engine, ids["new1"])) == (None, "conversion", "new", False, "normal", 1)
    assert lead(engine, ids["owned"]).am_id == ids["Bob"]


def test_a_refused_action_id_can_be_used_again_once_the_cause_is_fixed(floor):
    engine, ids = floor
    call = dict(actor_id=ids["Maria"], action_id="retry", am_id=ids["Bob"], reason="new_lead")
    with pytest.raises(LeadChanged):
        actions.assign(engine, leads={ids["new2"]: 1}, now=NOW, **call)
    result = actions.assign(engine, leads={ids["new2"]: 3}, now=NOW, **call)
    assert result.versions == {ids["new2"]: 4}


REFUSALS = {
    "unknown lead": (
        lambda ids: dict(leads={999_999: 1}, am_id=ids["Bob"]),
        "there is no lead 999999",
    ),
    "unknown AM": (lambda ids: dict(am_id=424_242), "there is no account manager 424242"),
    "no AM chosen": (lambda ids: dict(am_id=None), "no account manager chosen"),
    "inactive AM": (lambda ids: dict(am_id=ids["Carl"]), "Carl is inactive"),
    "AM on the wrong desk": (
        lambda ids: dict(am_id=ids["Rita"]),
        "Rita works on the retention desk, not conversion",
    ),
    "not an AM": (lambda ids: dict(am_id=ids["Eve"]), "Eve is not an account manager"),
    "unknown reason": (lambda ids: dict(reason="because"), "'because' is not a reason"),
    "over-long note": (lambda ids: dict(note="x" * 2001), "2,001 characters, more than 2,000"),
    "over the bulk limit": (
        lambda ids: dict(leads={i: 1 for i in range(1, 1002)}),
        "1,001 leads selected",
    ),
    "nothing selected": (lambda ids: dict(leads={}), "no lead selected"),
    "retention for a lead who never deposited": (
        lambda ids: dict(reason="retention", am_id=ids["Rita"]),
        "has not deposited",
    ),
    "both desks at once": (
        lambda ids: dict(leads={ids["new1"]: 1, ids["kept"]: 5}),
        "on both desks",
    ),
    "unknown actor": (lambda ids: dict(actor_id=31_337), "no staff member 31337"),
    "nobody signed in": (lambda ids: dict(actor_id=None), "nobody is signed in"),
    "empty action id": (lambda ids: dict(action_id=" "), "the action has no id"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_assign_refuses_bad_input_and_writes_nothing(floor, case):
    engine, ids = floor
    change, match = REFUSALS[case]
    call = dict(
        actor_id=ids["Maria"], action_id=f"refused-{case}", leads={ids["new1"]: 1},
        am_id=ids["Bob"], reason="new_lead", now=NOW,
    )  # fmt: skip
    call.update(change(ids))
    refused(engine, lambda: actions.assign(engine, **call), match)


def test_an_inactive_actor_is_refused(floor):
    engine, ids = floor
    with engine.begin() as connection:
        connection.execute(
            T["staff"].update().where(T["staff"].c.id == ids["Maria"]).values(is_active=False)
        )
    refused(
        engine,
        lambda: actions.star(
            engine, actor_id=ids["Maria"], action_id="s", leads={ids["owned"]: 2}, now=NOW
        ),
        "Maria's account is inactive",
    )


def test_retention_moves_a_client_to_the_retention_desk(floor):
    engine, ids = floor
    actions.assign(
        engine, actor_id=ids["Maria"], action_id="r", leads={ids["client"]: 1},
        am_id=ids["Rita"], reason="retention", now=NOW,
    )  # fmt: skip
    assert state(lead(engine, ids["client"])) == (
        ids["Rita"], "retention", "retention", False, "normal", 2,
    )  # fmt: skip
    (history,) = rows(engine, "assignments")
    assert (history.from_am_id, history.from_desk, history.to_desk, history.reason) == (
        ids["Alice"], "conversion", "retention", "retention",
    )  # fmt: skip


# Notes and stars -------------------------------------------------------------------------------


def test_add_note(floor):
    engine, ids = floor
    result = actions.add_note(
        engine, actor_id=ids["Alice"], action_id="n", lead_id=ids["owned"],
        body=" Prefers calls after 6pm. ", now=NOW,
    )  # fmt: skip
    (note,) = rows(engine, "notes")
    assert (note.lead_id, note.author_id, note.body, note.created_at) == (
        ids["owned"], ids["Alice"], "Prefers calls after 6pm.", NOW,
    )  # fmt: skip
    (audit,) = rows(engine, "audit_log")
    assert (audit.lead_id, audit.before, audit.after) == (
        ids["owned"], None, {"note_id": note.id, "body": "Prefers calls after 6pm."},
    )  # fmt: skip
    assert result.message == f"note added to lead {ids['owned']}."
    assert lead(engine, ids["owned"]).version == 2  # a note changes no state of the lead


@pytest.mark.parametrize(
    ("lead_name", "body", "match"),
    [
        ("owned", "   ", "the note is empty"),
        ("owned", "y" * 2001, "more than 2,000"),
        (None, "hello", "there is no lead 777777"),
    ],
)
def test_add_note_refusals(floor, lead_name, body, match):
    engine, ids = floor
    lead_id = ids[lead_name] if lead_name else 777_777
    refused(
        engine,
        lambda: actions.add_note(
            engine, actor_id=ids["Alice"], action_id="n", lead_id=lead_id, body=body, now=NOW
        ),
        match,
    )


def test_star_then_unstar(floor):
    engine, ids = floor
    starred = actions.star(
        engine, actor_id=ids["Maria"], action_id="s1",
        leads={ids["owned"]: 2, ids["client"]: 1}, now=NOW,
    )  # fmt: skip
    assert starred.message == "2 leads starred."
    row = lead(engine, ids["owned"])
    assert (row.is_starred, row.starred_by_id, row.starred_at, row.version) == (
        True, ids["Maria"], NOW, 3,
    )  # fmt: skip
    actions.unstar(
        engine, actor_id=ids["Maria"], action_id="s2", leads=starred.versions,
        now=NOW + timedelta(hours=1),
    )  # fmt: skip
    row = lead(engine, ids["owned"])
    assert (row.is_starred, row.starred_by_id, row.starred_at, row.version) == (
        False, None, None, 4,
    )  # fmt: skip
    audit = rows(engine, "audit_log", T["audit_log"].c.lead_id == ids["owned"])
    assert [(a.action, a.before["is_starred"], a.after["is_starred"]) for a in audit] == [
        ("star", False, True),
        ("unstar", True, False),
    ]
    assert audit[0].after["starred_at"] == "2026-03-10T12:00:00+00:00"


def test_a_lead_without_an_am_cannot_be_starred(floor):
    engine, ids = floor
    refused(
        engine,
        lambda: actions.star(
            engine,
            actor_id=ids["Maria"],
            action_id="s",
            leads={ids["owned"]: 2, ids["new1"]: 1},
            now=NOW,
        ),  # fmt: skip
        f"lead {ids['new1']} has no AM",
    )


# End of shift ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    lead_id: int
    version: int


@dataclass(frozen=True)
class Plan:
    unstar: list[Ref]
    star: list[Ref]


def test_end_of_shift_applies_the_whole_plan_in_one_transaction(floor):
    engine, ids = floor
    actions.star(
        engine, actor_id=ids["Maria"], action_id="morning",
        leads={ids["owned"]: 2, ids["kept"]: 5}, now=NOW - timedelta(hours=4),
    )  # fmt: skip
    plan = Plan(
        unstar=[Ref(ids["owned"], 3), Ref(ids["kept"], 6)],
        star=[Ref(ids["kept"], 6), Ref(ids["client"], 1)],  # kept is due tomorrow too
    )
    result = actions.end_of_shift(
        engine, actor_id=ids["Maria"], action_id="eos", plan=plan, now=NOW
    )
    assert result.message == "end of shift: 1 lead unstarred, 2 leads starred."
    assert result.versions == {ids["owned"]: 4, ids["kept"]: 7, ids["client"]: 2}
    owned, kept, client = (lead(engine, ids[n]) for n in ("owned", "kept", "client"))
    assert (owned.is_starred, owned.starred_at) == (False, None)
    assert (kept.is_starred, kept.starred_at) == (True, NOW)
    assert (client.is_starred, client.starred_by_id, client.starred_at) == (
        True, ids["Maria"], NOW,
    )  # fmt: skip
    audit = rows(engine, "audit_log", T["audit_log"].c.action_id == "eos")
    assert sorted(a.lead_id for a in audit) == sorted([ids["owned"], ids["kept"], ids["client"]])


def test_end_of_shift_with_one_stale_lead_applies_nothing(floor):
    engine, ids = floor
    actions.star(
        engine, actor_id=ids["Maria"], action_id="morning", leads={ids["owned"]: 2}, now=NOW
    )
    plan = Plan(unstar=[Ref(ids["owned"], 3)], star=[Ref(ids["client"], 1), Ref(ids["kept"], 4)])
    refused(
        engine,
        lambda: actions.end_of_shift(
            engine, actor_id=ids["Maria"], action_id="eos", plan=plan, now=NOW
        ),
        f"lead {ids['kept']} was changed since you saw it \\(version 4, now 5\\)",
    )
    assert lead(engine, ids["owned"]).is_starred


def test_an_end_of_shift_over_its_limit_is_refused(floor):
    engine, ids = floor
    plan = Plan(unstar=[Ref(i, 1) for i in range(1, 10_002)], star=[])
    refused(
        engine,
        lambda: actions.end_of_shift(
            engine, actor_id=ids["Maria"], action_id="eos", plan=plan, now=NOW
        ),
        "10,001 leads selected, more than 10,000",
    )


def test_lead_ids_from_a_dataframe_are_taken(floor):
    engine, ids = floor
    frame = pd.DataFrame({"lead_id": [ids["owned"]], "version": [2]})
    result = actions.star(
        engine,
        actor_id=ids["Maria"],
        action_id="s",
        leads=dict(zip(frame["lead_id"], frame["version"], strict=True)),
        now=NOW,
    )
    assert result.versions == {ids["owned"]: 3}


# Every action, with each id and version as numpy integers, as a page takes them from a dataframe
# (issue 26: a numpy lead id got "there is no lead 18": SQLite bound it as a blob).
NUMPY_CALLS = {
    "add_note": lambda ids, n: partial(
        actions.add_note,
        actor_id=n(ids["Maria"]), lead_id=n(ids["owned"]), body="Call after 6."
    ),
    "log_call": lambda ids, n: partial(
        actions.log_call,
        actor_id=n(ids["Alice"]), lead_id=n(ids["owned"]), version=n(2), outcome="no_answer",
        duration_s=n(30), callback_at=datetime(2026, 3, 11, 10, 0),
    ),
    "assign": lambda ids, n: partial(
        actions.assign,
        actor_id=n(ids["Maria"]), leads={n(ids["new1"]): n(1)}, am_id=n(ids["Bob"]),
        reason="new_lead",
    ),
    "star": lambda ids, n: partial(
        actions.star, actor_id=n(ids["Maria"]), leads={n(ids["owned"]): n(2)}
    ),
    "assign_failed_deposit": lambda ids, n: partial(
        actions.assign_failed_deposit,
        actor_id=n(ids["Maria"]), deposit_id=n(ids["declined"]), am_id=n(ids["Bob"]),
        version=n(3),
    ),
    "assign_for_upsale": lambda ids, n: partial(
        actions.assign_for_upsale,
        actor_id=n(ids["Maria"]), deposit_id=n(ids["self"]), am_id=n(ids["Bob"]), version=n(1),
        note="Alice is on leave",
    ),
    "record_on_target_board": lambda ids, n: partial(
        actions.record_on_target_board,
        actor_id=n(ids["Maria"]), deposit_id=n(ids["owned_deposit"])
    ),
    "approve_compliance": lambda ids, n: partial(
        actions.approve_compliance,
        actor_id=n(ids["Maria"]), lead_id=n(ids["client"]), version=n(1), am_id=n(ids["Rita"])
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", NUMPY_CALLS)
def test_numpy_ids_are_taken_by_every_action(floor, name):
    engine, ids = floor
    first = NUMPY_CALLS[name](ids, np.int64)(engine, action_id="n", now=NOW)
    assert not first.replayed
    assert counts(engine)["applied_actions"] == 1
    # The result names plain ids, which session state and JSON keep.
    assert all(type(lead_id) is int and type(v) is int for lead_id, v in first.versions.items())


def test_an_empty_end_of_shift_changes_nothing(floor):
    engine, ids = floor
    result = actions.end_of_shift(
        engine, actor_id=ids["Maria"], action_id="eos", plan=Plan([], []), now=NOW
    )
    assert result.message == "end of shift: nothing to change."
    assert counts(engine)["audit_log"] == 0


# Calls -----------------------------------------------------------------------------------------


def test_a_connected_call_makes_the_lead_contacted(floor):
    engine, ids = floor
    result = actions.log_call(
        engine, actor_id=ids["Alice"], action_id="c", lead_id=ids["owned"], version=2,
        outcome="connected", duration_s=240, now=NOW,
    )  # fmt: skip
    (call,) = rows(engine, "calls")
    assert (call.lead_id, call.am_id, call.outcome, call.duration_s, call.started_at) == (
        ids["owned"], ids["Alice"], "connected", 240, NOW,
    )  # fmt: skip
    assert state(lead(engine, ids["owned"])) == (
        ids["Alice"], "conversion", "contacted", False, "normal", 3,
    )  # fmt: skip
    assert result.versions == {ids["owned"]: 3}
    (audit,) = rows(engine, "audit_log")
    assert (audit.before["status"], audit.after["status"], audit.after["call_id"]) == (
        "assigned", "contacted", call.id,
    )  # fmt: skip


def test_no_answer_sets_the_callback_in_the_leads_zone_and_assigns_for_follow_up(floor):
    engine, ids = floor
    # 10:00 tomorrow in Tokyo (UTC+9, no daylight saving) is 01:00 UTC.
    result = actions.log_call(
        engine, actor_id=ids["Alice"], action_id="c", lead_id=ids["owned"], version=2,
        outcome="no_answer", duration_s=30, callback_at=datetime(2026, 3, 11, 10, 0), now=NOW,
    )  # fmt: skip
    row = lead(engine, ids["owned"])
    assert row.callback_at == datetime(2026, 3, 11, 1, 0, tzinfo=timezone.utc)
    assert (row.am_id, row.status, row.version) == (ids["Alice"], "follow_up", 3)
    (history,) = rows(engine, "assignments")
    assert (history.from_am_id, history.to_am_id, history.reason, history.by_id) == (
        ids["Alice"], ids["Alice"], "follow_up", ids["Alice"],
    )  # fmt: skip
    assert result.message == (
        f"no answer: callback Wed 11 Mar 10:00 in the lead's time (Asia/Tokyo); lead "
        f"{ids['owned']} assigned to Alice for follow-up."
    )


@pytest.mark.parametrize("status", ["converted", "retention"])
def test_no_answer_from_a_client_keeps_the_client_s_status(floor, status):
    """A client who has deposited and misses a call stays converted (or on retention): the
    callback is set and the AM follows up, but the funnel does not step back to follow-up."""
    engine, ids = floor
    with engine.begin() as connection:
        connection.execute(
            T["leads"].update().where(T["leads"].c.id == ids["owned"]).values(status=status)
        )
    actions.log_call(
        engine, actor_id=ids["Alice"], action_id="c", lead_id=ids["owned"], version=2,
        outcome="no_answer", duration_s=30, callback_at=datetime(2026, 3, 11, 10, 0), now=NOW,
    )  # fmt: skip
    row = lead(engine, ids["owned"])
    assert (row.status, row.callback_at) == (status, datetime(2026, 3, 11, 1, tzinfo=timezone.utc))
    (history,) = rows(engine, "assignments")
    assert (history.to_am_id, history.reason) == (ids["Alice"], "follow_up")


def test_a_callback_on_a_lead_whose_zone_is_not_a_zone_is_refused(floor):
    """Another program wrote a zone that is none: the callback, set in the lead's local time,
    is refused in one line (not a ZoneInfoNotFoundError); a call without one is logged."""
    engine, ids = floor
    with engine.begin() as connection:
        connection.execute(
            T["leads"]
            .update()
            .where(T["leads"].c.id == ids["owned"])
            .values(time_zone="Mars/Olympus_Mons")
        )
    local, utc = datetime(2026, 3, 11, 10, 0), datetime(2026, 3, 11, 1, 0, tzinfo=timezone.utc)
    for callback in (local, utc):
        refused(
            engine,
            lambda callback=callback: actions.log_call(
                engine, actor_id=ids["Alice"], action_id="c", lead_id=ids["owned"], version=2,
                outcome="no_answer", duration_s=30, callback_at=callback, now=NOW,
            ),
            rf"lead {ids['owned']}'s time zone 'Mars/Olympus_Mons' is not a time zone, so no "
            "callback can be set",
        )  # fmt: skip
    with pytest.raises(ActionRefused, match="'Mars/Olympus_Mons' is not a time zone"):
        actions.callback_utc(datetime(2026, 3, 11, 10, 0), "Mars/Olympus_Mons")
    result = actions.log_call(
        engine, actor_id=ids["Alice"], action_id="c", lead_id=ids["owned"], version=2,
        outcome="connected", duration_s=30, now=NOW,
    )  # fmt: skip
    assert result.message == f"connected call logged for lead {ids['owned']}."


def test_a_callback_across_the_clocks_change_is_stored_in_utc(floor):
    engine, ids = floor
    # New York moved to daylight time on 8 March 2026: 09:00 on the 12th is UTC-4, 13:00 UTC.
    # An AM calls only their own leads: new2 is Alice's first.
    actions.assign(
        engine, actor_id=ids["Maria"], action_id="a", leads={ids["new2"]: 3}, am_id=ids["Alice"],
        reason="new_lead", now=NOW,
    )  # fmt: skip
    actions.log_call(
        engine, actor_id=ids["Alice"], action_id="c", lead_id=ids["new2"], version=4,
        outcome="voicemail", callback_at=datetime(2026, 3, 12, 9, 0), now=NOW,
    )  # fmt: skip
    assert lead(engine, ids["new2"]).callback_at == datetime(
        2026, 3, 12, 13, 0, tzinfo=timezone.utc
    )


@pytest.mark.parametrize(
    ("lead_name", "changes", "match"),
    [
        ("owned", dict(outcome="no_answer"), "set the callback time"),
        (
            "owned",
            dict(outcome="no_answer", callback_at=datetime(2026, 3, 10, 20, 59)),
            "the callback 2026-03-10 20:59 \\(Asia/Tokyo\\) is in the past",
        ),
        # London springs forward on 29 March 2026: 01:30 does not happen that night.
        (
            "kept",
            dict(actor_id="Rita", outcome="busy", callback_at=datetime(2026, 3, 29, 1, 30)),
            "2026-03-29 01:30 does not exist in Europe/London",
        ),
        ("owned", dict(outcome="hung_up"), "'hung_up' is not a call outcome"),
        ("owned", dict(actor_id="Maria"), "Maria is not an account manager"),
        ("owned", dict(version=1), "was changed since you saw it"),
        # Rita's lead: an AM logs calls to their own leads only.
        ("kept", dict(outcome="no_answer", callback_at=datetime(2026, 3, 11, 9)), "is not yours"),
    ],
)
def test_log_call_refusals(floor, lead_name, changes, match):
    engine, ids = floor
    call = dict(
        actor_id=ids["Alice"], action_id="c", lead_id=ids[lead_name],
        version={"owned": 2, "new1": 1, "kept": 5}[lead_name], outcome="connected", now=NOW,
    )  # fmt: skip
    call.update(changes)
    if isinstance(call["actor_id"], str):
        call["actor_id"] = ids[call["actor_id"]]
    refused(engine, lambda: actions.log_call(engine, **call), match)


def test_a_wrong_number_queues_the_reach_you_mail_once(floor):
    engine, ids = floor
    result = actions.log_call(
        engine, actor_id=ids["Alice"], action_id="w1", lead_id=ids["owned"], version=2,
        outcome="wrong_number", duration_s=12, now=NOW,
    )  # fmt: skip
    assert result.message == (
        f"wrong number logged for lead {ids['owned']}; the reach-you mail is queued."
    )
    (mail,) = rows(engine, "email_outbox")
    expected = render_email("reach_you", first_name="Owned", phone="+44700900123")
    assert expected.subject == "We tried to reach you, Owned"
    assert "ending in 123" in expected.body
    assert (mail.lead_id, mail.template, mail.to_address, mail.status) == (
        ids["owned"], "reach_you", "owned@example.com", "queued",
    )  # fmt: skip
    assert (mail.subject, mail.body, mail.created_at) == (expected.subject, expected.body, NOW)
    again = actions.log_call(
        engine, actor_id=ids["Alice"], action_id="w2", lead_id=ids["owned"], version=3,
        outcome="wrong_number", now=NOW + timedelta(minutes=2),
    )  # fmt: skip
    assert "already queued" in again.message
    assert len(rows(engine, "email_outbox")) == 1
    assert lead(engine, ids["owned"]).status == "assigned"


# Deposits and compliance -----------------------------------------------------------------------


def test_a_failed_deposit_is_assigned_with_a_note_stating_the_decline(floor):
    engine, ids = floor
    result = actions.assign_failed_deposit(
        engine, actor_id=ids["Maria"], action_id="f", deposit_id=ids["declined"],
        am_id=ids["Bob"], version=3, note="She wants to try a wire.", now=NOW,
    )  # fmt: skip
    (history,) = rows(engine, "assignments")
    assert (history.lead_id, history.to_am_id, history.reason, history.note) == (
        ids["new2"], ids["Bob"], "failed_deposit",
        "Deposit of 250.00 EUR by card (Stripe) declined: insufficient funds. "
        "She wants to try a wire.",
    )  # fmt: skip
    assert result.message == (
        f"lead {ids['new2']} assigned to Bob with the decline reason, not on Bob's list yet: "
        "star it to put it there."
    )
    assert state(lead(engine, ids["new2"])) == (
        ids["Bob"], "conversion", "assigned", False, "normal", 4,
    )  # fmt: skip
    (audit,) = rows(engine, "audit_log")
    assert audit.after["deposit_id"] == ids["declined"]


def test_an_approved_deposit_is_no_failed_deposit(floor):
    engine, ids = floor
    refused(
        engine,
        lambda: actions.assign_failed_deposit(
            engine,
            actor_id=ids["Maria"],
            action_id="f",
            deposit_id=ids["self"],
            am_id=ids["Bob"],
            version=1,
            now=NOW,
        ),  # fmt: skip
        "was approved, not declined",
    )


def test_a_self_deposit_is_assigned_for_upsale_with_high_priority(floor):
    engine, ids = floor
    result = actions.assign_for_upsale(
        engine, actor_id=ids["Maria"], action_id="u", deposit_id=ids["self"],
        am_id=ids["Bob"], version=1, note="Alice is on leave", now=NOW,
    )  # fmt: skip
    # Alice owned the client and earned its 1,080.00 USD deposit: taken, with the credit rule.
    assert result.message == (
        f"lead {ids['client']} assigned to Bob for upsale, high priority, not on Bob's list "
        "yet: star it to put it there; taken from Alice: deposits made so far stay credited to "
        "Alice, deposits from now on are credited to Bob."
    )
    assert state(lead(engine, ids["client"])) == (
        ids["Bob"], "conversion", "converted", False, "high", 2,
    )  # fmt: skip
    (history,) = rows(engine, "assignments")
    assert (history.reason, history.from_am_id, history.to_am_id) == (
        "upsale", ids["Alice"], ids["Bob"],
    )  # fmt: skip


def test_a_deposit_on_an_owned_account_goes_on_the_ams_target_board_once(floor):
    engine, ids = floor
    result = actions.record_on_target_board(
        engine, actor_id=ids["Maria"], action_id="t1", deposit_id=ids["owned_deposit"], now=NOW
    )
    assert result.message == "1,080.00 USD recorded on Alice's target board."
    (entry,) = rows(engine, "target_board_entries")
    assert (entry.am_id, entry.deposit_id, entry.amount_usd, entry.recorded_by_id) == (
        ids["Alice"], ids["owned_deposit"], Decimal("1080.00"), ids["Maria"],
    )  # fmt: skip
    assert entry.recorded_at == NOW
    assert lead(engine, ids["client"]).version == 1
    refused(
        engine,
        lambda: actions.record_on_target_board(
            engine,
            actor_id=ids["Maria"],
            action_id="t2",
            deposit_id=ids["owned_deposit"],
            now=NOW,
        ),  # fmt: skip
        "already on Alice's target board \\(since 2026-03-10 12:00 UTC\\)",
    )


@pytest.mark.parametrize(
    ("action", "deposit", "match"),
    [
        ("record_on_target_board", "self", "is a self deposit: assign it for upsale instead"),
        ("assign_for_upsale", "owned_deposit", "record it on that AM's target board instead"),
        ("assign_for_upsale", "declined", "was declined, not approved"),
    ],
)
def test_new_deposit_refusals(floor, action, deposit, match):
    engine, ids = floor
    extra = {} if action == "record_on_target_board" else {"am_id": ids["Bob"], "version": 1}
    refused(
        engine,
        lambda: getattr(actions, action)(
            engine,
            actor_id=ids["Maria"],
            action_id="d",
            deposit_id=ids[deposit],
            now=NOW,
            **extra,
        ),  # fmt: skip
        match,
    )


def test_compliance_approved_sends_the_client_to_the_retention_desk(floor):
    engine, ids = floor
    result = actions.approve_compliance(
        engine, actor_id=ids["Maria"], action_id="k", lead_id=ids["client"], version=1,
        am_id=ids["Rita"], now=NOW,
    )  # fmt: skip
    row = lead(engine, ids["client"])
    assert (row.compliance_status, row.desk, row.am_id, row.status, row.version) == (
        "approved", "retention", ids["Rita"], "retention", 2,
    )  # fmt: skip
    (history,) = rows(engine, "assignments")
    assert (history.reason, history.to_desk) == ("retention", "retention")
    assert result.message == (
        f"compliance approved; lead {ids['client']} assigned to Rita on the retention desk."
    )


@pytest.mark.parametrize(
    ("lead_name", "version", "am", "match"),
    [
        ("new1", 1, "Rita", "has not deposited yet"),
        ("client", 1, "Bob", "Bob works on the conversion desk, not retention"),
    ],
)
def test_compliance_refusals(floor, lead_name, version, am, match):
    engine, ids = floor
    refused(
        engine,
        lambda: actions.approve_compliance(
            engine,
            actor_id=ids["Maria"],
            action_id="k",
            lead_id=ids[lead_name],
            version=version,
            am_id=ids[am],
            now=NOW,
        ),  # fmt: skip
        match,
    )


# Registration and settings ---------------------------------------------------------------------


PERSON = {
    "first_name": "Zoë",
    "last_name": "Quinn",
    "email": "zoe@example.com",
    "phone": "+351912345678",
    "country": "PT",
    "time_zone": "Europe/Lisbon",
    "language": "pt",
    "source": "import",
}


def test_a_registration_creates_the_lead_and_queues_the_welcome_mail(floor):
    engine, ids = floor
    result = actions.register_leads(engine, [PERSON], action_id="reg", now=NOW)
    (lead_id,) = result.details["lead_ids"]
    row = lead(engine, lead_id)
    assert (row.first_name, row.registered_at, row.status, row.am_id, row.version) == (
        "Zoë", NOW, "new", None, 1,
    )  # fmt: skip
    (mail,) = rows(engine, "email_outbox")
    assert (mail.lead_id, mail.template, mail.to_address, mail.subject) == (
        lead_id, "welcome", "zoe@example.com", "Welcome to your trading account, Zoë",
    )  # fmt: skip
    (audit,) = rows(engine, "audit_log")
    assert (audit.actor_id, audit.action, audit.lead_id, audit.before) == (
        None, "register", lead_id, None,
    )  # fmt: skip
    assert audit.after["status"] == "new" and audit.after["email_id"] == mail.id
    assert actions.register_leads(engine, [PERSON], action_id="reg", now=NOW).replayed
    assert len(rows(engine, "email_outbox")) == 1


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"email": ""}, "registration 1 has no email"),
        ({"email": "zoe.example.com"}, "is not an email address"),
        ({"time_zone": "Mars/Olympus"}, "'Mars/Olympus' is not a time zone"),
        ({"time_zone": "America"}, "'America' is not a time zone"),  # a folder of the database
        ({"time_zone": "localtime"}, "'localtime' is not a time zone"),  # this machine's zone
    ],
)
def test_registration_refusals(floor, change, match):
    engine, _ = floor
    refused(
        engine,
        lambda: actions.register_leads(engine, [{**PERSON, **change}], action_id="r", now=NOW),
        match,
    )


def test_set_calling_hours_then_change_them(floor):
    engine, ids = floor
    actions.set_calling_hours(
        engine, actor_id=ids["Maria"], action_id="h1", hours="08:30-19:00", now=NOW
    )
    result = actions.set_calling_hours(
        engine, actor_id=ids["Maria"], action_id="h2", hours=" 10:00 - 18:00 ", now=NOW
    )
    assert result.message == "calling hours set to 10:00-18:00, in each lead's own time zone."
    (setting,) = rows(engine, "crm_settings", T["crm_settings"].c.key == "calling_hours")
    assert setting.value == "10:00-18:00"
    audit = rows(engine, "audit_log")
    assert [(a.lead_id, a.before, a.after) for a in audit] == [
        (None, None, {"calling_hours": "08:30-19:00"}),
        (None, {"calling_hours": "08:30-19:00"}, {"calling_hours": "10:00-18:00"}),
    ]


def test_calling_hours_that_end_before_they_start_are_refused(floor):
    engine, ids = floor
    refused(
        engine,
        lambda: actions.set_calling_hours(
            engine, actor_id=ids["Maria"], action_id="h", hours="20:00-09:00", now=NOW
        ),
        "end before they start",
    )


# Undo ------------------------------------------------------------------------------------------


def test_undo_restores_the_leads_not_changed_since_and_names_the_others(floor):
    engine, ids = floor
    bulk = actions.assign(
        engine, actor_id=ids["Maria"], action_id="bulk",
        leads={ids["new1"]: 1, ids["new2"]: 3, ids["owned"]: 2}, am_id=ids["Bob"],
        reason="reassignment", note="Alice is away", now=NOW,
    )  # fmt: skip
    actions.star(
        engine, actor_id=ids["Maria"], action_id="later",
        leads={ids["new2"]: bulk.versions[ids["new2"]]}, now=NOW + timedelta(minutes=5),
    )  # fmt: skip
    kept_assignment = rows(engine, "assignments", T["assignments"].c.lead_id == ids["new2"])
    result = actions.undo_assignment(
        engine, actor_id=ids["Maria"], action_id="undo", assignment_action_id="bulk",
        now=NOW + timedelta(hours=2),
    )  # fmt: skip
    assert result.message == (
        f"assignment undone for 2 leads; 1 lead changed since and kept as they are "
        f"(lead {ids['new2']})."
    )
    assert state(lead(engine, ids["new1"])) == (None, "conversion", "new", False, "normal", 3)
    assert state(lead(engine, ids["owned"])) == (
        ids["Alice"], "conversion", "assigned", False, "normal", 4,
    )  # fmt: skip
    assert state(lead(engine, ids["new2"])) == (
        ids["Bob"],
        "conversion",
        "assigned",
        True,
        "normal",
        5,
    )  # noqa: E501
    # The undone assignments leave the history (a tombstone tells the ETL); new2's stays.
    assert rows(engine, "assignments") == kept_assignment
    tombstones = rows(engine, "deleted_rows", T["deleted_rows"].c.table_name == "assignments")
    assert len(tombstones) == 2
    audit = rows(engine, "audit_log", T["audit_log"].c.action_id == "undo")
    assert [(a.lead_id, a.before["am_id"], a.after["am_id"]) for a in audit] == [
        (ids["new1"], ids["Bob"], None),
        (ids["owned"], ids["Bob"], ids["Alice"]),
    ]
    refused(
        engine,
        lambda: actions.undo_assignment(
            engine,
            actor_id=ids["Maria"],
            action_id="undo-again",
            assignment_action_id="bulk",
            now=NOW + timedelta(hours=3),
        ),  # fmt: skip
        "already undone at 14:00 UTC",
    )


@pytest.mark.parametrize(
    ("target", "later", "match"),
    [
        ("bulk", timedelta(hours=13), "more than 12 hours ago: undo works within the shift"),
        ("starred", timedelta(minutes=1), "was 'star': only an assignment can be undone"),
        ("nothing", timedelta(minutes=1), "there is no action nothing to undo"),
        ("bulk-changed", timedelta(minutes=1), "nothing undone: every lead"),
    ],
)
def test_undo_refusals(floor, target, later, match):
    engine, ids = floor
    actions.assign(
        engine, actor_id=ids["Maria"], action_id="bulk", leads={ids["new1"]: 1},
        am_id=ids["Bob"], reason="new_lead", now=NOW,
    )  # fmt: skip
    actions.star(
        engine, actor_id=ids["Maria"], action_id="starred", leads={ids["new1"]: 2}, now=NOW
    )
    if target == "bulk-changed":
        target = "bulk"  # new1 was starred after the assignment: nothing is left to undo
    refused(
        engine,
        lambda: actions.undo_assignment(
            engine,
            actor_id=ids["Maria"],
            action_id="undo",
            assignment_action_id=target,
            now=NOW + later,
        ),  # fmt: skip
        match,
    )
