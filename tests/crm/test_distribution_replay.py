"""A replay of a past period equals what the live rules did on the same registrations, and
writes nothing (issue 25)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from crm.distribution.availability import Shift
from crm.distribution.replay import replay_period
from crm.distribution.rules import load_rules
from tests.crm.distribution_floor import (
    NOW,
    T,
    add_staff,
    auto_assignments,
    person,
    register,
    rule,
    shifts,
)

DAY = NOW.replace(hour=0)


def test_the_replay_of_a_day_equals_what_the_live_rules_did(crm_engine):
    # Three AMs on different hours (UTC): a morning, an afternoon and a late shift, weights
    # 2, 1, 1, a cap of 6 a day; English leads to one rule, German to another with one AM.
    ana = add_staff(crm_engine, "Ana")
    ben = add_staff(crm_engine, "Ben", zone="Europe/Berlin")
    cleo = add_staff(crm_engine, "Cleo")
    tuesday = 1
    shifts(crm_engine, ana, [Shift(tuesday, 6 * 60, 14 * 60)])
    shifts(crm_engine, ben, [Shift(tuesday, 11 * 60, 19 * 60)])  # 10:00-18:00 UTC
    shifts(crm_engine, cleo, [Shift(tuesday, 16 * 60, 23 * 60)])
    rule(crm_engine, "German", {ben: 1}, segment={"languages": ["de"]})
    rule(
        crm_engine, "English", {ana: 2, ben: 1, cleo: 1}, segment={"languages": ["en"]}, daily_cap=6
    )
    # A registration every 25 minutes all day, one in five German: one per action, at its time.
    for n in range(56):
        at = DAY + timedelta(minutes=25 * n)
        register(crm_engine, [person(n, language="de" if n % 5 == 0 else "en", at=at)], now=at)
    live = {row.lead_id: (row.to_am_id, row.note) for row in auto_assignments(crm_engine)}
    with crm_engine.connect() as connection:
        before = {
            name: connection.scalar(sa.select(sa.func.count()).select_from(T[name]))
            for name in ("assignments", "audit_log", "distribution_waiting", "leads")
        }
        credits = connection.execute(sa.select(T["distribution_pool"])).all()
        replay = replay_period(connection, load_rules(connection), DAY, DAY + timedelta(days=1))
        after = {
            name: connection.scalar(sa.select(sa.func.count()).select_from(T[name]))
            for name in before
        }
        assert connection.execute(sa.select(T["distribution_pool"])).all() == credits
    assert after == before  # nothing written
    final = {d.lead_id: d for d in replay.decisions}
    replayed = {i: (d.am_id, d.explanation) for i, d in final.items() if d.am_id is not None}
    assert replayed == live
    # The day had all three kinds: assigned, waiting on nobody's shift, waiting at cap.
    assert len(live) > 20 and replay.waiting["nobody_on_shift"] > 0
    assert replay.waiting["all_at_cap"] > 0
    assert replay.would_receive == replay.really_received
    with crm_engine.connect() as connection:
        waiting = dict(
            connection.execute(
                sa.select(T["distribution_waiting"].c.lead_id, T["distribution_waiting"].c.reason)
            ).all()
        )
    assert waiting == {i: d.waiting for i, d in final.items() if d.am_id is None}
