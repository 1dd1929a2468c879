"""Lead distribution in the CRM (issue 25): rules assign new leads at registration, through the
audited assignment with reason auto and an explanation; leads no one can take wait with a reason
and go, in registration order, when someone is available."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm import actions
from crm.actions import ActionRefused
from crm.actions import distribution as dist
from crm.distribution.availability import Shift
from tests.crm.distribution_floor import (
    NOW,
    T,
    add_staff,
    auto_assignments,
    owners,
    person,
    register,
    rule,
    shifts,
    waiting,
)


def test_no_rule_switched_on_leaves_new_leads_as_they_were(crm_engine):
    ravi = add_staff(crm_engine, "Ravi")
    shifts(crm_engine, ravi)
    rule(crm_engine, "EU-EN", {ravi: 1}, on=False)
    register(crm_engine, [person(1)])
    assert list(owners(crm_engine).values()) == [None]
    assert waiting(crm_engine) == {}


def test_registration_assigns_by_rule_with_its_explanation_and_audit(crm_engine):
    ravi = add_staff(crm_engine, "Ravi", zone="Asia/Nicosia")
    anna = add_staff(crm_engine, "Anna", zone="Asia/Nicosia")
    for am in (ravi, anna):
        shifts(crm_engine, am)
    rule(crm_engine, "EU-EN", {ravi: 1, anna: 1}, segment={"languages": ["en"]}, daily_cap=40)
    result = register(crm_engine, [person(1), person(2), person(3)])
    lead_ids = result.details["lead_ids"]
    # Equal weights take turns from the lower id (Ravi was added first); 14:00 in Nicosia is
    # inside 09:00-18:00 there, and the shift ends at 18:00 Nicosia time.
    rows = auto_assignments(crm_engine)
    assert [(r.lead_id, r.to_am_id) for r in rows] == [
        (lead_ids[0], ravi),
        (lead_ids[1], anna),
        (lead_ids[2], ravi),
    ]
    assert rows[0].note == (
        "rule EU-EN → pool of 2; Ravi next in rotation; 1 of 40 today; on shift until 18:00 Nicosia"
    )
    assert rows[2].note.endswith("2 of 40 today; on shift until 18:00 Nicosia")
    assert {r.reason for r in rows} == {"auto"} and {r.by_id for r in rows} == {None}
    with crm_engine.connect() as connection:
        lead = connection.execute(sa.select(T["leads"]).where(T["leads"].c.id == lead_ids[0])).one()
        audit = connection.execute(
            sa.select(T["audit_log"].c.after)
            .where(T["audit_log"].c.lead_id == lead_ids[0])
            .order_by(T["audit_log"].c.id)
        ).all()
    assert (lead.am_id, lead.status, lead.version) == (ravi, "assigned", 2)
    assert [entry.after["version"] for entry in audit] == [1, 2]
    assert audit[1].after["am_id"] == ravi and "assignment_id" in audit[1].after
    assert result.versions[lead_ids[0]] == 2


def test_first_matching_rule_wins_and_the_star_option_stars(crm_engine):
    ravi, anna = add_staff(crm_engine, "Ravi"), add_staff(crm_engine, "Anna")
    for am in (ravi, anna):
        shifts(crm_engine, am)
    rule(crm_engine, "Germany", {anna: 1}, segment={"countries": ["de"]}, star=True)
    rule(crm_engine, "Everyone", {ravi: 1})
    ids = register(crm_engine, [person(1, country="DE"), person(2, country="CY")]).details[
        "lead_ids"
    ]
    assert owners(crm_engine) == {ids[0]: anna, ids[1]: ravi}
    with crm_engine.connect() as connection:
        starred = dict(
            connection.execute(sa.select(T["leads"].c.id, T["leads"].c.is_starred)).all()
        )
    assert starred == {ids[0]: True, ids[1]: False}


def test_nobody_off_shift_inactive_or_on_leave_receives_and_the_lead_waits(crm_engine):
    # 12:00 UTC is 21:00 in Tokyo: off shift there.
    tokyo = add_staff(crm_engine, "Kenji", zone="Asia/Tokyo")
    gone = add_staff(crm_engine, "Carl")
    away = add_staff(crm_engine, "Lena")
    for am in (tokyo, gone, away):
        shifts(crm_engine, am)
    dist.add_leave(
        crm_engine,
        actor_id=None,
        action_id="leave-1",
        am_id=away,
        first=NOW.date(),
        last=NOW.date() + timedelta(days=2),
        now=NOW,
    )
    rule(crm_engine, "All", {tokyo: 1, gone: 1, away: 1})
    with crm_engine.begin() as connection:
        connection.execute(
            T["staff"].update().where(T["staff"].c.id == gone).values(is_active=False)
        )
    (lead_id,) = register(crm_engine, [person(1)]).details["lead_ids"]
    assert owners(crm_engine) == {lead_id: None}
    assert waiting(crm_engine) == {lead_id: "nobody_on_shift"}


def test_no_rule_and_all_at_cap_are_the_reasons_to_wait(crm_engine):
    ravi = add_staff(crm_engine, "Ravi")
    shifts(crm_engine, ravi)
    rule(crm_engine, "English", {ravi: 1}, segment={"languages": ["en"]}, daily_cap=1)
    ids = register(crm_engine, [person(1), person(2), person(3, language="de")]).details["lead_ids"]
    assert owners(crm_engine) == {ids[0]: ravi, ids[1]: None, ids[2]: None}
    assert waiting(crm_engine) == {ids[1]: "all_at_cap", ids[2]: "no_rule"}


def test_a_waiting_lead_goes_first_when_someone_comes_on_shift(crm_engine):
    ravi = add_staff(crm_engine, "Ravi")
    # Ravi's Tuesday starts at 13:00 UTC, an hour after NOW.
    shifts(crm_engine, ravi, [Shift(1, 13 * 60, 20 * 60)])
    rule(crm_engine, "All", {ravi: 1})
    first, second = register(crm_engine, [person(1), person(2)]).details["lead_ids"]
    assert waiting(crm_engine) == {first: "nobody_on_shift", second: "nobody_on_shift"}
    # At 13:05 a new registration takes the waiting leads along, oldest first.
    (third,) = register(crm_engine, [person(3)], now=NOW + timedelta(minutes=65)).details[
        "lead_ids"
    ]
    assert [r.lead_id for r in auto_assignments(crm_engine)] == [first, second, third]
    assert waiting(crm_engine) == {}


def test_the_backlog_run_assigns_waiting_leads_and_unassigned_new_ones(crm_engine):
    ravi = add_staff(crm_engine, "Ravi")
    shifts(crm_engine, ravi, [Shift(1, 13 * 60, 20 * 60)])
    (old,) = register(crm_engine, [person(1)], now=NOW - timedelta(hours=2)).details["lead_ids"]
    rule(crm_engine, "All", {ravi: 1})
    (lead_id,) = register(crm_engine, [person(2)]).details["lead_ids"]
    later = NOW + timedelta(hours=1)
    result = dist.run_backlog(crm_engine, actor_id=None, action_id="b1", now=later)
    assert result.details == {"assigned": 1, "waiting": 0}
    assert owners(crm_engine) == {old: None, lead_id: ravi}
    result = dist.run_backlog(
        crm_engine, actor_id=None, action_id="b2", include_new=True, now=later
    )
    assert owners(crm_engine) == {old: ravi, lead_id: ravi}


def test_a_manual_assignment_takes_the_lead_off_the_waiting_list(crm_engine):
    maria = add_staff(crm_engine, "Maria", role="lead_manager")
    ravi = add_staff(crm_engine, "Ravi")
    rule(crm_engine, "All", {ravi: 1})  # Ravi has no shifts: never on shift
    (lead_id,) = register(crm_engine, [person(1)]).details["lead_ids"]
    actions.assign(
        crm_engine,
        actor_id=maria,
        action_id="m1",
        leads={lead_id: 1},
        am_id=ravi,
        reason="new_lead",
        now=NOW,
    )
    shifts(crm_engine, ravi)
    result = dist.run_backlog(crm_engine, actor_id=None, action_id="b1", now=NOW)
    assert waiting(crm_engine) == {} and result.details.get("assigned", 0) == 0
    assert len(auto_assignments(crm_engine)) == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pool": {}}, "the pool is empty"),
        ({"pool": {1: 0}}, "weight 0 is not 1 to 100"),
        ({"pool": {1: 1}, "daily_cap": 0}, "is not 1 to 100,000"),
        ({"pool": {1: 1}, "segment": {"planets": ["mars"]}}, "planets is not a segment"),
        ({"pool": {1: 1}, "hours": (5, 5)}, "is not a span of hours"),
        ({"pool": {999: 1}}, "there is no account manager 999"),
    ],
)
def test_a_bad_rule_is_refused_and_nothing_written(crm_engine, options, message):
    add_staff(crm_engine, "Ravi")
    with pytest.raises(ActionRefused, match=message):
        dist.save_rule(crm_engine, actor_id=None, action_id="r1", name="Bad", now=NOW, **options)
    with crm_engine.connect() as connection:
        assert (
            connection.scalar(sa.select(sa.func.count()).select_from(T["distribution_rules"])) == 0
        )


def test_a_manager_cannot_give_the_reason_auto(crm_engine):
    maria = add_staff(crm_engine, "Maria", role="lead_manager")
    ravi = add_staff(crm_engine, "Ravi")
    (lead_id,) = register(crm_engine, [person(1)]).details["lead_ids"]
    with pytest.raises(ActionRefused, match="auto is the distribution rules' reason"):
        actions.assign(
            crm_engine,
            actor_id=maria,
            action_id="m1",
            leads={lead_id: 1},
            am_id=ravi,
            reason="auto",
            now=NOW,
        )
    assert owners(crm_engine) == {lead_id: None}


def test_a_change_to_rules_or_shifts_applies_from_the_next_registration(crm_engine):
    # The rules and calendars are kept between registrations: each change must be seen.
    ravi, anna = add_staff(crm_engine, "Ravi"), add_staff(crm_engine, "Anna")
    for am in (ravi, anna):
        shifts(crm_engine, am)
    rule(crm_engine, "All", {ravi: 1})
    (first,) = register(crm_engine, [person(1)]).details["lead_ids"]
    rule(crm_engine, "All", {anna: 1})  # the pool is now Anna alone
    (second,) = register(crm_engine, [person(2)]).details["lead_ids"]
    shifts(crm_engine, anna, [])  # every day off
    (third,) = register(crm_engine, [person(3)]).details["lead_ids"]
    dist.switch_rule(crm_engine, actor_id=None, action_id="off", name="All", on=False, now=NOW)
    (fourth,) = register(crm_engine, [person(4)]).details["lead_ids"]
    assert owners(crm_engine) == {first: ravi, second: anna, third: None, fourth: None}
    assert waiting(crm_engine) == {third: "nobody_on_shift"}
