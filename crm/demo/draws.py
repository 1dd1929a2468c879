"""What the live simulator draws from: how the events divide, whom each kind picks, call
outcomes and lengths, deposit methods, declines and amounts; the tables it writes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import timedelta
from decimal import Decimal

import numpy as np

from crm.demo import reference as ref
from crm.demo import shifts
from crm.models import (
    Call,
    Currency,
    DepositAttempt,
    EmailOutbox,
    Lead,
    PlatformSession,
    Staff,
)
from crm.types import CENT

LEADS = Lead.__table__
SESSIONS = PlatformSession.__table__
CALLS = Call.__table__
DEPOSITS = DepositAttempt.__table__
OUTBOX = EmailOutbox.__table__
STAFF = Staff.__table__
CURRENCIES = Currency.__table__

# Unseen this long, a session is no longer online and is closed at the time it was last seen.
SESSION_TIMEOUT = timedelta(minutes=5)
# An open session reports at this interval (a client's heartbeat); rewriting every open session
# every tick would cost a busy tick more than everything else it does.
HEARTBEAT = timedelta(seconds=30)
# Sessions end at a constant rate, so the number online settles (at logins/s x this) instead
# of drifting the way it would if logouts were drawn like the other events.
MEAN_SESSION_S = 12 * 60
# How the drawn events divide; logouts come on top of these (see ``simulate_tick``).
# "call": the share calls had of the rate before the AMs' shifts set them; kept so the rate
# keeps its meaning for the other kinds, and for the simulator through the API.
EVENT_SHARES = {"registration": 0.06, "login": 0.50, "call": 0.32, "deposit": 0.12}
SESSIONS_PER_EVENT = EVENT_SHARES["registration"] + EVENT_SHARES["login"]

# Who logs in: mostly the recently active and the newly registered, some after a long absence.
LOGIN_PICKS = {"recent_login": 0.45, "recent_registration": 0.30, "anyone": 0.25}
MEAN_SINCE_LOGIN = timedelta(days=3)
MEAN_SINCE_REGISTRATION = timedelta(days=2)
# Whom an AM calls: clients online now (F2), fresh leads, anyone they own.
CALL_PICKS = {"online": 0.40, "recent_registration": 0.30, "anyone": 0.30}
RECENT_REGISTRATION_WINDOW = timedelta(days=7)
DEPOSITS_FROM_ONLINE = 0.9
DEPOSITS_AFTER_A_TALK = 0.6
# Most attempts come from clients topping up; the rest are would-be FTDs (and their declines).
DEPOSITS_FROM_CLIENTS = 0.75
DEPOSIT_SAMPLE = 100
# A random-id probe looks this many ids on before giving up, so it stays an index range.
PROBE_SPAN = 2_000
PROBE_ROWS = 20  # rows an owned-lead probe reads to find one an active AM owns
PICK_TRIES = 3
DEVICE_SHARES = (0.45, 0.30, 0.25)  # web, ios, android, as the history has them

CALL_OUTCOMES = ("connected", "no_answer", "voicemail", "busy", "wrong_number")
CALL_OUTCOME_SHARES = (0.30, 0.38, 0.17, 0.10, 0.05)
CONNECTED_MEDIAN_S = 300  # lognormal: 2-15 minutes for most connected calls
DECLINE_SHARE_OF_METHOD = {"card": 0.20, "wire": 0.08, "e_wallet": 0.12, "crypto": 0.15}
# A would-be FTD's attempt is approved this often (the methods' shares and decline rates): the
# attempts it takes for an FTD pace.
PROSPECTS_APPROVED = 0.84
CARD_ONLY_REASONS = {"3-D Secure failed", "card expired"}
USD_ACCOUNT_SHARE = 0.15  # clients outside the US who still open a USD account

IN_CHUNK = 500


def _shares(weights: Sequence[float]) -> np.ndarray:
    weights = np.asarray(weights, dtype=float)
    return weights / weights.sum()


MARKET_P = _shares([m.weight for m in ref.MARKETS])
SOURCE_P = _shares([s[2] for s in ref.SOURCES])
PROVIDER_P = _shares([p[2] for p in ref.PROVIDERS])
OUTCOME_P = _shares(CALL_OUTCOME_SHARES)
DEVICE_P = _shares(DEVICE_SHARES)
REASONS_ANY = [r[0] for r in ref.DECLINE_REASONS]
REASONS_ANY_P = _shares([r[1] for r in ref.DECLINE_REASONS])
REASONS_NOT_CARD = [r for r in REASONS_ANY if r not in CARD_ONLY_REASONS]
REASONS_NOT_CARD_P = _shares([r[1] for r in ref.DECLINE_REASONS if r[0] not in CARD_ONLY_REASONS])


def _pick(rng: np.random.Generator, shares: dict[str, float]) -> str:
    kinds = list(shares)
    return kinds[rng.choice(len(kinds), p=_shares(list(shares.values())))]


def _call_duration(rng: np.random.Generator, outcome: str) -> int:
    """Seconds on the line: minutes when connected, ringing or a message otherwise."""
    if outcome == "connected":
        # At most half an hour: the last call of a shift ends within its 9 hours.
        talk = rng.lognormal(math.log(CONNECTED_MEDIAN_S), 0.55)
        return int(min(max(talk, 45), shifts.MAX_CALL_S))
    low, high = {"voicemail": (20, 60), "no_answer": (15, 45), "wrong_number": (10, 40)}.get(
        outcome, (2, 10)
    )
    return int(rng.integers(low, high + 1))


def _decline_reason(rng: np.random.Generator, method: str) -> str:
    if method == "card":
        return REASONS_ANY[rng.choice(len(REASONS_ANY), p=REASONS_ANY_P)]
    return REASONS_NOT_CARD[rng.choice(len(REASONS_NOT_CARD), p=REASONS_NOT_CARD_P)]


def _deposit_amount(rng: np.random.Generator, currency: str, returning: bool) -> Decimal:
    """A long-tailed amount around the currency's typical deposit, usually a round number."""
    typical = ref.TYPICAL_DEPOSIT.get(currency, ref.TYPICAL_DEPOSIT["USD"])
    amount = typical * rng.lognormal(0.4 if returning else 0.0, 0.9)
    if rng.random() < 0.01:  # the odd whale
        amount *= 5 + rng.pareto(1.5)
    step = 10 ** max(int(math.log10(typical / 25)), 0)
    if rng.random() < 0.6:
        step *= 5
    units = max(round(amount / step), 1) * step
    return Decimal(max(units, typical // 5)).quantize(CENT)


def _chunks(values: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]
