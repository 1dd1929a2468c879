"""The distribution's optional runs (issue 25, item 4): an unowned lead back after N days away,
and an unowned lead's declined deposit, run the rules through the ingest actions (the API's,
an import's) and the simulator's tick; once, with why in the explanation; off by default."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
import sqlalchemy as sa

from crm import actions
from crm.actions import ActionRefused
from crm.actions import distribution as dist
from crm.demo import draws
from crm.demo.simulate import _Tick
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
)

REGISTERED = NOW - timedelta(days=20)


def runs(engine, returning=True, days=10, failed_deposits=True, actor=None, action_id=None):
    return dist.set_runs(
        engine,
        actor_id=actor,
        action_id=action_id or actions.new_action_id(),
        returning=returning,
        returning_days=days,
        failed_deposits=failed_deposits,
        now=NOW,
    )


def login(engine, lead_id, at, session="s1", event="e1"):
    return actions.record_platform_event(
        engine,
        {
            "event_id": event,
            "type": "login",
            "lead": {"id": lead_id},
            "session_id": session,
            "occurred_at": at,
            "device": "web",
            "balance": None,
            "currency": None,
        },
        action_id=f"login-{event}",
        now=at,
    )


def deposit(engine, lead_id, status, transaction="t1", event="d1", at=NOW):
    return actions.record_deposit_event(
        engine,
        {
            "event_id": event,
            "transaction_id": transaction,
            "provider": "Stripe",
            "status": status,
            "amount": Decimal("250.00"),
            "currency": "USD",
            "method": "card",
            "raw_decline_code": "51" if status == "declined" else None,
            "decline_reason": "insufficient funds" if status == "declined" else None,
            "occurred_at": at,
            "lead": {"id": lead_id},
        },
        action_id=f"deposit-{event}",
        event_id=event,
        now=at,
    )


@pytest.fixture
def floor(crm_engine):
    """Ravi on shift 09:00-18:00 UTC every day; a lead registered 20 days ago while no rule
    was on (so nobody's), last seen 12 days ago; the rule All switched on since."""
    ravi = add_staff(crm_engine, "Ravi")
    shifts(crm_engine, ravi)
    (lead_id,) = register(crm_engine, [person(1, at=REGISTERED)], now=REGISTERED).details[
        "lead_ids"
    ]
    with crm_engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO currencies VALUES ('USD', 1, :at)"), {"at": NOW})
    rule(crm_engine, "All", {ravi: 1})
    return crm_engine, ravi, lead_id


def version(engine, lead_id) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(T["leads"].c.version).where(T["leads"].c.id == lead_id))


def test_both_runs_are_off_until_a_manager_switches_them_on(floor):
    engine, _, lead_id = floor
    login(engine, lead_id, NOW)  # 20 days after registering
    deposit(engine, lead_id, "declined")
    assert owners(engine) == {lead_id: None}
    with engine.connect() as connection:
        waiting = connection.scalar(
            sa.select(sa.func.count()).select_from(T["distribution_waiting"])
        )
    assert waiting == 0


def test_a_lead_back_after_n_days_away_is_assigned_once_with_why(floor):
    engine, ravi, lead_id = floor
    assert runs(engine).message == (
        "the rules also run for: returning leads after 10 days away; failed deposits on."
    )
    # 8 days after registering (fewer than 10): not returning.
    login(engine, lead_id, NOW - timedelta(days=12), session="s0", event="e0")
    assert owners(engine) == {lead_id: None}
    # 12 days after that login, at 12:00 UTC, Ravi's shift (09:00-18:00 UTC) is on.
    result = login(engine, lead_id, NOW)
    (given,) = auto_assignments(engine)
    assert (given.lead_id, given.to_am_id, given.reason, given.by_id) == (
        lead_id,
        ravi,
        "auto",
        None,
    )
    assert given.note == (
        "returned after 12 days away; rule All → pool of 1; Ravi next in rotation; 1 today; "
        "on shift until 18:00 UTC"
    )
    assert result.details["distribution"] == given.note
    assert version(engine, lead_id) == 2  # the assignment: a login alone bumps nothing
    # The same login sent again, and a second login the same day: nothing more.
    assert login(engine, lead_id, NOW).replayed
    login(engine, lead_id, NOW + timedelta(hours=1), session="s2", event="e2")
    assert len(auto_assignments(engine)) == 1 and version(engine, lead_id) == 2


