"""Benchmark: how soon a CRM event shows on the real-time views, with N sessions watching.

    CRM_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/COPY WAREHOUSE_PATH=... \\
        python bench/live.py --accounts data/floor-accounts-1m.json --watchers 20 --minutes 5

The dashboard is started (``bench/floor_server.py``) with, beside it, the ETL's watch loop
(``--etl-every``, 30 s as ./start runs it) and the simulator (``--simulate-rate``: the demo's
leads logging in, calling and depositing). ``--watchers`` tabs signed in as managers (the
browser-free client of bench/floor_client.py) park on Online, Online advanced and the Payment
options log in turn and refresh as their pages say. Every ``--event-every`` s this script
writes one event straight into the CRM, as the platform and the payment provider do, in turn:
a login (a new open session of a lead nobody sees online), a deposit attempt (pending), and
the decline of the last attempt. After each refresh every tab looks for the events in the rows
its page was sent (the lead id on the Online pages; the deposit id, and its status, on the
log): event → row is the time from the event's commit to the refresh that shows it, for every
tab that watches a page it belongs on. Also reported: the CPU the dashboard process and the
ETL used (share of one core), the ETL's run times, and the live reads' own time at the CRM.

Results: a summary on stdout and bench/results/live-<label>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from floor import LIVE_PAGES, percentile  # noqa: E402
from floor_client import FloorError, StreamlitTab, sign_in  # noqa: E402
from floor_server import ServerProcesses, serve  # noqa: E402

from crm import live  # noqa: E402
from crm.db import create_crm_engine  # noqa: E402
from crm.models import Base  # noqa: E402

SESSIONS = Base.metadata.tables["platform_sessions"]
DEPOSITS = Base.metadata.tables["deposit_attempts"]
LEADS = Base.metadata.tables["leads"]
PAGE_OF = {"login": ("online", "online_advanced"), "attempt": ("payment_options_log",)}
PAGE_OF["decline"] = PAGE_OF["attempt"]
RUN_LINE = re.compile(r"etl: (?:incremental|full) run \d+ in ([\d.]+) s")


@dataclass
class Event:
    kind: str  # login, attempt, decline
    key: int  # the lead id (login) or deposit id
    written: float  # time.monotonic() at commit
    seen: dict[int, float] = field(default_factory=dict)  # tab number → seconds to its row


def write_event(engine: sa.Engine, kind: str, rng: random.Random, events: list[Event]) -> Event:
    """One event in the CRM, committed, as the platform or the payment provider writes it."""
    now = datetime.now(timezone.utc)
    # A writer takes SQLite's write lock at BEGIN: a deferred one that upgrades fails at once.
    with (
        engine.connect().execution_options(sqlite_begin="IMMEDIATE") as connection,
        connection.begin(),
    ):
        top = connection.execute(sa.select(sa.func.max(LEADS.c.id))).scalar_one()
        lead_id = rng.randint(1, top)
        if kind == "login":
            connection.execute(
                SESSIONS.insert().values(
                    lead_id=lead_id, login_at=now, last_seen_at=now, device="web", updated_at=now
                )
            )
            key = lead_id
        elif kind == "attempt":
            key = connection.execute(
                DEPOSITS.insert()
                .values(
                    lead_id=lead_id,
                    amount=100,
                    currency="USD",
                    amount_usd=100,
                    method="card",
                    provider="BenchPay",
                    status="pending",
                    created_at=now,
                    updated_at=now,
                )
                .returning(DEPOSITS.c.id)
            ).scalar_one()
        else:
            key = next(event.key for event in reversed(events) if event.kind == "attempt")
            connection.execute(
                DEPOSITS.update()
                .where(DEPOSITS.c.id == key)
                .values(
                    status="declined",
                    decline_reason="insufficient_funds",
                    decided_at=now,
                    updated_at=now,
                )
            )
    return Event(kind, key, time.monotonic())


def look(tab_number: int, page: str, tables, events: list[Event]) -> None:
    """Note every event this refresh's rows show for the first time on this tab."""
    now = time.monotonic()
    leads, statuses = set(), {}
    for table in tables:
        names = table.column_names
        if "deposit_id" in names and "status" in names:
            ids, states = table["deposit_id"].to_pylist(), table["status"].to_pylist()
            statuses.update(zip(ids, states, strict=True))
        elif "lead_id" in names:
            leads.update(table["lead_id"].to_pylist())
    for event in events:
        if page not in PAGE_OF[event.kind] or tab_number in event.seen:
            continue
        shown = (
            event.key in leads
            if event.kind == "login"
            else event.key in statuses
            and (event.kind == "attempt" or statuses[event.key] == "declined")
        )
        if shown:
            event.seen[tab_number] = now - event.written


async def watch(number, url, account, page, events, stop, failures, refreshes) -> None:
    tab = StreamlitTab(url)
    try:
        await tab.open()
        await sign_in(tab, account["email"], account["password"])
        await tab.open_page(page)
        while not stop.is_set():
            await asyncio.sleep(min(tab.fragments.values(), default=3.0))
            run = await tab.refresh_fragment(keep_tables=True)
            refreshes.append(run.seconds)
            if run.exceptions:  # a broken fragment's run still "finishes successfully"
                failures.append(f"tab {number} ({page}): the refresh showed an exception")
            look(number, page, run.tables, events)
    except (FloorError, OSError) as error:
        failures.append(f"tab {number} ({page}): {error}")
    finally:
        await tab.close()


