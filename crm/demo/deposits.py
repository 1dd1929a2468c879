"""The demo's deposit attempts: each converted lead's FTD and top-ups (most soon after a talk
with their AM), retries after a decline, failed attempts of leads who never got through; the
balances they leave, and the target board entries of the owning AMs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crm.demo import reference as ref
from crm.demo.columns import (
    DAY,
    HOUR,
    MINUTE,
    US,
    Masked,
    last_before,
    pa_nullable,
    pick,
    usd_cents,
)

if TYPE_CHECKING:
    from crm.demo.leads import LeadChunk

# Of a client's top-ups, the share that comes within hours of a connected call.
TOP_UP_AFTER_CALL_SHARE = 0.9
CARD_ONLY_REASONS = {"3-D Secure failed", "card expired"}


def deposit_rows(c: LeadChunk):
    """The chunk's deposit attempts, its leads' balances and the target board's entries."""
    g, rng, n = c.g, c.rng, c.n
    span = np.where(c.converted, c.until - c.ftd_at, 0)
    more = np.where(c.converted, rng.poisson(span / (6 * DAY)), 0)
    count = c.converted.astype(np.int64) + more
    lead = np.repeat(np.arange(n), count)
    first = np.zeros(len(lead), dtype=bool)
    first[np.cumsum(count)[c.converted] - count[c.converted]] = True
    at = np.where(
        first,
        c.ftd_at[lead],
        c.ftd_at[lead] + (rng.random(len(lead)) * span[lead]).astype(np.int64) + MINUTE,
    )
    approved_lead, approved_at = lead, np.minimum(at, c.until - MINUTE)
    # A client tops up mostly within hours of a talk with their AM.
    connected = c.call_outcome == "connected"
    c_lead = c.call_lead[connected]
    c_end = c.call_at[connected] + c.call_duration[connected] * US
    last = last_before(c_lead, c_end, approved_lead, approved_at)
    after = np.r_[c_end, 0][last] + (rng.exponential(50, len(approved_lead)) * MINUTE).astype(
        np.int64
    )
    moved = (
        ~first
        & (last >= 0)
        & (after > c.ftd_at[approved_lead] + MINUTE)
        & (rng.random(len(approved_lead)) < TOP_UP_AFTER_CALL_SHARE)
        # The last hour's attempts stay as they are: some are still with the provider.
        & (approved_at < c.until - HOUR)
    )
    approved_at = np.where(moved, np.minimum(after, approved_at), approved_at)

    # Some approved deposits were declined once first (a retry a few minutes later).
    retried = rng.random(len(approved_lead)) < 0.12
    retry_lead = approved_lead[retried]
    retry_at = approved_at[retried] - rng.integers(2 * MINUTE, 30 * MINUTE, int(retried.sum()))
    # Leads who tried and never got a deposit through: the failed deposits to chase.
    losers = np.flatnonzero(~c.converted)
    failures = int(round(len(approved_lead) * 0.08))
    fail_lead = losers[rng.integers(0, len(losers), failures)] if len(losers) else losers
    fail_at = c.registered[fail_lead] + (
        rng.lognormal(np.log(2), 1.0, len(fail_lead)) * DAY
    ).astype(np.int64)
    fail_ok = fail_at < c.until - MINUTE
    fail_lead, fail_at = fail_lead[fail_ok], fail_at[fail_ok]

    lead = np.concatenate([approved_lead, retry_lead, fail_lead])
    at = np.concatenate([approved_at, retry_at, fail_at])
    declined = np.concatenate(
        [np.zeros(len(approved_lead), bool), np.ones(len(retry_lead) + len(fail_lead), bool)]
    )
    is_ftd = np.concatenate([first, np.zeros(len(retry_lead) + len(fail_lead), bool)])
    order = np.lexsort((at, lead))
    lead, at, declined, is_ftd = lead[order], at[order], declined[order], is_ftd[order]
    m = len(lead)

    currency = c.currency[lead]
    typical = g.typical_cents[currency]
    amount = typical * rng.lognormal(0, 0.9, m)
    whale = rng.random(m) < 0.01
    amount[whale] *= rng.pareto(1.5, int(whale.sum())) + 5
    round_unit = np.maximum(typical // 5, 100)
    rounded = rng.random(m) < 0.6
    cents = np.where(
        rounded,
        np.maximum(np.round(amount / round_unit), 1) * round_unit,
        np.maximum(amount.astype(np.int64), 1000),
    ).astype(np.int64)
    usd = usd_cents(cents, currency, g.rates_e8)

    provider = pick(rng, [p[2] for p in ref.PROVIDERS], m)
    method = np.array([p[0] for p in ref.PROVIDERS], dtype=object)[provider]
    reasons = np.array([r[0] for r in ref.DECLINE_REASONS], dtype=object)
    reason = reasons[pick(rng, [r[1] for r in ref.DECLINE_REASONS], m)]
    not_card = (method != "card") & np.isin(reason, list(CARD_ONLY_REASONS))
    reason[not_card] = "provider timeout"
    status = np.where(declined, "declined", "approved").astype(object)
    # Still with the provider at the demo's end: the last minutes' attempts, and a wire
    # for up to a day.
    waiting = (at > c.until - 20 * MINUTE) | ((method == "wire") & (at > c.until - DAY))
    pending = ~declined & waiting & ~is_ftd
    status[pending] = "pending"
    reason = np.where(declined, reason, None)

    am = c.owner_at(lead, at)
    called = c.first_call_at[lead] < at
    self_deposit = ~declined & ((am == 0) | ~called)
    c.deposit = {
        "lead": lead,
        "at": at,
        "declined": declined,
        "am": am,
        "cents": cents,
        "currency": currency,
        "usd": usd,
        "is_ftd": is_ftd,
        "status": status,
        "reason": reason,
        "method": method,
        "provider": provider,
        "c": self_deposit,
    }
    ids = g.counters.take("deposit_attempts", m)
    c.deposit["id"] = ids
    c.out["deposit_attempts"] = {
        "id": ids,
        "lead_id": c.ids[lead],
        "am_id": pa_nullable(am),
        "amount": cents,
        "currency": np.array(g.currencies, dtype=object)[currency],
        "amount_usd": usd,
        "method": method,
        "provider": np.array([p[1] for p in ref.PROVIDERS], dtype=object)[provider],
        "status": status,
        "decline_reason": reason,
        "is_self_deposit": self_deposit,
        "is_ftd": is_ftd,
        # The provider answers a card in seconds; a pending attempt has no decision yet.
        "decided_at": Masked(at + 2 * US, status != "pending"),
        "created_at": at,
        "updated_at": np.where(status == "pending", c.until, at + 2 * US),
    }

    # Balance: what was deposited, moved by trading (kept exact in cents).
    credited = ~declined & (status == "approved")
    deposited = np.zeros(n, dtype=np.int64)
    np.add.at(deposited, lead[credited], cents[credited])
    pnl = rng.uniform(0.2, 1.15, n)
    c.balance = (deposited * pnl).astype(np.int64)

    # F4/F12: deposits on owned accounts reach the target board once a manager reviewed
    # them; the last day's wait in the New deposits review.
    board = credited & ~self_deposit & (am != 0) & (at < c.until - DAY)
    recorded = np.minimum(
        at[board] + rng.integers(HOUR, 20 * HOUR, int(board.sum())), c.until - HOUR
    )
    c.out["target_board_entries"] = {
        "id": g.counters.take("target_board_entries", int(board.sum())),
        "am_id": am[board],
        "deposit_id": ids[board],
        "amount_usd": usd[board],
        "recorded_by_id": g.sales_managers[
            rng.integers(0, len(g.sales_managers), int(board.sum()))
        ],
        "recorded_at": recorded,
        "created_at": recorded,
        "updated_at": recorded,
    }
