"""Calls in the live simulator: each AM on shift calls the leads they own, one after another;
a wrong number queues the "reach you" mail once."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from crm.actions import mail
from crm.demo import floor
from crm.demo.draws import (
    CALL_OUTCOMES,
    CALL_PICKS,
    CALLS,
    LEADS,
    OUTBOX,
    OUTCOME_P,
    PICK_TRIES,
    _call_duration,
    _pick,
)

if TYPE_CHECKING:
    from crm.demo.tick import _Tick


def call(tick: _Tick, dt: float) -> None:
    """The calls of ``plan_calls``, written; a wrong number queues the "reach you" mail
    once."""
    calls = plan_calls(tick, dt)
    if not calls:
        return
    tick.connection.execute(CALLS.insert(), calls)
    wrong_numbers = [c["lead_id"] for c in calls if c["outcome"] == "wrong_number"]
    leads = {}
    if wrong_numbers:
        leads = tick._leads_by_id(
            wrong_numbers, LEADS.c.am_id, LEADS.c.first_name, LEADS.c.email, LEADS.c.phone
        )
    _reach_out(tick, sorted(set(wrong_numbers)), leads)
    tick.result.calls = len(calls)
    tick.result.connected = sum(c["outcome"] == "connected" for c in calls)


def plan_calls(tick: _Tick, dt: float) -> list[dict]:
    """The calls of the last ``dt`` seconds: each AM on shift calls leads they own, one
    after another; a call starts once the last one and its wrap-up are over, inside the
    AM's stretch of work, until the day's talk time is reached."""
    since = tick.now - timedelta(seconds=dt)
    ams = floor.ams_at_work(tick.connection, since, tick.now)
    tick.ams_at_work = [am.id for am in ams]
    calls = []
    for am in ams:
        at, talk_left = am.free_at, am.talk_left_s
        for _ in range(floor.MOST_CALLS_A_TICK):
            if at > tick.now or at >= am.block_end or talk_left <= 0:
                break
            lead_id = _owned_lead(tick, am.id)
            if lead_id is None:
                break
            outcome = CALL_OUTCOMES[tick.rng.choice(len(CALL_OUTCOMES), p=OUTCOME_P)]
            duration = _call_duration(tick.rng, outcome)
            calls.append(
                {
                    "lead_id": lead_id,
                    "am_id": am.id,
                    # Logged as the AM dials (within this tick), not backdated from the
                    # hang-up: a call starting before an earlier tick's deposit would make
                    # its self-deposit flag wrong.
                    "started_at": at,
                    "duration_s": duration,
                    "outcome": outcome,
                    "created_at": tick.now,
                    "updated_at": tick.now,
                }
            )
            talk_left -= duration
            at += timedelta(seconds=duration) + floor.wrap_up(duration)
    return calls


def _owned_lead(tick: _Tick, am_id: int) -> int | None:
    """A lead the AM owns: one online now, a fresh one, or any (F2, F7)."""
    for _try in range(PICK_TRIES):
        kind = _pick(tick.rng, CALL_PICKS)
        if kind == "online":
            owned = _online_owned(tick).get(am_id)
            if owned:
                return owned[tick.rng.integers(len(owned))]
            continue
        lead_id = tick._probe(kind, owned_by={am_id})
        if lead_id is not None:
            return lead_id
    # The AM's own list, through the index on the owner: any lead they hold.
    if tick.lead_ids is None:
        return None
    start = int(tick.rng.integers(tick.lead_ids[0], tick.lead_ids[1] + 1))
    return tick.connection.scalar(
        sa.select(LEADS.c.id)
        .where(LEADS.c.am_id == am_id, LEADS.c.id >= start)
        .order_by(LEADS.c.id)
        .limit(1)
    ) or tick.connection.scalar(
        sa.select(LEADS.c.id).where(LEADS.c.am_id == am_id).order_by(LEADS.c.id).limit(1)
    )


def _online_owned(tick: _Tick) -> dict[int, list[int]]:
    if tick._online_by_am is None:
        tick._online_by_am = {}
        for row in tick._online_sample(60):
            if row.am_id is not None:
                tick._online_by_am.setdefault(row.am_id, []).append(row.id)
    return tick._online_by_am


def _reach_out(tick: _Tick, lead_ids: list[int], leads: dict) -> None:
    if not lead_ids:
        return
    already = set(
        tick.connection.scalars(
            sa.select(OUTBOX.c.lead_id).where(
                OUTBOX.c.lead_id.in_(lead_ids), OUTBOX.c.template == "reach_you"
            )
        )
    )
    mail.queue(
        tick.connection,
        [
            mail.outbox_row(
                lead_id,
                "reach_you",
                address=leads[lead_id].email,
                first_name=leads[lead_id].first_name,
                phone=leads[lead_id].phone,
                now=tick.now,
            )
            for lead_id in lead_ids
            if lead_id not in already
        ],
    )
