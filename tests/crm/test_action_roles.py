"""Each action is refused, in the action layer itself, to every role that may not take it, and
writes nothing; an account manager acts only on their own leads; a person deactivated or
demoted is refused at their next action. SQLite and PostgreSQL.

Who may take what (issue 6), written out by hand:

| action                                       | admin | sales mgr | lead mgr | AM  | executive |
| -------------------------------------------- | ----- | --------- | -------- | --- | --------- |
| assign, star, unstar, end of shift, undo     | yes   | yes       | yes      | no  | no        |
| failed deposit, upsale, target board         | yes   | yes       | yes      | no  | no        |
| compliance, register, calling hours          | yes   | yes       | yes      | no  | no        |
| add a note (an AM: on their own lead)        | yes   | yes       | yes      | yes | no        |
| log a call (on their own lead)               | no    | no        | no       | yes | no        |
| staff: add, role, (de)activate, password     | yes   | no        | no       | no  | no        |

The floor is tests/crm/actions_floor.py, with an admin (Ada) and a sales manager (Sam) added.
Each role acts through one person: Ada, Sam, Maria, Alice (an AM who owns "owned" and
"client"), Eve.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm import actions, staff
from crm.actions import ActionRefused
from tests.crm.actions_floor import NOW, T, build_floor, counts

ACTOR_OF_ROLE = {
    "admin": "Ada",
    "sales_manager": "Sam",
    "lead_manager": "Maria",
    "account_manager": "Alice",
    "executive": "Eve",
}
MANAGERS = {"admin", "sales_manager", "lead_manager"}
ALLOWED = {
    "assign": MANAGERS,
    "star": MANAGERS,
    "unstar": MANAGERS,
    "end_of_shift": MANAGERS,
    "undo_assignment": MANAGERS,
    "assign_failed_deposit": MANAGERS,
    "assign_for_upsale": MANAGERS,
    "record_on_target_board": MANAGERS,
    "approve_compliance": MANAGERS,
    "register": MANAGERS,
    "set_calling_hours": MANAGERS,
    "set_working_days": MANAGERS,
    "add_note": MANAGERS | {"account_manager"},
    "log_call": {"account_manager"},
    "staff_add": {"admin"},
    "staff_set_role": {"admin"},
    "staff_set_active": {"admin"},
    "staff_set_password": {"admin"},
}


@dataclass
class Ref:
    lead_id: int
    version: int


@dataclass
class Plan:
    unstar: list
    star: list


def setup_undo(engine, ids) -> None:
    """Maria's assignment of new1 to Bob, the one ``undo_assignment`` undoes."""
    actions.assign(
        engine, actor_id=ids["Maria"], action_id="to-undo", leads={ids["new1"]: 1},
        am_id=ids["Bob"], reason="new_lead", now=NOW - timedelta(minutes=5),
    )  # fmt: skip


