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

Here: the command, its catch-up and the tick's outline; a tick's steps are in
``crm.demo.tick`` (calls: ``crm.demo.tick_calls``; deposits: ``crm.demo.tick_deposits``),
what they draw from in ``crm.demo.draws``.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from crm.db import describe
from crm.demo import floor
from crm.demo.draws import (
    EVENT_SHARES,
    HEARTBEAT,
    MEAN_SESSION_S,
    PROSPECTS_APPROVED,
    SESSION_TIMEOUT,
    SESSIONS,
    SESSIONS_PER_EVENT,
)
from crm.demo.tick import TickResult, _Tick
from crm.errors import UserError
from crm.models import utcnow
from crm.signals import signals_held, sigterm_interrupts

# What other modules import from here.
__all__ = ["TickResult", "catch_up", "close_stale_sessions", "run_simulation", "simulate_tick"]

REPORT_EVERY_S = 10.0
# A catch-up lives the missed time in ticks this long.
CATCH_UP_TICK_S = 300
# After a stall (a suspended laptop) catch up at most this many ticks' worth of events.
MAX_CATCH_UP_TICKS = 10
FAILED_TICKS_TO_GIVE_UP = 3


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
    deposits_per_s, would_be_ftds = per_s("deposit", pace.deposits), None
    if pace.ftds is not None:
        # The would-be FTDs at their own pace; the clients' top-ups make up the rest.
        first_per_s = pace.ftds / PROSPECTS_APPROVED
        would_be_ftds = int(rng.poisson(first_per_s * dt))
        deposits = would_be_ftds + int(rng.poisson(max(deposits_per_s - first_per_s, 0.0) * dt))
    else:
        deposits = int(rng.poisson(deposits_per_s * dt))
    tick.register(registrations, market_p=rhythm / rhythm.sum())
    tick.log_in(logins)
    tick.call(dt)
    tick.deposit(deposits, would_be_ftds)
    tick.result.online = len(tick.online)
    return tick.result


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
            newest = floor.newest_event(connection)
            pace = floor.recent_pace(connection, newest) if newest else floor.Pace()
        totals.add(catch_up(connection, rng, newest, utcnow(), pace))
        # Registrations and FTDs go on at the CRM's own pace of its last week, not a jump to
        # another.
        live = floor.Pace(registrations=pace.registrations or None, ftds=pace.ftds or None)
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
