"""Deposits in the live simulator: clients top up, prospects make their FTD, most of either
soon after a talk with their AM; the provider approves or declines."""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from typing import TYPE_CHECKING

import sqlalchemy as sa

from crm.demo import floor
from crm.demo import reference as ref
from crm.demo.draws import (
    CALLS,
    DECLINE_SHARE_OF_METHOD,
    DEPOSIT_SAMPLE,
    DEPOSITS,
    DEPOSITS_AFTER_A_TALK,
    DEPOSITS_FROM_CLIENTS,
    DEPOSITS_FROM_ONLINE,
    LEADS,
    PICK_TRIES,
    PROVIDER_P,
    _decline_reason,
    _deposit_amount,
)
from crm.distribution import occasions
from crm.types import CENT

if TYPE_CHECKING:
    from crm.demo.tick import _Tick


def deposit(tick: _Tick, count: int, would_be_ftds: int | None = None) -> None:
    """Clients, mostly online ones, try to deposit; the provider approves or declines.

    ``would_be_ftds`` of the ``count`` attempts are by leads without an FTD (None: a share
    of them, at random), the others by clients; either are most often leads an AM has just
    talked to. An approved deposit is credited to the balance; a lead's first approved one
    is its FTD and converts it. It is a tick deposit when the lead has no AM or was never
    called before it. Balances are read under a row lock and added up in Python: SQLite
    keeps money as text, and SQL arithmetic on it would go through floats.
    """
    if not count:
        return
    # A wide sample, so that the few clients among the online are in it.
    sample = tick._online_sample(max(DEPOSIT_SAMPLE, PICK_TRIES * count))
    clients = [row.id for row in sample if row.ftd_at is not None]
    prospects = [row.id for row in sample if row.ftd_at is None]
    talked = floor.recently_talked(tick.connection, tick.ams_at_work, tick.now)
    talked_clients = [row.id for row in talked if row.ftd_at is not None]
    talked_prospects = [row.id for row in talked if row.ftd_at is None]

    def one_of(group: list[int]) -> int:
        return group[tick.rng.integers(len(group))]

    def draw() -> int | None:
        if talked and tick.rng.random() < DEPOSITS_AFTER_A_TALK:
            # Deposits follow talks: a client (or a prospect) an AM just reached.
            group = talked_clients if tick.rng.random() < DEPOSITS_FROM_CLIENTS else []
            return one_of(group or talked_prospects or talked_clients)
        if (clients or prospects) and tick.rng.random() < DEPOSITS_FROM_ONLINE:
            group = clients if tick.rng.random() < DEPOSITS_FROM_CLIENTS else prospects
            return one_of(group or clients or prospects)
        # A wire landing, a deposit from the mobile cashier: a recently active lead.
        return tick._probe("recent_login")

    def draw_from(just_talked: list[int], online: list[int]):
        def draw() -> int | None:
            if just_talked and tick.rng.random() < DEPOSITS_AFTER_A_TALK:
                return one_of(just_talked)
            if online and tick.rng.random() < DEPOSITS_FROM_ONLINE:
                return one_of(online)
            return one_of(just_talked or online) if just_talked or online else None

        return draw

    if would_be_ftds is None:
        chosen = tick._choose(count, draw)
    else:
        chosen = tick._choose(would_be_ftds, draw_from(talked_prospects, prospects))
        chosen += tick._choose(
            count - would_be_ftds, draw_from(talked_clients, clients), exclude=set(chosen)
        )
    if not chosen:
        return
    leads = tick._leads_by_id(
        chosen,
        LEADS.c.am_id,
        LEADS.c.currency,
        LEADS.c.balance,
        LEADS.c.ftd_at,
        LEADS.c.status,
        for_update=True,
    )
    called = set(
        tick.connection.scalars(
            sa.select(CALLS.c.lead_id)
            .distinct()
            .where(CALLS.c.lead_id.in_(sorted(chosen)), CALLS.c.started_at < tick.now)
        )
    )
    rates = tick._usd_rates()
    attempts, changes = [], []
    for lead_id in chosen:
        lead = leads.get(lead_id)
        if lead is None or lead.currency not in rates:
            continue
        method, provider, _ = ref.PROVIDERS[tick.rng.choice(len(ref.PROVIDERS), p=PROVIDER_P)]
        declined = tick.rng.random() < DECLINE_SHARE_OF_METHOD[method]
        reason = _decline_reason(tick.rng, method) if declined else None
        amount = _deposit_amount(tick.rng, lead.currency, returning=lead.ftd_at is not None)
        is_ftd = not declined and lead.ftd_at is None
        attempts.append(
            {
                "lead_id": lead_id,
                "am_id": lead.am_id,
                "amount": amount,
                "currency": lead.currency,
                "amount_usd": (amount * rates[lead.currency]).quantize(CENT, ROUND_HALF_UP),
                "method": method,
                "provider": provider,
                "status": "declined" if declined else "approved",
                "decline_reason": reason,
                "is_self_deposit": not declined and (lead.am_id is None or lead_id not in called),
                "is_ftd": is_ftd,
                "decided_at": tick.now,
                "created_at": tick.now,
                "updated_at": tick.now,
            }
        )
        if declined:
            continue
        status = lead.status
        if is_ftd and status not in ("converted", "retention"):
            status = "converted"
        changes.append(
            {
                "b_id": lead_id,
                "b_balance": lead.balance + amount,
                "b_ftd_at": tick.now if is_ftd else lead.ftd_at,
                "b_status": status,
                "b_now": tick.now,
            }
        )
    if attempts:
        tick.connection.execute(DEPOSITS.insert(), attempts)
    if tick.runs.failed_deposits:
        tick.distribute(
            {
                a["lead_id"]: occasions.declined_occasion(
                    tick.runs, a["amount"], a["currency"], a["decline_reason"]
                )
                for a in attempts
                if a["status"] == "declined" and a["am_id"] is None
            }
        )
    if changes:
        tick.connection.execute(
            LEADS.update()
            .where(LEADS.c.id == sa.bindparam("b_id"))
            .values(
                balance=sa.bindparam("b_balance", type_=LEADS.c.balance.type),
                ftd_at=sa.bindparam("b_ftd_at", type_=LEADS.c.ftd_at.type),
                status=sa.bindparam("b_status", type_=LEADS.c.status.type),
                updated_at=sa.bindparam("b_now", type_=LEADS.c.updated_at.type),
            ),
            changes,
        )
    tick.result.deposits = len(attempts)
    tick.result.declined = sum(a["status"] == "declined" for a in attempts)
    tick.result.ftds = sum(a["is_ftd"] for a in attempts)