def take(action: str, engine, ids, actor_id):
    """Take ``action`` as ``actor_id`` with arguments that are right in every other way."""
    who = dict(actor_id=actor_id, action_id=f"{action}-by-{actor_id}", now=NOW)
    if action == "assign":
        # new1 is Bob's at version 2 since the assignment set up for the undo.
        return actions.assign(
            engine,
            **who,
            leads={ids["new1"]: 2},
            am_id=ids["Bob"],
            reason="reassignment",
        )
    if action == "star":
        return actions.star(engine, **who, leads={ids["owned"]: 2})
    if action == "unstar":
        return actions.unstar(engine, **who, leads={ids["owned"]: 2})
    if action == "end_of_shift":
        return actions.end_of_shift(engine, **who, plan=Plan([], [Ref(ids["owned"], 2)]))
    if action == "undo_assignment":
        return actions.undo_assignment(engine, **who, assignment_action_id="to-undo")
    if action == "assign_failed_deposit":
        return actions.assign_failed_deposit(
            engine, **who, deposit_id=ids["declined"], am_id=ids["Bob"], version=3
        )
    if action == "assign_for_upsale":
        return actions.assign_for_upsale(
            engine, **who, deposit_id=ids["self"], am_id=ids["Bob"], version=1,
            note="Alice is on leave",
        )  # fmt: skip
    if action == "record_on_target_board":
        return actions.record_on_target_board(engine, **who, deposit_id=ids["owned_deposit"])
    if action == "approve_compliance":
        return actions.approve_compliance(
            engine, **who, lead_id=ids["client"], version=1, am_id=ids["Rita"]
        )
    if action == "register":
        person = dict(
            first_name="Nia", last_name="New", email="nia@example.com", phone="+44700900999",
            country="GB", time_zone="Europe/London", language="en", source="organic",
        )  # fmt: skip
        return actions.register_leads(engine, [person], **who)
    if action == "set_calling_hours":
        return actions.set_calling_hours(engine, **who, hours="08:00-18:00")
    if action == "set_working_days":
        return actions.set_working_days(engine, **who, days="Sun-Thu")
    if action == "add_note":
        return actions.add_note(engine, **who, lead_id=ids["owned"], body="Prefers mornings.")
    if action == "log_call":
        return actions.log_call(
            engine, **who, lead_id=ids["owned"], version=2, outcome="connected", duration_s=60
        )
    if action == "staff_add":
        return staff.add_staff(
            engine, **who, name="Nora New", email="nora@starboard.test", role="executive"
        )
    if action == "staff_set_role":
        return staff.set_role(engine, **who, staff_id=ids["Bob"], role="lead_manager")
    if action == "staff_set_active":
        return staff.set_active(engine, **who, staff_id=ids["Bob"], active=False)
    if action == "staff_set_password":
        return staff.set_password(engine, **who, staff_id=ids["Bob"], password="bob's new secret")
    raise AssertionError(f"no way to take {action}")


@pytest.fixture
def floor(crm_engine):
    ids = build_floor(crm_engine)
    stamp = {"created_at": NOW - timedelta(days=30), "updated_at": NOW - timedelta(days=30)}
    with crm_engine.begin() as connection:
        for name, role in (("Ada", "admin"), ("Sam", "sales_manager")):
            ids[name] = connection.execute(
                T["staff"].insert().returning(T["staff"].c.id),
                {"name": name, "email": f"{name.lower()}@starboard.test", "role": role,
                 "time_zone": "Europe/London", "is_active": True, **stamp},
            ).scalar_one()  # fmt: skip
    setup_undo(crm_engine, ids)
    return crm_engine, ids


def written(engine) -> dict:
    """Everything an action or a staff change could write."""
    with engine.connect() as connection:
        staff_rows = connection.execute(sa.select(T["staff"]).order_by(T["staff"].c.id)).all()
    return {**counts(engine), "staff": [tuple(row) for row in staff_rows]}


REFUSED = [
    pytest.param(action, role, id=f"{action}-{role}")
    for action, roles in ALLOWED.items()
    for role in ACTOR_OF_ROLE
    if role not in roles
]
TAKEN = [
    pytest.param(action, role, id=f"{action}-{role}")
    for action, roles in ALLOWED.items()
    for role in sorted(roles)
]


@pytest.mark.parametrize(("action", "role"), REFUSED)
def test_an_action_is_refused_to_a_role_that_may_not_take_it(floor, action, role):
    engine, ids = floor
    before = written(engine)
    with pytest.raises(ActionRefused) as refusal:
        take(action, engine, ids, ids[ACTOR_OF_ROLE[role]])
    message = str(refusal.value)
    assert ACTOR_OF_ROLE[role] in message and "\n" not in message
    assert written(engine) == before


@pytest.mark.parametrize(("action", "role"), TAKEN)
def test_the_roles_that_may_take_an_action_can(floor, action, role):
    """The same calls go through for the roles that may take them: the refusals above are the
    role's, not a wrong argument's."""
    engine, ids = floor
    result = take(action, engine, ids, ids[ACTOR_OF_ROLE[role]])
    assert result.message