def test_a_declined_deposit_of_an_unowned_lead_is_assigned_with_why(floor):
    engine, ravi, lead_id = floor
    runs(engine, returning=False)
    deposit(engine, lead_id, "pending")
    assert owners(engine) == {lead_id: None}
    result = deposit(engine, lead_id, "declined", event="d2")
    (given,) = auto_assignments(engine)
    assert given.to_am_id == ravi and given.note == (
        "failed deposit 250.00 USD declined: insufficient funds; rule All → pool of 1; "
        "Ravi next in rotation; 1 today; on shift until 18:00 UTC"
    )
    assert result.details["distribution"] == given.note
    # The declined event again (its own id, and another id) changes nothing.
    assert deposit(engine, lead_id, "declined", event="d2").replayed
    assert deposit(engine, lead_id, "declined", event="d3").details["status"] == "ignored"
    # A second attempt declined: the lead is Ravi's now, nothing runs.
    deposit(engine, lead_id, "declined", transaction="t2", event="d4")
    assert len(auto_assignments(engine)) == 1


def test_a_lead_no_one_can_take_waits_with_why_and_keeps_it(floor):
    engine, ravi, lead_id = floor
    runs(engine)
    # Ravi now starts at 13:00 UTC on Tuesdays: at 12:00 nobody is on shift.
    shifts(engine, ravi, [Shift(1, 13 * 60, 20 * 60)])
    login(engine, lead_id, NOW)
    w = T["distribution_waiting"]
    with engine.connect() as connection:
        waiting = connection.execute(sa.select(w.c.lead_id, w.c.reason, w.c.occasion)).all()
    assert waiting == [(lead_id, "nobody_on_shift", "returned after 20 days away")]
    dist.run_backlog(engine, actor_id=None, action_id="b1", now=NOW + timedelta(minutes=65))
    (given,) = auto_assignments(engine)
    assert given.note == (
        "returned after 20 days away; rule All → pool of 1; Ravi next in rotation; 1 today; "
        "on shift until 20:00 UTC"
    )


def test_the_runs_are_a_managers_to_set_and_n_is_checked(floor):
    engine, ravi, _ = floor
    mia = add_staff(engine, "Mia", role="lead_manager")
    with pytest.raises(ActionRefused, match="0 days away is not 1 to 3,650"):
        runs(engine, days=0, actor=mia)
    with pytest.raises(ActionRefused, match="only an admin or a sales manager or a lead manager"):
        runs(engine, actor=ravi)
    runs(engine, days=14, actor=mia, action_id="r1")
    again = runs(engine, days=14, actor=mia, action_id="r2")
    assert again.message.startswith("already so") and not again.replayed
    with engine.connect() as connection:
        kept = dict(
            connection.execute(
                sa.select(T["crm_settings"].c.key, T["crm_settings"].c.value).where(
                    T["crm_settings"].c.key.like("distribution_%")
                )
            ).all()
        )
        audited = connection.scalar(
            sa.select(sa.func.count())
            .select_from(T["audit_log"])
            .where(T["audit_log"].c.action == "distribution_runs")
        )
    assert kept == {
        "distribution_returning": "on",
        "distribution_returning_days": "14",
        "distribution_failed_deposits": "on",
    }
    assert audited == 3  # one per setting changed, by Mia


def test_the_simulator_runs_them_from_its_tick(floor):
    engine, ravi, lead_id = floor
    runs(engine)
    with engine.begin() as connection:
        connection.execute(
            T["leads"].update().where(T["leads"].c.id == lead_id).values(last_login_at=REGISTERED)
        )
    with engine.begin() as connection:
        tick = _Tick(connection, np.random.default_rng(1), NOW)
        tick._choose = lambda count, draw, exclude=frozenset(): [lead_id]
        tick.log_in(1)
    (given,) = auto_assignments(engine)
    assert given.to_am_id == ravi and given.note.startswith(
        "returned after 20 days away; rule All → pool of 1; Ravi next in rotation"
    )


