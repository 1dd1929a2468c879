"""The demo brokerage in real time: what ``python -m crm simulate`` runs.

Every tick, in one transaction, the platform and the sales floor move a little: new leads
register (welcome mail queued, first session opened), clients log in, stay online and log out,
account managers on shift call the leads they own one after another (``crm.demo.floor``), and
clients try to deposit, most often soon after a talk with their AM. The online, payment and
sales views then change while someone watches them.

At start the simulator first lives the time since the CRM's newest event (the demo's end, or
its own last run) in coarse ticks at the CRM's own pace of its last week, at most the last
week of it, so a dashboard shows no hole between history and live; registrations then go on
at that pace, following each market's local day.

A tick never scans a table: leads are picked by indexed probes (a random id, a random point in
the last-login or registration order) and sessions by their ``last_seen_at`` index, so what a
tick costs grows with the rate and the number online, not with the size of the CRM. Open
sessions report every ``HEARTBEAT``; one unseen for ``SESSION_TIMEOUT`` is closed at the time it
was last seen, which is what "online" (seen within the last five minutes) relies on.

Platform activity (logins, balance, FTD) touches ``updated_at`` for the ETL but never a lead's
``version``, which counts the changes people make.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from crm.actions import mail, new_action_id, register_leads
from crm.actions.distribution_runs import run_occasions
from crm.db import describe
from crm.demo import floor
from crm.demo import reference as ref
from crm.demo.reference import DEVICES, EMAIL_DOMAINS, ascii_slug
from crm.distribution import occasions
from crm.errors import UserError
from crm.models import (
    Call,
    Currency,
    DepositAttempt,
    EmailOutbox,
    Lead,
    PlatformSession,
    Staff,
    utcnow,
)
from crm.settings import DEFAULT_WORKING_DAYS, WorkingDays
from crm.settings import working_days as floor_working_days
from crm.signals import signals_held, sigterm_interrupts
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
CARD_ONLY_REASONS = {"3-D Secure failed", "card expired"}
USD_ACCOUNT_SHARE = 0.15  # clients outside the US who still open a USD account

REPORT_EVERY_S = 10.0
# A catch-up lives the missed time in ticks this long.
CATCH_UP_TICK_S = 300
# After a stall (a suspended laptop) catch up at most this many ticks' worth of events.
MAX_CATCH_UP_TICKS = 10
FAILED_TICKS_TO_GIVE_UP = 3
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


@dataclass
class TickResult:
    """What one tick (or, summed, a stretch of ticks) did."""

    registrations: int = 0
    logins: int = 0  # excluding the first login that comes with a registration
    logouts: int = 0
    timeouts: int = 0  # sessions closed because they went unseen
    calls: int = 0
    connected: int = 0
    deposits: int = 0
    declined: int = 0
    ftds: int = 0
    online: int = 0  # leads with an open session after the tick (a level, not an event count)

    def add(self, other: TickResult) -> None:
        for field in fields(self):
            if field.name != "online":
                setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))
        self.online = other.online

    def summary(self, seconds: float) -> str:
        return (
            f"simulate: {self.registrations} registrations, {self.logins} logins, "
            f"{self.logouts} logouts, {self.calls} calls ({self.connected} connected), "
            f"{self.deposits} deposits ({self.declined} declined, {self.ftds} FTDs) "
            f"in the last {seconds:.0f} s; {self.online} online now"
        )


def close_stale_sessions(
    connection: sa.Connection, now: datetime, seen_after: datetime | None = None
) -> int:
    """Close open sessions unseen for ``SESSION_TIMEOUT``, at the time they were last seen.

    ``seen_after`` bounds the look-back to an index range; the count of sessions closed is
    returned.
    """
    cutoff = now - SESSION_TIMEOUT
    stale = [SESSIONS.c.logout_at.is_(None), SESSIONS.c.last_seen_at < cutoff]
    if seen_after is not None:
        stale.append(SESSIONS.c.last_seen_at >= seen_after)
    result = connection.execute(
        SESSIONS.update().where(*stale).values(logout_at=SESSIONS.c.last_seen_at, updated_at=now)
    )
    return result.rowcount


def simulate_tick(
    connection: sa.Connection,
    rng: np.random.Generator,
    now: datetime,
    dt: float,
    rate: float,
    heartbeat: timedelta = HEARTBEAT,
    pace: floor.Pace | None = None,
    working_days: WorkingDays = DEFAULT_WORKING_DAYS,
) -> TickResult:
    """Move the brokerage on by ``dt`` seconds, ending at ``now``; run inside a transaction.

    Logins and deposit attempts are drawn from a Poisson count; open sessions end at a constant
    rate. The draw is scaled so that, once the number online has settled, they and the
    registrations together average ``rate`` events a second (less the share calls once had:
    calls now come from the AMs on shift, each dialling when free). Registrations follow the
    markets' local day around ``registrations_per_s`` on average (``rate``'s share when None).
    An open session last seen ``heartbeat`` ago or more is seen again now (``timedelta(0)``:
    every open session, every tick). The same ``rng`` state and database give the same rows.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    tick = _Tick(connection, rng, now)
    tick.result.timeouts = close_stale_sessions(
        connection, now, seen_after=now - SESSION_TIMEOUT - timedelta(seconds=2 * dt + 60)
    )
    tick.keep_sessions_alive(leave_p=-math.expm1(-dt / MEAN_SESSION_S), heartbeat=heartbeat)
    per_event = rate / (1 + SESSIONS_PER_EVENT)
    pace = pace or floor.Pace()

    def per_s(kind: str, given: float | None) -> float:
        return per_event * EVENT_SHARES[kind] if given is None else given

    rhythm = floor.market_rhythm(now)
    registrations = int(rng.poisson(per_s("registration", pace.registrations) * rhythm.sum() * dt))
    logins = int(rng.poisson(per_s("login", pace.logins) * dt))
    deposits = int(rng.poisson(per_s("deposit", pace.deposits) * dt))
    tick.register(registrations, market_p=rhythm / rhythm.sum())
    tick.log_in(logins)
    tick.call(dt, working_days)
    tick.deposit(deposits)
    tick.result.online = len(tick.online)
    return tick.result