@pytest.mark.parametrize(
    "act",
    [
        lambda engine, ids: actions.add_note(
            engine, actor_id=ids["Bob"], action_id="n", lead_id=ids["owned"], body="Mine now."
        ),
        lambda engine, ids: actions.add_note(
            engine, actor_id=ids["Alice"], action_id="n", lead_id=ids["new1"], body="Nobody's."
        ),
        lambda engine, ids: actions.log_call(
            engine, actor_id=ids["Bob"], action_id="c", lead_id=ids["owned"], version=2,
            outcome="no_answer", callback_at=NOW + timedelta(days=1), now=NOW,
        ),
        lambda engine, ids: actions.log_call(
            engine, actor_id=ids["Rita"], action_id="c", lead_id=ids["new2"], version=3,
            outcome="connected", now=NOW,
        ),
    ],
    ids=["note-on-alices-lead", "note-on-nobodys-lead", "call-alices-lead", "call-nobodys-lead"],
)  # fmt: skip
def test_an_account_manager_acts_only_on_their_own_leads(floor, act):
    engine, ids = floor
    before = written(engine)
    with pytest.raises(ActionRefused, match="is not yours"):
        act(engine, ids)
    assert written(engine) == before


def test_a_person_deactivated_or_demoted_is_refused_at_their_next_action(floor):
    engine, ids = floor
    actions.star(engine, actor_id=ids["Sam"], action_id="s1", leads={ids["owned"]: 2}, now=NOW)
    staff.set_role(engine, actor_id=ids["Ada"], staff_id=ids["Sam"], role="executive")
    with pytest.raises(ActionRefused, match="Sam is an executive"):
        actions.unstar(engine, actor_id=ids["Sam"], action_id="s2", leads={ids["owned"]: 3})

    actions.star(engine, actor_id=ids["Maria"], action_id="m1", leads={ids["client"]: 1}, now=NOW)
    staff.set_active(engine, actor_id=ids["Ada"], staff_id=ids["Maria"], active=False)
    with pytest.raises(ActionRefused, match="Maria's account is inactive"):
        actions.unstar(engine, actor_id=ids["Maria"], action_id="m2", leads={ids["client"]: 2})


def test_staff_changes_are_audited_without_the_password(floor):
    engine, ids = floor
    staff.set_password(
        engine, actor_id=ids["Ada"], staff_id=ids["Bob"], password="bob's new secret", now=NOW
    )
    staff.set_role(engine, actor_id=ids["Ada"], staff_id=ids["Bob"], role="lead_manager", now=NOW)
    with engine.connect() as connection:
        audit = connection.execute(
            sa.select(T["audit_log"])
            .where(T["audit_log"].c.action.like("staff_%"))
            .order_by(T["audit_log"].c.id)
        ).all()
    assert [(row.action, row.actor_id, row.lead_id) for row in audit] == [
        ("staff_set_password", ids["Ada"], None),
        ("staff_set_role", ids["Ada"], None),
    ]
    assert audit[0].after == {"staff_id": ids["Bob"], "password_set": True}
    assert (audit[1].before["role"], audit[1].after["role"], audit[1].after["desk"]) == (
        "account_manager", "lead_manager", None,
    )  # fmt: skip
    assert "secret" not in str([tuple(row) for row in audit])


def test_the_last_active_admin_stays_one(floor):
    engine, ids = floor
    with pytest.raises(ActionRefused, match="Ada is the last active admin"):
        staff.set_active(engine, actor_id=ids["Ada"], staff_id=ids["Ada"], active=False)
    with pytest.raises(ActionRefused, match="Ada is the last active admin"):
        staff.set_role(engine, actor_id=ids["Ada"], staff_id=ids["Ada"], role="executive")


def test_a_page_cannot_manage_staff_as_nobody(floor):
    engine, ids = floor
    with pytest.raises(ActionRefused, match="nobody is signed in"):
        staff.set_active(engine, actor_id=None, staff_id=ids["Bob"], active=False)
