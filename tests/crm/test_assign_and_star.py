"""Assign and star in one step, and taking a lead from another AM (issue 22, items 2 and 3), on
SQLite and PostgreSQL, on the floor of ``actions_floor`` (values written out there by hand):
new1 (nobody's, version 1), new2 (nobody's, version 3, a declined deposit), client (Alice's,
version 1, a self deposit and an approved 1,080.00 USD deposit credited to Alice)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from crm import actions
from crm.actions import ActionRefused, LeadChanged
from tests.crm.actions_floor import NOW, T, build_floor, counts, lead, rows


@pytest.fixture
def floor(crm_engine):
    return crm_engine, build_floor(crm_engine)


def audit_of(engine, action_id: str) -> list[tuple]:
    return sorted(
        (a.action, a.lead_id, a.before["version"], a.after["version"], a.after["is_starred"])
        for a in rows(engine, "audit_log", T["audit_log"].c.action_id == action_id)
    )


def refused(engine, call, match: str) -> None:
    before, leads_before = counts(engine), rows(engine, "leads")
    with pytest.raises(ActionRefused, match=match):
        call()
    assert counts(engine) == before
    assert rows(engine, "leads") == leads_before


# Assign and star (item 2) ------------------------------------------------------------------


def test_assign_and_star_is_one_action_audited_as_both(floor):
    engine, ids = floor
    call = dict(
        actor_id=ids["Maria"], action_id="as", leads={ids["new1"]: 1}, am_id=ids["Bob"],
        reason="new_lead", star=True, now=NOW,
    )  # fmt: skip
    result = actions.assign(engine, **call)
    assert result.message == "1 lead assigned to Bob (new lead), starred: on Bob's list now."
    # Two changes, so two versions: 1 -> 2 (assigned) -> 3 (starred).
    assert result.versions == {ids["new1"]: 3}
    row = lead(engine, ids["new1"])
    assert (row.am_id, row.status, row.is_starred, row.starred_by_id, row.version) == (
        ids["Bob"], "assigned", True, ids["Maria"], 3,
    )  # fmt: skip
    assert row.starred_at == NOW
    assert audit_of(engine, "as") == [
        ("assign", ids["new1"], 1, 2, False),
        ("star", ids["new1"], 2, 3, True),
    ]
    assert counts(engine)["applied_actions"] == 1
    assert counts(engine)["assignments"] == 1
    # A double click: the same action id writes nothing more.
    again = actions.assign(engine, **call)
    assert again.replayed and again.versions == {ids["new1"]: 3}
    assert counts(engine)["audit_log"] == 2


def test_assign_without_star_says_the_lead_is_not_on_the_list_yet(floor):
    engine, ids = floor
    result = actions.assign(
        engine, actor_id=ids["Maria"], action_id="a", leads={ids["new1"]: 1}, am_id=ids["Bob"],
        reason="follow_up", now=NOW,
    )  # fmt: skip
    assert result.message == (
        "1 lead assigned to Bob (follow up), not on Bob's list yet: star it to put it there."
    )
    assert lead(engine, ids["new1"]).is_starred is False


def test_a_failed_deposit_and_an_upsale_can_be_starred_with_the_assignment(floor):
    engine, ids = floor
    failed = actions.assign_failed_deposit(
        engine, actor_id=ids["Maria"], action_id="f", deposit_id=ids["declined"],
        am_id=ids["Bob"], version=3, star=True, now=NOW,
    )  # fmt: skip
    assert failed.message == (
        f"lead {ids['new2']} assigned to Bob with the decline reason, starred: on Bob's list now."
    )
    assert audit_of(engine, "f") == [
        ("assign_failed_deposit", ids["new2"], 3, 4, False),
        ("star", ids["new2"], 4, 5, True),
    ]
    upsale = actions.assign_for_upsale(
        engine, actor_id=ids["Maria"], action_id="u", deposit_id=ids["self"],
        am_id=ids["Alice"], version=1, star=True, now=NOW,
    )  # fmt: skip
    assert upsale.message == (
        f"lead {ids['client']} assigned to Alice for upsale, high priority, starred: on Alice's "
        "list now."
    )
    row = lead(engine, ids["client"])
    assert (row.am_id, row.priority, row.is_starred, row.version) == (ids["Alice"], "high", True, 3)


def test_undo_of_an_assign_and_star_takes_the_star_back(floor):
    engine, ids = floor
    actions.assign(
        engine, actor_id=ids["Maria"], action_id="bulk", leads={ids["new1"]: 1, ids["new2"]: 3},
        am_id=ids["Bob"], reason="new_lead", star=True, now=NOW,
    )  # fmt: skip
    (listed,) = actions.undoable_assignments(
        engine.connect(), ids["Maria"], NOW + timedelta(minutes=1)
    )
    assert (listed.action_id, listed.leads) == ("bulk", 2)
    result = actions.undo_assignment(
        engine, actor_id=ids["Maria"], action_id="undo", assignment_action_id="bulk",
        now=NOW + timedelta(minutes=1),
    )  # fmt: skip
    assert result.message == "assignment undone for 2 leads."
    for name, version in (("new1", 4), ("new2", 6)):
        row = lead(engine, ids[name])
        assert (row.am_id, row.status, row.is_starred, row.starred_by_id, row.starred_at) == (
            None, "new", False, None, None,
        )  # fmt: skip
        assert row.version == version


@pytest.mark.parametrize(
    "crm_url",
    [pytest.param("postgresql", marks=pytest.mark.postgres), pytest.param("sqlite")],
    indirect=True,
)
def test_two_managers_assigning_and_starring_one_lead_at_once_write_one(crm_engine):
    ids = build_floor(crm_engine)
    seen = {ids["new1"]: 1}
    lost: list[BaseException] = []

    def second() -> None:
        try:
            actions.assign(
                crm_engine, actor_id=ids["Maria"], action_id="second", leads=seen,
                am_id=ids["Alice"], reason="new_lead", star=True, now=NOW,
            )  # fmt: skip
        except LeadChanged as error:
            lost.append(error)

    with crm_engine.connect().execution_options(sqlite_begin="IMMEDIATE") as first:
        with first.begin():
            actions.assign(
                first, actor_id=ids["Maria"], action_id="first", leads=seen, am_id=ids["Bob"],
                reason="new_lead", star=True, now=NOW,
            )  # fmt: skip
            racer = threading.Thread(target=second)
            racer.start()
            time.sleep(0.5)
            assert racer.is_alive(), "the second manager did not wait for the first"
        racer.join(timeout=30)
    (conflict,) = lost
    assert (conflict.seen, conflict.current) == (1, 3)
    row = lead(crm_engine, ids["new1"])
    assert (row.am_id, row.is_starred, row.version) == (ids["Bob"], True, 3)
    assert counts(crm_engine)["audit_log"] == 2
    assert counts(crm_engine)["assignments"] == 1


# Taking a lead from another AM (item 3) ----------------------------------------------------


def test_taking_a_depositing_client_names_its_owner_and_needs_reassign_with_a_note(floor):
    engine, ids = floor
    take = dict(
        actor_id=ids["Maria"], action_id="take", leads={ids["client"]: 1}, am_id=ids["Bob"],
        now=NOW,
    )  # fmt: skip
    owner = (
        f"lead {ids['client']} is Alice's, 1 deposit of 1,080.00 USD in all credited to Alice: "
        "to take a lead from its AM, "
    )
    refused(
        engine,
        lambda: actions.assign(engine, **take, reason="new_lead", note="hot"),
        owner + "choose the reason reassignment and write a note saying why",
    )
    refused(
        engine,
        lambda: actions.assign(engine, **take, reason="reassignment"),
        "choose the reason reassignment and write a note saying why",
    )
    result = actions.assign(engine, **take, reason="reassignment", note="Alice moved desk")
    assert result.message == (
        "1 lead assigned to Bob (reassignment), not on Bob's list yet: star it to put it "
        "there; taken from Alice: deposits made so far stay credited to Alice, deposits from "
        "now on are credited to Bob."
    )
    assert result.details["taken_from"] == {ids["client"]: ids["Alice"]}
    (history,) = rows(engine, "assignments")
    assert (history.from_am_id, history.to_am_id, history.reason, history.note) == (
        ids["Alice"], ids["Bob"], "reassignment", "Alice moved desk",
    )  # fmt: skip


def test_the_owner_is_named_with_since_when(floor):
    engine, ids = floor
    actions.assign(
        engine, actor_id=ids["Maria"], action_id="a", leads={ids["new1"]: 1},
        am_id=ids["Alice"], reason="new_lead", now=NOW - timedelta(days=2),
    )  # fmt: skip
    refused(
        engine,
        lambda: actions.assign(
            engine,
            actor_id=ids["Maria"],
            action_id="b",
            leads={ids["new1"]: 2},
            am_id=ids["Bob"],
            reason="follow_up",
            now=NOW,
        ),  # fmt: skip
        f"lead {ids['new1']} is Alice's since 8 Mar 2026, no deposit credited to Alice",
    )


def test_no_take_when_the_owner_keeps_it_or_the_retention_desk_receives_a_client(floor):
    engine, ids = floor
    kept = actions.assign(
        engine, actor_id=ids["Maria"], action_id="own", leads={ids["client"]: 1},
        am_id=ids["Alice"], reason="follow_up", now=NOW,
    )  # fmt: skip
    assert "taken" not in kept.message
    handover = actions.assign(
        engine, actor_id=ids["Maria"], action_id="ret", leads={ids["client"]: 2},
        am_id=ids["Rita"], reason="retention", now=NOW,
    )  # fmt: skip
    assert lead(engine, ids["client"]).am_id == ids["Rita"]
    assert "taken" not in handover.message


def test_a_review_taking_a_lead_needs_the_managers_own_words(floor):
    engine, ids = floor
    refused(
        engine,
        lambda: actions.assign_for_upsale(
            engine,
            actor_id=ids["Maria"],
            action_id="u",
            deposit_id=ids["self"],
            am_id=ids["Bob"],
            version=1,
            now=NOW,
        ),  # fmt: skip
        f"lead {ids['client']} is Alice's, 1 deposit of 1,080.00 USD in all credited to Alice: "
        "to take a lead from its AM, write a note saying why",
    )
