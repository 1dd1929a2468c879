"""One tick of the live brokerage, step by step: sessions kept alive or closed, registrations,
logins, the AMs' calls (``crm.demo.tick_calls``) and the deposits (``crm.demo.tick_deposits``)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
import sqlalchemy as sa

from crm.actions import new_action_id, register_leads
from crm.actions.distribution_runs import run_occasions
from crm.demo import reference as ref
from crm.demo import tick_calls
from crm.demo.draws import (
    CURRENCIES,
    DEVICE_P,
    LEADS,
    LOGIN_PICKS,
    MARKET_P,
    MEAN_SINCE_LOGIN,
    MEAN_SINCE_REGISTRATION,
    PICK_TRIES,
    PROBE_ROWS,
    PROBE_SPAN,
    RECENT_REGISTRATION_WINDOW,
    SESSION_TIMEOUT,
    SESSIONS,
    SOURCE_P,
    USD_ACCOUNT_SHARE,
    _chunks,
    _pick,
)
from crm.demo.reference import DEVICES, EMAIL_DOMAINS, ascii_slug
from crm.demo.tick_deposits import deposit
from crm.distribution import occasions


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

    def distribute(self, found: dict[int, str]) -> None:
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
        if self.lead_ids is not None:
            # No more logins than leads offline: on a small CRM with everyone online, each
            # wanted login would otherwise probe the database in vain, a few times over.
            low, high = self.lead_ids
            count = min(count, high - low + 1 - len(self.online))
        if count <= 0:
            return
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
        self.distribute(returning)

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

    def call(self, dt: float) -> None:
        """The AMs' calls of the last ``dt`` seconds, written (``crm.demo.tick_calls``)."""
        tick_calls.call(self, dt)

    def plan_calls(self, dt: float) -> list[dict]:
        """The AMs' calls of the last ``dt`` seconds, not written (``crm.demo.tick_calls``)."""
        return tick_calls.plan_calls(self, dt)

    # Deposits ----------------------------------------------------------------------------

    def deposit(self, count: int, would_be_ftds: int | None = None) -> None:
        """Deposit attempts (``crm.demo.tick_deposits``)."""
        deposit(self, count, would_be_ftds)

    def _usd_rates(self) -> dict[str, Decimal]:
        """The CRM's own book of rates; the demo's reference book when the CRM has none."""
        rates = {
            row.code: Decimal(row.usd_rate)
            for row in self.connection.execute(sa.select(CURRENCIES.c.code, CURRENCIES.c.usd_rate))
        }
        return rates or dict(ref.USD_RATES)
