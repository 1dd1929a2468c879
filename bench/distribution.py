"""Benchmark: lead distribution (issue 25) on PostgreSQL at brokerage scale.

    flock /work/wt/bench.lock .venv/bin/python bench/distribution.py
    flock /work/wt/bench.lock .venv/bin/python bench/distribution.py --registrations 500

Copies the 1 M-lead CRM ``starboard_bench`` (401 AMs, 1.7 M assignments) to a throwaway
database, upgrades it, and sets up nine rules (the eight commonest languages, a pool of 20 AMs
each, and a fallback pool of 40), every AM on shift all week, caps of 200 new leads a
day and 10,000 open leads (so both cap counts are read). Then it measures:

1. a registration of one lead (``crm.actions.register_leads``, committed), rules off and on,
   and the time the distribution itself takes inside it (the hook timed in place);
2. the "new leads" backlog: the oldest 10,000 unassigned new leads distributed in one action;
3. a replay of the busiest month's registrations under the rules (nothing written);
4. a login through the ingest action (``crm.actions.record_platform_event``, committed) with the
   optional run for returning leads on (after 14 days away): of an owned lead, of an unowned
   lead seen lately, and of an unowned lead back after 14 days or more (assigned by the rules).
   Each login is paired with one of the same kind with the run taken out (the code as before
   it), in turn, so both see the same load; and the run's own time inside the action.

Each part also reports its wall and CPU seconds (this client's, and the copy's PostgreSQL
backends' when the server runs on this machine) and the load average after it. Then drops the
copy. Targets: distribution adds < 10 ms p95 to a registration; the backlog
in < 10 s; the replay of a month in < 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import sqlalchemy as sa
from alembic import command as alembic_command
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crm import actions  # noqa: E402
from crm.actions import distribution as dist  # noqa: E402
from crm.actions import ingest_platform, registration  # noqa: E402
from crm.db import alembic_config, create_crm_engine  # noqa: E402
from crm.distribution.availability import Shift  # noqa: E402
from crm.distribution.replay import replay_period  # noqa: E402
from crm.distribution.rules import load_rules  # noqa: E402
from crm.models import Lead, Staff  # noqa: E402

SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
SOURCE = "starboard_bench"
DATABASE = os.environ.get("BENCH_DISTRIBUTION_DB", "starboard_bench_distribution")
LANGUAGES = ("en", "es", "ar", "pt", "de", "it", "fr", "pl")
POOL = 20
FALLBACK = 40
ALL_WEEK = [Shift(day, 0, 1440) for day in range(7)]
WARM_UP = 20


def admin(statement: sql.Composable) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def copy_source(source: str = SOURCE) -> str:
    admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))
    admin(
        sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
            sql.Identifier(DATABASE), sql.Identifier(source)
        )
    )
    return f"{SERVER}/{DATABASE}"


def backend_pids() -> list[int]:
    """The process ids of the copy's PostgreSQL backends now."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        return [
            row[0]
            for row in connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (DATABASE,)
            )
        ]


def server_cpu(pids: list[int] | None = None) -> float:
    """CPU seconds the copy's PostgreSQL backends (or ``pids``) have used (this machine's
    server): the client's own CPU (``time.process_time``) does not include the database's."""
    if pids is None:
        pids = backend_pids()
    ticks, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # another machine's server, or the backend has gone
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