async def play(args, url: str, server: ServerProcesses, etl: ServerProcesses | None) -> dict:
    accounts = json.loads(Path(args.accounts).read_text())["managers"]
    engine = create_crm_engine()
    events: list[Event] = []
    failures: list[str] = []
    refreshes: list[float] = []  # each refresh's seconds, click to script_finished
    stop = asyncio.Event()
    tasks = []
    for number in range(args.watchers):
        page = LIVE_PAGES[number % len(LIVE_PAGES)]
        account = accounts[number % len(accounts)]
        tasks.append(
            asyncio.create_task(
                watch(number, url, account, page, events, stop, failures, refreshes)
            )
        )
        await asyncio.sleep(1 / args.sign_in_rate)
    await asyncio.sleep(15)  # everyone parked
    before, etl_before = server.sample(), etl.sample() if etl else None
    refreshes.clear()
    started = time.monotonic()
    rng = random.Random(7)
    kinds = ("login", "attempt", "decline")
    while time.monotonic() - started < args.minutes * 60:
        kind = kinds[len(events) % len(kinds)]
        events.append(await asyncio.to_thread(write_event, engine, kind, rng, events))
        await asyncio.sleep(args.event_every)
    await asyncio.sleep(args.event_every * 3)  # the last events' refreshes
    window = time.monotonic() - started
    after, etl_after = server.sample(), etl.sample() if etl else None
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    watching = {
        kind: sum(1 for n in range(args.watchers) if LIVE_PAGES[n % 3] in PAGE_OF[kind])
        for kind in kinds
    }
    result = {"events": len(events), "failures": failures[:5], "tabs_failed": len(failures)}
    for kind in kinds:
        seconds = [s for event in events if event.kind == kind for s in event.seen.values()]
        expected = sum(watching[kind] for event in events if event.kind == kind)
        result[kind] = {
            "seen": len(seconds),
            "expected": expected,
            "p50": round(statistics.median(seconds), 2) if seconds else None,
            "p95": round(percentile(seconds, 0.95), 2) if seconds else None,
            "max": round(max(seconds), 2) if seconds else None,
        }
    every = [s for event in events for s in event.seen.values()]
    result["all"] = {
        "p50": round(statistics.median(every), 2) if every else None,
        "p95": round(percentile(every, 0.95), 2) if every else None,
    }
    result["server_cpu_share"] = round((after.cpu_s - before.cpu_s) / window, 3)
    result["refreshes"] = {
        "count": len(refreshes),
        "per_second": round(len(refreshes) / window, 2),
        "p50": round(statistics.median(refreshes), 2) if refreshes else None,
        "cpu_s_each": round((after.cpu_s - before.cpu_s) / len(refreshes), 3)
        if refreshes
        else None,
    }
    if etl:
        result["etl_cpu_share"] = round((etl_after.cpu_s - etl_before.cpu_s) / window, 3)
    result["live_read_ms"] = live_read_ms(engine)
    result["online_now"] = live.online_leads(engine, datetime.now(timezone.utc)).num_rows
    engine.dispose()
    return result


def live_read_ms(engine: sa.Engine) -> dict:
    """Each live read's own time at the CRM (median of 10): what one tick costs the server."""
    since = datetime.now(timezone.utc) - timedelta(seconds=90)  # an ETL run ago, and margin
    times = {"online": [], "payments_since": []}
    for _ in range(10):
        for name, read in (
            ("online", lambda: live.online_leads(engine, datetime.now(timezone.utc))),
            ("payments_since", lambda: live.payments_since(engine, since)),
        ):
            started = time.perf_counter()
            read()
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: round(statistics.median(values), 1) for name, values in times.items()}


def background(command: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *command], cwd=REPO, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", default=str(REPO / "data" / "floor-accounts.json"))
    parser.add_argument("--watchers", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--event-every", type=float, default=2.0)
    parser.add_argument("--etl-every", type=float, default=30, help="0: no ETL beside")
    parser.add_argument("--simulate-rate", type=float, default=2, help="0: no simulator")
    parser.add_argument("--sign-in-rate", type=float, default=0.5)
    parser.add_argument("--label", default="run")
    args = parser.parse_args()
    helpers, etl = [], None
    logs = REPO / "data"
    try:
        if args.etl_every:
            command = ["-m", "etl", "watch", "--every", str(args.etl_every)]
            helpers.append(background(command, logs / f"live-{args.label}-etl.log"))
            etl = ServerProcesses([helpers[-1].pid])
        if args.simulate_rate:
            command = ["-m", "crm", "simulate", "--rate", str(args.simulate_rate)]
            helpers.append(background(command, logs / f"live-{args.label}-simulate.log"))
        with serve(None, [], log_name=f"live-{args.label}") as (url, server):
            result = asyncio.run(play(args, url, server, etl))
    finally:
        for helper in helpers:
            helper.terminate()
            helper.wait(30)
    runs = (
        [
            float(match.group(1))
            for match in RUN_LINE.finditer((logs / f"live-{args.label}-etl.log").read_text())
        ]
        if args.etl_every
        else []
    )
    if runs:
        result["etl_runs"] = {
            "count": len(runs),
            "median_s": statistics.median(runs),
            "max_s": max(runs),
        }
    result["command"] = " ".join(["python", "bench/live.py", *sys.argv[1:]])
    result["machine_load"] = [round(value, 1) for value in os.getloadavg()]
    print(json.dumps(result, indent=1))
    out = REPO / "bench" / "results" / f"live-{args.label}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