class _Tick:
    """The state of one tick: who is online, what has been done so far."""

    def __init__(self, connection: sa.Connection, rng: np.random.Generator, now: datetime):
        self.connection, self.rng, self.now = connection, rng, now
        self.result = TickResult()
        self.online: set[int] = set()  # the leads with an open session
        # Two statements: SQLite answers a lone min() or max() from the index, not both at once.
        low = connection.scalar(sa.select(sa.func.min(LEADS.c.id)))
        high = connection.scalar(sa.select(sa.func.max(LEADS.c.id)))
        self.lead_ids = (low, high) if low is not None else None
        self.ams_at_work: list[int] = []
        self._online_by_am: dict[int, list[int]] | None = None
        self._runs: occasions.Runs | None = None

    @property
    def runs(self) -> occasions.Runs:
        """The distribution's optional runs (returning leads, failed deposits), read once."""
        if self._runs is None:
            self._runs = occasions.read_runs(self.connection)
        return self._runs

    def _distribute(self, found: dict[int, str]) -> None:
        """The rules run for these unowned leads, as the ingest API's login and deposit
        actions run them (``crm.distribution.occasions``)."""
        if found:
            run_occasions(self.connection, found, action_id=new_action_id(), now=self.now)

    # Sessions ----------------------------------------------------------------------------

    def keep_sessions_alive(self, leave_p: float, heartbeat: timedelta) -> None:
        """Some open sessions log out; the others are seen again when their heartbeat is due."""
        cutoff = self.now - SESSION_TIMEOUT
        live = [SESSIONS.c.logout_at.is_(None), SESSIONS.c.last_seen_at >= cutoff]
        # Sorted here: with ORDER BY id, SQLite walks the whole table in id order instead of
        # reading the few recent sessions from the last_seen_at index.
        sessions = sorted(
            self.connection.execute(sa.select(SESSIONS.c.id, SESSIONS.c.lead_id).where(*live))
        )
        session_ids = np.array([s[0] for s in sessions], dtype=np.int64)
        lead_ids = np.array([s[1] for s in sessions], dtype=np.int64)
        leaving = self.rng.random(len(sessions)) < leave_p
        gone = session_ids[leaving].tolist()
        for chunk in _chunks(gone):
            self.connection.execute(
                SESSIONS.update()
                .where(SESSIONS.c.id.in_(chunk))
                .values(logout_at=self.now, last_seen_at=self.now, updated_at=self.now)
            )
        self.connection.execute(
            SESSIONS.update()
            .where(
                *live,
                SESSIONS.c.last_seen_at <= self.now - heartbeat,
                SESSIONS.c.last_seen_at < self.now,
            )
            .values(last_seen_at=self.now, updated_at=self.now)
        )
        self.result.logouts = len(gone)
        self.online = set(lead_ids[~leaving].tolist())

    def _online_sample(self, size: int) -> list:
        """Up to ``size`` random online leads, in random order, with their owner and FTD time.

        Only a sample is looked up: a busy platform has thousands online, and reading them all
        with their leads every tick would cost more than the rest of the tick.
        """
        online = sorted(self.online)
        if not online or not size:
            return []
        picked = self.rng.choice(len(online), min(size, len(online)), replace=False)
        ids = [online[i] for i in picked]
        rows = self._leads_by_id(ids, LEADS.c.am_id, LEADS.c.ftd_at)
        return [rows[lead_id] for lead_id in ids if lead_id in rows]

    def _leads_by_id(self, ids, *columns, for_update: bool = False) -> dict[int, sa.Row]:
        """The given columns of these leads, by id (locked in id order when ``for_update``)."""
        select = sa.select(LEADS.c.id, *columns).where(LEADS.c.id.in_(sorted(ids)))
        if for_update:
            select = select.order_by(LEADS.c.id).with_for_update()
        return {row.id: row for row in self.connection.execute(select)}

    def _open_sessions(self, lead_ids: list[int]) -> None:
        devices = self.rng.choice(len(DEVICES), size=len(lead_ids), p=DEVICE_P)
        self.connection.execute(
            SESSIONS.insert(),
            [
                {
                    "lead_id": lead_id,
                    "login_at": self.now,
                    "last_seen_at": self.now,
                    "logout_at": None,
                    "device": DEVICES[device],
                    "updated_at": self.now,
                }
                for lead_id, device in zip(lead_ids, devices, strict=True)
            ],
        )

    # Registrations -----------------------------------------------------------------------

    def register(self, count: int, market_p: np.ndarray = MARKET_P) -> None:
        """New leads: unassigned on the conversion desk, welcome mail queued, first session."""
        if not count:
            return
        rates = self._usd_rates()
        people = [self._new_lead(rates, market_p) for _ in range(count)]
        # Through the action layer, which writes the lead, its welcome mail and the audit.
        registered = register_leads(
            self.connection, people, action_id=new_action_id(), actor_id=None, now=self.now
        )
        lead_ids = registered.details["lead_ids"]
        self._open_sessions(lead_ids)
        self.online.update(lead_ids)
        self.result.registrations = count

    def _new_lead(self, rates: dict[str, Decimal], market_p: np.ndarray = MARKET_P) -> dict:
        rng, now = self.rng, self.now
        market = ref.MARKETS[rng.choice(len(ref.MARKETS), p=market_p)]
        zones = market.time_zones
        # Most of a country's clients live in its main zone.
        zone = zones[0] if rng.random() < 0.7 else zones[rng.integers(len(zones))]
        firsts, lasts = ref.NAMES[market.names]
        first_name, last_name = firsts[rng.integers(len(firsts))], lasts[rng.integers(len(lasts))]
        start, digits = ref.mobile_number_parts(market)
        number = f"{start}{rng.integers(10**digits):0{digits}d}"
        email = (
            f"{ascii_slug(first_name)}.{ascii_slug(last_name)}{rng.integers(1, 10_000)}"
            f"@{EMAIL_DOMAINS[rng.integers(len(EMAIL_DOMAINS))]}"
        )
        source, campaigns, _weight = ref.SOURCES[rng.choice(len(ref.SOURCES), p=SOURCE_P)]
        campaign = campaigns[rng.integers(len(campaigns))] or None
        currency = market.currency if market.currency in rates else "USD"
        if rng.random() < USD_ACCOUNT_SHARE:
            currency = "USD"
        return {
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "phone": number,
            "country": market.country,
            "time_zone": zone,
            "language": market.language,
            "source": source,
            "campaign": campaign,
            "registered_at": now,
            "balance": Decimal("0.00"),
            "currency": currency,
            "ftd_at": None,
            "last_login_at": now,
        }

    # Logins ------------------------------------------------------------------------------

    def log_in(self, count: int) -> None:
        """Leads who are not online open a session; their ``last_login_at`` moves to now."""
        chosen = self._choose(
            count, lambda: self._probe(_pick(self.rng, LOGIN_PICKS)), exclude=self.online
        )
        if not chosen:
            return
        returning = {}
        if self.runs.returning:
            # Before the logins move it: how long each unowned lead was away.
            returning = occasions.returning_logins(
                self.runs,
                {
                    row.id: (self.now, row.last_login_at or row.registered_at)
                    for row in self._leads_by_id(
                        chosen, LEADS.c.am_id, LEADS.c.last_login_at, LEADS.c.registered_at
                    ).values()
                    if row.am_id is None
                },
            )
        self._open_sessions(chosen)
        for chunk in _chunks(sorted(chosen)):
            self.connection.execute(
                LEADS.update()
                .where(LEADS.c.id.in_(chunk))
                .values(last_login_at=self.now, updated_at=self.now)
            )
        self.online.update(chosen)
        self.result.logins = len(chosen)
        self._distribute(returning)

    @staticmethod
    def _choose(count: int, draw, exclude=frozenset()) -> list[int]:
        """Up to ``count`` distinct leads from ``draw``, a few tries each (a draw may miss)."""
        chosen: list[int] = []
        for _ in range(count):
            for _try in range(PICK_TRIES):
                lead_id = draw()
                if lead_id is not None and lead_id not in exclude and lead_id not in chosen:
                    chosen.append(lead_id)
                    break
        return chosen

    def _probe(self, kind: str, owned_by: set[int] | None = None) -> int | None:
        """One lead id found through an index; ``owned_by`` keeps to leads those AMs own.

        The owners are checked here rather than in SQL: a long ``IN`` list would make every
        probe a new statement for the server to plan.
        """
        rng, now = self.rng, self.now
        query = sa.select(LEADS.c.id, LEADS.c.am_id).limit(1 if owned_by is None else PROBE_ROWS)
        if owned_by is not None:
            query = query.where(LEADS.c.am_id.is_not(None))
        if kind == "recent_login":
            seen = now - MEAN_SINCE_LOGIN * rng.exponential()
            query = query.where(LEADS.c.last_login_at <= seen).order_by(
                LEADS.c.last_login_at.desc(), LEADS.c.id.desc()
            )
        elif kind == "recent_registration":
            registered = now - MEAN_SINCE_REGISTRATION * rng.exponential()
            query = query.where(
                LEADS.c.registered_at <= registered,
                LEADS.c.registered_at > registered - RECENT_REGISTRATION_WINDOW,
            ).order_by(LEADS.c.registered_at.desc(), LEADS.c.id.desc())
        else:
            if self.lead_ids is None:
                return None
            start = int(rng.integers(self.lead_ids[0], self.lead_ids[1] + 1))
            query = query.where(LEADS.c.id >= start, LEADS.c.id < start + PROBE_SPAN).order_by(
                LEADS.c.id
            )
        for lead_id, am_id in self.connection.execute(query):
            if owned_by is None or am_id in owned_by:
                return lead_id
        return None

    # Calls -------------------------------------------------------------------------------

    def call(self, dt: float, working_days: WorkingDays) -> None:
        """Each AM on shift calls leads they own, one after another: a call starts once the
        last one and its wrap-up are over, inside the AM's stretch of work, until the day's
        talk time is reached. A wrong number queues the "reach you" mail once."""
        since = self.now - timedelta(seconds=dt)
        ams = floor.ams_at_work(self.connection, since, self.now, working_days)
        self.ams_at_work = [am.id for am in ams]
        calls, wrong_numbers, leads = [], [], {}
        for am in ams:
            at, talk_left = am.free_at, am.talk_left_s
            for _ in range(floor.MOST_CALLS_A_TICK):
                if at > self.now or at >= am.block_end or talk_left <= 0:
                    break
                lead_id = self._owned_lead(am.id)
                if lead_id is None:
                    break
                outcome = CALL_OUTCOMES[self.rng.choice(len(CALL_OUTCOMES), p=OUTCOME_P)]
                duration = _call_duration(self.rng, outcome)
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
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                )
                if outcome == "wrong_number":
                    wrong_numbers.append(lead_id)
                talk_left -= duration
                at += timedelta(seconds=duration) + floor.wrap_up(duration)
        if not calls:
            return
        self.connection.execute(CALLS.insert(), calls)
        if wrong_numbers:
            leads = self._leads_by_id(
                wrong_numbers, LEADS.c.am_id, LEADS.c.first_name, LEADS.c.email, LEADS.c.phone
            )
        self._reach_out(sorted(set(wrong_numbers)), leads)
        self.result.calls = len(calls)
        self.result.connected = sum(c["outcome"] == "connected" for c in calls)

    def _owned_lead(self, am_id: int) -> int | None:
        """A lead the AM owns: one online now, a fresh one, or any (F2, F7)."""
        for _try in range(PICK_TRIES):
            kind = _pick(self.rng, CALL_PICKS)
            if kind == "online":
                owned = self._online_owned.get(am_id)
                if owned:
                    return owned[self.rng.integers(len(owned))]
                continue
            lead_id = self._probe(kind, owned_by={am_id})
            if lead_id is not None:
                return lead_id
        # The AM's own list, through the index on the owner: any lead they hold.
        if self.lead_ids is None:
            return None
        start = int(self.rng.integers(self.lead_ids[0], self.lead_ids[1] + 1))
        return self.connection.scalar(
            sa.select(LEADS.c.id)
            .where(LEADS.c.am_id == am_id, LEADS.c.id >= start)
            .order_by(LEADS.c.id)
            .limit(1)
        ) or self.connection.scalar(
            sa.select(LEADS.c.id).where(LEADS.c.am_id == am_id).order_by(LEADS.c.id).limit(1)
        )

    @property
    def _online_owned(self) -> dict[int, list[int]]:
        if self._online_by_am is None:
            self._online_by_am = {}
            for row in self._online_sample(60):
                if row.am_id is not None:
                    self._online_by_am.setdefault(row.am_id, []).append(row.id)
        return self._online_by_am

    def _reach_out(self, lead_ids: list[int], leads: dict) -> None:
        if not lead_ids:
            return
        already = set(
            self.connection.scalars(
                sa.select(OUTBOX.c.lead_id).where(
                    OUTBOX.c.lead_id.in_(lead_ids), OUTBOX.c.template == "reach_you"
                )
            )
        )
        mail.queue(
            self.connection,
            [
                mail.outbox_row(
                    lead_id,
                    "reach_you",
                    address=leads[lead_id].email,
                    first_name=leads[lead_id].first_name,
                    phone=leads[lead_id].phone,
                    now=self.now,
                )
                for lead_id in lead_ids
                if lead_id not in already
            ],
        )

    # Deposits ----------------------------------------------------------------------------

    def deposit(self, count: int) -> None:
        """Clients, mostly online ones, try to deposit; the provider approves or declines.

        An approved deposit is credited to the balance; a lead's first approved one is its FTD
        and converts it. It is a self deposit when the lead has no AM or was never called
        before it. Balances are read under a row lock and added up in Python: SQLite keeps
        money as text, and SQL arithmetic on it would go through floats.
        """
        if not count:
            return
        # A wide sample, so that the few clients among the online are in it.
        sample = self._online_sample(max(DEPOSIT_SAMPLE, PICK_TRIES * count))
        clients = [row.id for row in sample if row.ftd_at is not None]
        prospects = [row.id for row in sample if row.ftd_at is None]
        talked = floor.recently_talked(self.connection, self.ams_at_work, self.now)
        talked_clients = [row.id for row in talked if row.ftd_at is not None]
        talked_prospects = [row.id for row in talked if row.ftd_at is None]

        def draw() -> int | None:
            if talked and self.rng.random() < DEPOSITS_AFTER_A_TALK:
                # Deposits follow talks: a client (or a prospect) an AM just reached.
                group = talked_clients if self.rng.random() < DEPOSITS_FROM_CLIENTS else []
                group = group or talked_prospects or talked_clients
                return group[self.rng.integers(len(group))]
            if (clients or prospects) and self.rng.random() < DEPOSITS_FROM_ONLINE:
                group = clients if self.rng.random() < DEPOSITS_FROM_CLIENTS else prospects
                group = group or clients or prospects
                return group[self.rng.integers(len(group))]
            # A wire landing, a deposit from the mobile cashier: a recently active lead.
            return self._probe("recent_login")

        chosen = self._choose(count, draw)
        if not chosen:
            return
        leads = self._leads_by_id(
            chosen,
            LEADS.c.am_id,
            LEADS.c.currency,
            LEADS.c.balance,
            LEADS.c.ftd_at,
            LEADS.c.status,
            for_update=True,
        )
        called = set(
            self.connection.scalars(
                sa.select(CALLS.c.lead_id)
                .distinct()
                .where(CALLS.c.lead_id.in_(sorted(chosen)), CALLS.c.started_at < self.now)
            )
        )
        rates = self._usd_rates()
        attempts, changes = [], []
        for lead_id in chosen:
            lead = leads.get(lead_id)
            if lead is None or lead.currency not in rates:
                continue
            method, provider, _ = ref.PROVIDERS[self.rng.choice(len(ref.PROVIDERS), p=PROVIDER_P)]
            declined = self.rng.random() < DECLINE_SHARE_OF_METHOD[method]
            reason = _decline_reason(self.rng, method) if declined else None
            amount = _deposit_amount(self.rng, lead.currency, returning=lead.ftd_at is not None)
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
                    "is_self_deposit": not declined
                    and (lead.am_id is None or lead_id not in called),
                    "is_ftd": is_ftd,
                    "decided_at": self.now,
                    "created_at": self.now,
                    "updated_at": self.now,
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
                    "b_ftd_at": self.now if is_ftd else lead.ftd_at,
                    "b_status": status,
                    "b_now": self.now,
                }
            )
        if attempts:
            self.connection.execute(DEPOSITS.insert(), attempts)
        if self.runs.failed_deposits:
            self._distribute(
                {
                    a["lead_id"]: occasions.declined_occasion(
                        self.runs, a["amount"], a["currency"], a["decline_reason"]
                    )
                    for a in attempts
                    if a["status"] == "declined" and a["am_id"] is None
                }
            )
        if changes:
            self.connection.execute(
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
        self.result.deposits = len(attempts)
        self.result.declined = sum(a["status"] == "declined" for a in attempts)
        self.result.ftds = sum(a["is_ftd"] for a in attempts)

    def _usd_rates(self) -> dict[str, Decimal]:
        """The CRM's own book of rates; the demo's reference book when the CRM has none."""
        rates = {
            row.code: Decimal(row.usd_rate)
            for row in self.connection.execute(sa.select(CURRENCIES.c.code, CURRENCIES.c.usd_rate))
        }
        return rates or dict(ref.USD_RATES)


def _pick(rng: np.random.Generator, shares: dict[str, float]) -> str:
    kinds = list(shares)
    return kinds[rng.choice(len(kinds), p=_shares(list(shares.values())))]


def _call_duration(rng: np.random.Generator, outcome: str) -> int:
    """Seconds on the line: minutes when connected, ringing or a message otherwise."""
    if outcome == "connected":
        return int(min(max(rng.lognormal(math.log(CONNECTED_MEDIAN_S), 0.55), 45), 3600))
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


# The command ---------------------------------------------------------------------------------


def run_simulation(
    engine: sa.Engine,
    *,
    rate: float,
    seed: int | None = None,
    seconds: float | None = None,
    tick: float = 1.0,
) -> TickResult:
    """Tick every ``tick`` seconds until ``seconds`` have passed (or forever), one transaction
    a tick; print a one-line summary about every 10 s. Ctrl-C (or SIGTERM) waits for the tick
    in progress to commit, then stops. Returns the totals.
    """
    rng = np.random.default_rng(seed)
    totals = TickResult()
    print(
        f"simulate: {rate:g} events a second on the CRM ({describe(engine)}), a write every "
        f"{tick:g} s{'' if seconds is None else f' for {seconds:g} s'}; Ctrl-C stops it.",
        flush=True,
    )
    connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    with connection, sigterm_interrupts():
        with connection.begin():
            # Sessions left open when the simulator (or the demo) last stopped.
            now = utcnow()
            close_stale_sessions(connection, now, seen_after=now - timedelta(days=1))
            days = floor_working_days(connection)
            newest = floor.newest_event(connection)
            pace = floor.recent_pace(connection, newest) if newest else floor.Pace()
        totals.add(catch_up(connection, rng, newest, utcnow(), pace, days))
        # Registrations go on at the CRM's own pace of its last week, not a jump to another.
        live = floor.Pace(registrations=pace.registrations or None)
        # The clock starts after that sweep, which can take seconds on a big CRM: the first tick
        # covers one tick's time, not the sweep's.
        started, last_tick_at = time.monotonic(), utcnow()
        next_tick, failures, report = started + tick, 0, _Report()
        try:
            while seconds is None or next_tick - started <= seconds + 1e-6:
                time.sleep(max(0.0, next_tick - time.monotonic()))
                now = utcnow()
                dt = min((now - last_tick_at).total_seconds(), MAX_CATCH_UP_TICKS * tick)
                began = time.monotonic()
                with signals_held() as received:
                    try:
                        with connection.begin():
                            result = simulate_tick(
                                connection,
                                rng,
                                now,
                                dt,
                                rate,
                                pace=live,
                                working_days=days,
                            )
                    except OperationalError as error:
                        failures += 1
                        _tick_failed(engine, error, failures)
                    else:
                        failures, last_tick_at = 0, now
                        totals.add(result)
                        report.add(result, time.monotonic() - began)
                # Behind schedule (a slow tick): go on at once, the next dt covers the gap.
                next_tick = max(next_tick + tick, time.monotonic())
                if report.due():
                    report.flush()
                if received:
                    raise KeyboardInterrupt
        finally:
            report.flush()
    return totals


def catch_up(
    connection: sa.Connection,
    rng: np.random.Generator,
    newest: datetime | None,
    now: datetime,
    pace: floor.Pace,
    days: WorkingDays = DEFAULT_WORKING_DAYS,
    tick_s: float = CATCH_UP_TICK_S,
) -> TickResult:
    """Live the time from the CRM's newest event to ``now`` (the last ``CATCH_UP_AT_MOST``
    of it) in coarse ticks, at the CRM's own recent pace, so that the history has no gap where
    the simulator was not running. One transaction a tick: Ctrl-C keeps what is done."""
    totals = TickResult()
    if newest is None or now - newest <= timedelta(seconds=tick_s):
        return totals
    gap = now - newest
    if gap > floor.CATCH_UP_AT_MOST:
        print(
            f"simulate: the CRM's newest event is {_duration_words(gap)} old; catching up the "
            f"last {_duration_words(floor.CATCH_UP_AT_MOST)} only.",
            flush=True,
        )
        newest = now - floor.CATCH_UP_AT_MOST
    else:
        print(
            f"simulate: catching up the {_duration_words(gap)} since the CRM's newest event.",
            flush=True,
        )
    at = newest
    try:
        while at < now:
            step = min(timedelta(seconds=tick_s), now - at)
            with signals_held() as received, connection.begin():
                totals.add(
                    simulate_tick(
                        connection,
                        rng,
                        at + step,
                        step.total_seconds(),
                        0.0,
                        pace=pace,
                        working_days=days,
                    )
                )
            at += step
            if received:
                raise KeyboardInterrupt
    finally:
        print(
            totals.summary((at - newest).total_seconds()).replace("in the last", "caught up in"),
            flush=True,
        )
    return totals


def _duration_words(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    if hours >= 48:
        return f"{hours / 24:.0f} days"
    if hours >= 1:
        return f"{hours:.0f} h"
    return f"{span.total_seconds() / 60:.0f} min"


class _Report:
    """The one line printed about every ``REPORT_EVERY_S`` seconds."""

    def __init__(self):
        self._start()

    def _start(self) -> None:
        self.window, self.since = TickResult(), time.monotonic()
        self.ticks, self.busy, self.slowest = 0, 0.0, 0.0

    def add(self, result: TickResult, busy: float) -> None:
        self.window.add(result)
        self.ticks += 1
        self.busy += busy
        self.slowest = max(self.slowest, busy)

    def due(self) -> bool:
        return time.monotonic() - self.since >= REPORT_EVERY_S

    def flush(self) -> None:
        if not self.ticks:
            return
        print(
            f"{self.window.summary(time.monotonic() - self.since)} (a tick took "
            f"{1000 * self.busy / self.ticks:.0f} ms on average, {1000 * self.slowest:.0f} ms "
            "at most)",
            flush=True,
        )
        self._start()


def _tick_failed(engine: sa.Engine, error: OperationalError, failures: int) -> None:
    """A tick that failed was rolled back whole; try again next tick, then give up."""
    reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
    if failures >= FAILED_TICKS_TO_GIVE_UP:
        raise UserError(
            f"the CRM ({describe(engine)}) failed {failures} ticks in a row ({reason}); each was "
            "rolled back. Start `python -m crm simulate` again when the database is back."
        ) from None
    print(f"simulate: a tick failed and was rolled back ({reason}); trying again", flush=True)