def test_the_simulator_runs_them_for_its_declined_deposits(floor, monkeypatch):
    engine, ravi, lead_id = floor
    runs(engine)
    for method in draws.DECLINE_SHARE_OF_METHOD:
        monkeypatch.setitem(draws.DECLINE_SHARE_OF_METHOD, method, 1.0)  # every one declined
    with engine.begin() as connection:
        tick = _Tick(connection, np.random.default_rng(1), NOW)
        tick._choose = lambda count, draw, exclude=frozenset(): [lead_id]
        tick.deposit(1)
    a = T["deposit_attempts"]
    with engine.connect() as connection:
        attempt = connection.execute(sa.select(a.c.amount, a.c.decline_reason)).one()
    (given,) = auto_assignments(engine)
    assert given.to_am_id == ravi and given.note == (
        f"failed deposit {attempt.amount:,.2f} USD declined: {attempt.decline_reason}; "
        "rule All → pool of 1; Ravi next in rotation; 1 today; on shift until 18:00 UTC"
    )


@pytest.mark.slow
def test_logins_of_one_returning_lead_and_registrations_at_once_assign_it_once(floor):
    """Four logins of the same returning lead and four registrations into its pool at once:
    the lead is assigned exactly once, every new lead once, and no transaction deadlocks."""
    engine, ravi, lead_id = floor
    runs(engine)
    # The lead waits in its rule's queue too: the registrations' drains reach for it while a
    # login holds it (and then reaches for the pool the drains hold).
    with engine.begin() as connection:
        connection.execute(
            T["distribution_waiting"].insert(),
            {
                "lead_id": lead_id,
                "rule_id": connection.scalar(sa.select(T["distribution_rules"].c.id)),
                "reason": "nobody_on_shift",
                "registered_at": REGISTERED,
                "since": REGISTERED,
                "updated_at": REGISTERED,
            },
        )
    postgresql = engine.dialect.name == "postgresql"

    def deadlocks() -> int:
        if not postgresql:
            return 0
        with engine.connect() as connection:
            return connection.scalar(
                sa.text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
            )

    before = deadlocks()
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def at_once(work):
        def run(n):
            try:
                start.wait(timeout=30)
                work(n)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        return run

    logins = at_once(lambda n: login(engine, lead_id, NOW + timedelta(seconds=n), f"s{n}", f"e{n}"))
    registrations = at_once(lambda n: register(engine, [person(100 + n)], action_id=f"r{n}"))
    threads = [threading.Thread(target=logins, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=registrations, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    given = auto_assignments(engine)
    assert [g.lead_id for g in given].count(lead_id) == 1
    assert len(given) == 5 and len({g.lead_id for g in given}) == 5
    assert set(owners(engine).values()) == {ravi}
    # A deadlock's victim is retried by run_action and leaves no error: the server's count of
    # deadlocks says whether one happened (a backend's statistics are sent as it closes).
    engine.dispose()
    assert deadlocks() == before


def test_a_converted_lead_with_no_rule_for_its_desk_waits_saying_so(floor):
    """The rule All takes every lead, but its pool is Ravi of the conversion desk: a converted
    lead of the retention desk, unowned, waits because no rule serves its desk, never "nobody
    in the pool is on shift" (Ravi is on shift)."""
    from crm.distribution.today import waiting_now

    engine, _, lead_id = floor
    leads = T["leads"]
    with engine.begin() as connection:
        connection.execute(
            leads.update()
            .where(leads.c.id == lead_id)
            .values(desk="retention", status="converted", ftd_at=REGISTERED)
        )
    runs(engine)
    login(engine, lead_id, NOW)
    w = T["distribution_waiting"]
    with engine.connect() as connection:
        rows = connection.execute(sa.select(w.c.lead_id, w.c.reason, w.c.rule_id)).all()
        shown = waiting_now(connection)
    assert rows == [(lead_id, "no_rule", None)]
    assert [(row.reason, row.rule, row.leads) for row in shown] == [
        ("no rule for the retention desk matches the lead", None, 1)
    ]
    assert auto_assignments(engine) == []