class Cpu:
    """Wall and CPU seconds (client and server) of a block, added to ``results[name]``."""

    def __init__(self, results: dict, name: str):
        self.results, self.name = results, name

    def __enter__(self):
        self.began = (time.perf_counter(), time.process_time(), server_cpu())
        return self

    def __exit__(self, *exc):
        wall, client, server = self.began
        self.results[self.name] = {
            "wall_s": round(time.perf_counter() - wall, 2),
            "client_cpu_s": round(time.process_time() - client, 2),
            "server_cpu_s": round(server_cpu() - server, 2),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def set_up(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        ams = connection.scalars(
            sa.select(Staff.id)
            .where(Staff.role == "account_manager", Staff.is_active, Staff.desk == "conversion")
            .order_by(Staff.id)
        ).all()
    for am_id in ams:
        dist.set_shifts(engine, actor_id=None, action_id=f"s{am_id}", am_id=am_id, shifts=ALL_WEEK)
    for number, language in enumerate(LANGUAGES):
        pool = {ams[(number * POOL + i) % len(ams)]: 1 + i % 3 for i in range(POOL)}
        dist.save_rule(
            engine,
            actor_id=None,
            action_id=f"r{language}",
            name=f"lang-{language}",
            pool=pool,
            segment={"languages": [language]},
            daily_cap=200,
            open_cap=10_000,
        )
    # The fallback: a team of 40 (a pool of every AM would read every AM's counts at each
    # registration; see BENCHMARKS.md).
    dist.save_rule(
        engine,
        actor_id=None,
        action_id="rall",
        name="everyone",
        pool=dict.fromkeys(ams[-FALLBACK:], 1),
        daily_cap=200,
        open_cap=10_000,
    )


def switch_all(engine: sa.Engine, on: bool) -> None:
    with engine.connect() as connection:
        names = [rule.name for rule in load_rules(connection)]
    for name in names:
        dist.switch_rule(engine, actor_id=None, action_id=actions.new_action_id(), name=name, on=on)


def person(number: int, language: str) -> dict:
    return {
        "first_name": f"Bench{number}",
        "last_name": "Lead",
        "email": f"bench{number}@example.com",
        "phone": f"+35799{number:06d}",
        "country": "CY",
        "time_zone": "Asia/Nicosia",
        "language": language,
        "source": "google",
    }


def registrations(engine: sa.Engine, count: int, offset: int) -> dict:
    """Milliseconds per registration (committed), and inside each the distribution's."""
    inside: list[float] = []
    hook = registration.distribute_registered

    def timed(action, leads):
        began = time.perf_counter()
        try:
            return hook(action, leads)
        finally:
            inside.append((time.perf_counter() - began) * 1000)

    registration.distribute_registered = timed
    whole: list[float] = []
    try:
        for n in range(WARM_UP + count):
            language = LANGUAGES[n % 10] if n % 10 < len(LANGUAGES) else "ja"
            began = time.perf_counter()
            actions.register_leads(
                engine,
                [person(offset + n, language)],
                action_id=actions.new_action_id(),
                actor_id=None,
            )
            whole.append((time.perf_counter() - began) * 1000)
    finally:
        registration.distribute_registered = hook
    whole, inside = whole[WARM_UP:], inside[WARM_UP:]
    return {
        "registration_p50_ms": round(percentile(whole, 0.5), 2),
        "registration_p95_ms": round(percentile(whole, 0.95), 2),
        "distribution_p50_ms": round(percentile(inside, 0.5), 2),
        "distribution_p95_ms": round(percentile(inside, 0.95), 2),
    }


LOGIN_KINDS = ("owned", "unowned_recent", "unowned_returning")


def login_leads(engine: sa.Engine, count: int, days: int, now: datetime) -> dict[str, list[int]]:
    """``2 × count`` leads of each kind, from points spread over the id range."""
    away = now - timedelta(days=days)
    found: dict[str, list[int]] = {kind: [] for kind in LOGIN_KINDS}
    leads = Lead.__table__
    with engine.connect() as connection:
        low, high = connection.execute(
            sa.select(sa.func.min(leads.c.id), sa.func.max(leads.c.id))
        ).one()
        step = max(1, (high - low) // (40 * count))
        for start in range(low, high, step):
            rows = connection.execute(
                sa.select(leads.c.id, leads.c.am_id, leads.c.last_login_at, leads.c.registered_at)
                .where(leads.c.id >= start)
                .order_by(leads.c.id)
                .limit(50)
            ).all()
            for row in rows:
                seen = row.last_login_at or row.registered_at
                kind = (
                    "owned"
                    if row.am_id is not None
                    else "unowned_returning"
                    if seen <= away - timedelta(days=1)
                    else "unowned_recent"
                    if seen > away + timedelta(days=1)
                    else None
                )
                if kind and len(found[kind]) < 2 * count and row.id not in found[kind]:
                    found[kind].append(row.id)
            if all(len(ids) >= 2 * count for ids in found.values()):
                break
    return found


def logins(engine: sa.Engine, count: int, days: int = 14) -> dict:
    """Milliseconds per login of each kind, with the run for returning leads (new) and
    without it (as before), in turn; and the run's own time inside the action."""
    dist.set_runs(
        engine,
        actor_id=None,
        action_id=actions.new_action_id(),
        returning=True,
        returning_days=days,
        failed_deposits=True,
    )
    # The data set's own "now": its newest login (the demo ends when it was generated).
    with engine.connect() as connection:
        now = connection.scalar(sa.select(sa.func.max(Lead.last_login_at)))
    chosen = login_leads(engine, count, days, now)
    hook = ingest_platform._returning
    inside: list[float] = []

    def timed(action, lead, at):
        began = time.perf_counter()
        try:
            return hook(action, lead, at)
        finally:
            inside.append((time.perf_counter() - began) * 1000)

    out: dict = {}
    assigned = 0
    # Open the engine's pooled connection (one, used in turn) so its backend exists: its CPU is
    # read from /proc around each login, without a query of its own.
    engine.connect().close()
    pids = backend_pids()
    for kind in LOGIN_KINDS:
        ids = chosen[kind]
        times = {"new": [], "old": []}
        cpu = {"new": [0.0, 0.0], "old": [0.0, 0.0]}  # client, server seconds
        inside.clear()
        for n, lead_id in enumerate(ids):
            version = "new" if n % 2 == 0 else "old"
            ingest_platform._returning = timed if version == "new" else (lambda *_: None)
            event_id = actions.new_action_id()
            client, server = time.process_time(), server_cpu(pids)
            began = time.perf_counter()
            try:
                result = actions.record_platform_event(
                    engine,
                    {
                        "event_id": event_id,
                        "type": "login",
                        "lead": {"id": lead_id},
                        "session_id": event_id,
                        "occurred_at": now + timedelta(seconds=1 + n),
                        "device": "web",
                        "balance": None,
                        "currency": None,
                    },
                    action_id=event_id,
                )
            finally:
                ingest_platform._returning = hook
            times[version].append((time.perf_counter() - began) * 1000)
            cpu[version][0] += time.process_time() - client
            cpu[version][1] += server_cpu(pids) - server
            assigned += "distribution" in result.details and version == "new"
        out[kind] = {
            "logins": {v: len(t) for v, t in times.items()},
            **{
                f"{v}_p{p}_ms": round(percentile(t, p / 100), 2) if t else None
                for v, t in times.items()
                for p in (50, 95)
            },
            "run_p50_ms": round(percentile(inside, 0.5), 2) if inside else None,
            "run_p95_ms": round(percentile(inside, 0.95), 2) if inside else None,
            # CPU per login, ms: this client's and the database's.
            **{
                f"{v}_cpu_ms": {
                    "client": round(1000 * cpu[v][0] / max(1, len(times[v])), 2),
                    "server": round(1000 * cpu[v][1] / max(1, len(times[v])), 2),
                }
                for v in times
            },
        }
    out["returning_assigned"] = assigned
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrations", type=int, default=300)
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--logins", type=int, default=200, help="of each kind, old and new")
    parser.add_argument("--only-logins", action="store_true", help="skip parts 1 to 3")
    parser.add_argument("--keep", action="store_true", help="keep the copy afterwards")
    parser.add_argument("--source", default=SOURCE, help=f"the CRM to copy ({SOURCE})")
    args = parser.parse_args()
    url = copy_source(args.source)
    engine = create_crm_engine(url)
    results: dict = {"leads": None}
    try:
        began = time.perf_counter()
        alembic_command.upgrade(alembic_config(engine), "head")
        results["migration_s"] = round(time.perf_counter() - began, 2)
        with engine.connect() as connection:
            results["leads"] = connection.scalar(sa.select(sa.func.count()).select_from(Lead))
            results["staff"] = connection.scalar(sa.select(sa.func.count()).select_from(Staff))
        set_up(engine)
        if args.only_logins:
            switch_all(engine, True)
            with Cpu(results, "logins_cpu"):
                results["logins"] = logins(engine, args.logins)
            return
        with Cpu(results, "off_cpu"):
            results["off"] = registrations(engine, args.registrations, 0)
        switch_all(engine, True)
        with Cpu(results, "on_cpu"):
            results["on"] = registrations(engine, args.registrations, 100_000)

        began = time.perf_counter()
        with Cpu(results, "backlog_cpu"):
            backlog = dist.run_backlog(
                engine, actor_id=None, action_id="backlog", include_new=True, limit=args.backlog
            )
        results["backlog_s"] = round(time.perf_counter() - began, 2)
        results["backlog"] = backlog.details

        with engine.connect() as connection:
            month = connection.execute(
                sa.select(sa.func.date_trunc("month", Lead.registered_at).label("m"))
                .group_by(sa.text("m"))
                .order_by(sa.func.count().desc())
                .limit(1)
            ).scalar_one()
            start = month.astimezone(timezone.utc)
            end = (start + timedelta(days=32)).replace(day=1)
            rules = load_rules(connection)
            began = time.perf_counter()
            with Cpu(results, "replay_cpu"):
                replay = replay_period(connection, rules, start, end)
            results["replay_s"] = round(time.perf_counter() - began, 2)
        results["replay_month"] = f"{start:%Y-%m}"
        results["replay_registrations"] = len({d.lead_id for d in replay.decisions})
        results["replay_decisions"] = len(replay.decisions)
        with Cpu(results, "logins_cpu"):
            results["logins"] = logins(engine, args.logins)
    finally:
        engine.dispose()
        if not args.keep:
            admin(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE))
            )
        results["at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
