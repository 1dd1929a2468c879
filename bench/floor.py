"""Benchmark: the sales floor against a running dashboard, without browsers.

    python bench/floor.py accounts          # once per bench CRM: passwords for the floor
    python bench/floor.py --serve --managers 30 --ams 300 --live 20 --minutes 10
    python bench/floor.py --url http://127.0.0.1:PORT --server-pid PID --managers 10 --minutes 3
    python bench/floor.py --serve --per-page --views 12  # CPU-seconds per view, page by page
    flock /work/wt/bench.lock bench/floor_1m.sh  # the floor at 1 M leads, ./start --workers 2

Each simulated person is one tab (``bench/floor_client.py``: Streamlit's own websocket protocol,
no browser): a manager opens a page of their sidebar every ``--manager-every`` s (20), an AM
clicks on My leads every ``--am-every`` s (60), each with ±50 % jitter; ``--live`` tabs park on
Online, Online advanced and the Payment options log in turn and refresh when their page's
``run_every`` says, as a browser does. A click or a refresh that shows an exception, or gives
no answer within the tab's timeout, is an error (a fragment that raised still "finishes
successfully": tests/e2e/test_floor_harness.py). People sign in one after another at
``--sign-in-rate`` a second (a sign-in costs the server about 0.3 CPU-s: bench/sign_in.py);
the measured window starts once everyone is in. Click → content is the time from the click
to its run's ``script_finished``; server CPU and RSS are read from /proc of the server's
process(es).

``--serve`` starts ``streamlit run dashboard_server.py`` on a free port for the run (the CRM and
warehouse of the environment: CRM_DATABASE_URL, WAREHOUSE_PATH) and stops it after. With
``--url`` the server is yours; give its pid(s) with ``--server-pid``, or the process listening
on the URL's port is found. ``accounts`` gives every active AM and manager of a *demo* CRM a new
password (through crm/staff.py, as an admin would) and keeps them in data/floor-accounts.json:
the floor's 300 AMs share the CRM's AM accounts (the 50,000-lead demo has 45).

Results: a table on stdout and bench/results/floor-<label>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from floor_client import FloorError, StreamlitTab, sign_in  # noqa: E402
from floor_server import ServerProcesses, serve  # noqa: E402

ACCOUNTS = REPO / "data" / "floor-accounts.json"
LIVE_PAGES = ("online", "online_advanced", "payment_options_log")
NOT_CLICKED = ("staff",)  # the admin's page: not part of a manager's day


# --- accounts --------------------------------------------------------------------------------


def make_accounts(path: Path = ACCOUNTS, groups: tuple[str, ...] = ("managers", "ams")) -> dict:
    """A new password for every active AM and manager (``groups``) of the demo CRM at
    CRM_DATABASE_URL."""
    from crm import staff
    from crm.db import create_crm_engine

    engine = create_crm_engine()
    try:
        if not staff.is_demo(engine):
            raise SystemExit("error: floor accounts are made on a demo CRM only (a bench copy)")
        people = [row for row in staff.staff_list(engine) if row.is_active]
        admin = next(row.id for row in people if row.role == "admin")
        accounts: dict[str, list] = {"managers": [], "ams": []}
        for row in people:
            group = {"account_manager": "ams", "sales_manager": "managers"}.get(row.role)
            group = group or ("managers" if row.role in ("lead_manager", "admin") else None)
            if group not in groups:
                continue
            password = secrets.token_urlsafe(12)
            staff.set_password(engine, actor_id=admin, staff_id=row.id, password=password)
            accounts[group].append({"email": row.email, "password": password})
    finally:
        engine.dispose()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(accounts, indent=1))
    path.chmod(0o600)
    print(f"{len(accounts['managers'])} managers and {len(accounts['ams'])} AMs: {path}")
    return accounts


# --- the people --------------------------------------------------------------------------------


@dataclass
class Tally:
    """Click → content times and failures, per page."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    error_alerts: int = 0
    counting: bool = False

    def add(self, page: str, seconds: float, alerts: list[str]) -> None:
        if self.counting:
            self.seconds.setdefault(page, []).append(seconds)
            self.error_alerts += len(alerts)

    def fail(self, page: str, reason: str) -> None:
        if self.counting:
            self.errors.setdefault(page, []).append(reason)


@dataclass
class Person:
    kind: str  # manager, am, live
    email: str
    password: str
    every: float  # mean seconds between clicks (live: the page's own run_every)
    park_on: str = ""


async def play(person: Person, url: str, clicks: Tally, refreshes: Tally, arrived, stop) -> None:
    """One tab for the whole run: sign in, then click (or refresh) until ``stop`` is set.
    ``arrived`` gets the person (signed in) or the reason they could not sign in."""
    tab = StreamlitTab(url)
    rng = random.Random(person.email + str(id(person)))
    try:
        try:
            await tab.open()
            await sign_in(tab, person.email, person.password)
        except (FloorError, OSError) as error:
            arrived.append(f"{type(error).__name__}: {error}")
            return
        arrived.append(person)
        if person.kind == "am":
            pages = ["my_leads"]
        elif person.kind == "live":
            pages = [person.park_on]
        else:
            pages = [path for path in tab.pages if path not in NOT_CLICKED]
        await tab.open_page(pages[0])
        while not stop.is_set():
            if person.kind == "live":
                wait = min(tab.fragments.values(), default=15.0)
            else:
                wait = person.every * rng.uniform(0.5, 1.5)
            try:
                await asyncio.wait_for(stop.wait(), wait)
                break
            except TimeoutError:
                pass
            if person.kind == "live":
                if not await refresh(tab, person.park_on, refreshes):
                    await _reopen(tab, person, person.park_on)
                continue
            page = rng.choice(pages)
            try:
                run = await tab.open_page(page)
                clicks.add(page, run.seconds, run.error_alerts)
                if run.exceptions:
                    clicks.fail(page, "the page showed an exception")
            except FloorError as error:
                clicks.fail(page, str(error))
                await _reopen(tab, person, page)
    except (FloorError, OSError) as error:  # the tab could not be opened again
        clicks.fail("(reopen)", f"{type(error).__name__}: {error}")
    finally:
        await tab.close()


async def refresh(tab: StreamlitTab, page: str, refreshes: Tally) -> bool:
    """Every self-refreshing fragment of the tab's page once, as the browser reruns each when
    its ``run_every`` comes round. A refresh that shows an exception (the fragment broke; its
    run still "finishes successfully") or gives no answer within the tab's timeout is an
    error. False when the tab is no longer usable (the person reloads it)."""
    for fragment_id in list(tab.fragments) or [""]:
        try:
            run = await tab.refresh_fragment(fragment_id)
        except FloorError as error:
            refreshes.fail(page, str(error))
            return False
        refreshes.add(page, run.seconds, run.error_alerts)
        if run.exceptions:
            refreshes.fail(page, "the refresh showed an exception")
    return True


async def _reopen(tab: StreamlitTab, person: Person, page: str) -> None:
    """After a failed view, a person reloads the tab: a new session, signed in again."""
    await tab.close()
    fresh = StreamlitTab(tab.url)
    await fresh.open()
    await sign_in(fresh, person.email, person.password)
    await fresh.open_page(page)
    tab.__dict__.update(fresh.__dict__)


def floor_people(args, accounts: dict) -> list[Person]:
    managers, ams = accounts["managers"], accounts["ams"]
    people = []
    for index in range(args.managers):
        account = managers[index % len(managers)]
        people.append(Person("manager", account["email"], account["password"], args.manager_every))
    for index in range(args.ams):
        account = ams[index % len(ams)]
        people.append(Person("am", account["email"], account["password"], args.am_every))
    for index in range(args.live):
        account = managers[index % len(managers)]
        page = LIVE_PAGES[index % len(LIVE_PAGES)]
        people.append(Person("live", account["email"], account["password"], 0, park_on=page))
    # Arrivals mixed, as a floor comes in: not all managers first.
    random.Random(7).shuffle(people)
    return people


# --- the run -----------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def summary(tally: Tally, seconds: float) -> dict:
    every = [value for values in tally.seconds.values() for value in values]
    errors = sum(len(reasons) for reasons in tally.errors.values())
    pages = {}
    for page in sorted(set(tally.seconds) | set(tally.errors)):
        values = tally.seconds.get(page, [])
        pages[page] = {
            "views": len(values),
            "p50": round(statistics.median(values), 3) if values else None,
            "p95": round(percentile(values, 0.95), 3) if values else None,
            "max": round(max(values), 3) if values else None,
            "errors": len(tally.errors.get(page, [])),
            "first_error": (tally.errors.get(page) or [None])[0],
        }
    return {
        "views": len(every),
        "per_second": round(len(every) / seconds, 2) if seconds else 0,
        "p50": round(statistics.median(every), 3) if every else None,
        "p95": round(percentile(every, 0.95), 3) if every else None,
        "max": round(max(every), 3) if every else None,
        "errors": errors,
        "error_alerts": tally.error_alerts,
        "pages": pages,
    }


async def run_floor(args, url: str, server: ServerProcesses, accounts: dict) -> dict:
    people = floor_people(args, accounts)
    clicks, refreshes = Tally(), Tally()
    arrived: list = []  # a Person signed in, or why not
    stop = asyncio.Event()
    tasks = []
    ramp_started = time.monotonic()
    for index, person in enumerate(people):
        tasks.append(asyncio.create_task(play(person, url, clicks, refreshes, arrived, stop)))
        # Arrivals at --sign-in-rate, but never more than a few sign-ins queued on the server.
        due = ramp_started + (index + 1) / args.sign_in_rate
        while time.monotonic() < due or len(arrived) < index + 1 - args.sign_in_queue:
            await asyncio.sleep(0.05)
        if (index + 1) % 25 == 0:
            took = time.monotonic() - ramp_started
            print(f"  {len(arrived)} of {len(people)} arrived, {took:.0f} s")
    while len(arrived) < len(people):
        await asyncio.sleep(0.2)
    ramp = time.monotonic() - ramp_started
    signed_in = [one for one in arrived if isinstance(one, Person)]
    refused = [one for one in arrived if not isinstance(one, Person)]
    await asyncio.sleep(args.settle)
    before = server.sample()
    harness_before = os.times()
    clicks.counting = refreshes.counting = True
    started = time.monotonic()
    rss_peak = before.rss_mb
    browser = None
    if args.browser:  # a real Chromium beside the floor (bench/floor_browser.py)
        browser = await asyncio.create_subprocess_exec(
            sys.executable,
            str(REPO / "bench" / "floor_browser.py"),
            "--url",
            url,
            "--accounts",
            str(args.accounts),
            stdout=asyncio.subprocess.PIPE,
        )
    while time.monotonic() - started < args.minutes * 60:
        await asyncio.sleep(min(5.0, args.minutes * 60))
        rss_peak = max(rss_peak, server.sample().rss_mb)
    clicks.counting = refreshes.counting = False
    window = time.monotonic() - started
    load = os.getloadavg()
    after = server.sample()
    harness_after = os.times()
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    browser_result = None
    if browser is not None:
        output, _ = await browser.communicate()
        lines = output.decode().strip().splitlines()
        browser_result = json.loads(lines[-1]) if lines else {"problems": ["no output"]}
    cpu = after.cpu_s - before.cpu_s
    result = {
        "sessions": {"managers": args.managers, "ams": args.ams, "live": args.live},
        "signed_in": len(signed_in),
        "sign_in_failures": len(refused),
        "first_sign_in_failure": refused[0] if refused else None,
        "sign_in_ramp_s": round(ramp, 1),
        "window_s": round(window, 1),
        "clicks": summary(clicks, window),
        "refreshes": summary(refreshes, window),
        "server_cpu_s": round(cpu, 1),
        "machine_load": [round(value, 1) for value in load],
        "server_cpu_share": round(cpu / window, 3),
        "rss_mb": {"start": before.rss_mb, "peak": rss_peak, "end": after.rss_mb},
        "browser": browser_result,
        "harness_cpu_share": round((sum(harness_after[:2]) - sum(harness_before[:2])) / window, 3),
    }
    views = result["clicks"]["views"] + result["refreshes"]["views"]
    result["server_cpu_s_per_view"] = round(cpu / views, 3) if views else None
    return result


async def run_per_page(args, url: str, server: ServerProcesses, accounts: dict) -> dict:
    """CPU-seconds per view of each page, one view at a time, beside ``--idle`` open tabs."""
    idle = [StreamlitTab(url) for _ in range(args.idle)]
    for tab in idle:
        await tab.open()
    manager, am = StreamlitTab(url), StreamlitTab(url)
    await manager.open()
    await sign_in(manager, accounts["managers"][0]["email"], accounts["managers"][0]["password"])
    await am.open()
    await sign_in(am, accounts["ams"][0]["email"], accounts["ams"][0]["password"])
    pages = {}
    plan = [(manager, path) for path in manager.pages if path not in NOT_CLICKED]
    plan.append((am, "my_leads"))
    for tab, path in plan:
        label = path if tab is manager else "my_leads (AM)"
        await tab.open_page(path)  # the first, with its queries, is not counted
        seconds, cpu = [], 0.0
        for _ in range(args.views):
            before = server.sample().cpu_s
            run = await tab.open_page(path)
            await asyncio.sleep(0.3)  # the server's work after script_finished (GC) counts too
            cpu += server.sample().cpu_s - before
            seconds.append(run.seconds)
        pages[label or "(default)"] = {
            "cpu_s_per_view": round(cpu / args.views, 3),
            "p50": round(statistics.median(seconds), 3),
        }
        print(f"  {label:28} {pages[label or '(default)']}")
    for tab in (*idle, manager, am):
        await tab.close()
    return {"idle_tabs": args.idle, "views_per_page": args.views, "pages": pages}


def print_result(result: dict) -> None:
    clicks, refreshes, rss = result["clicks"], result["refreshes"], result["rss_mb"]
    print(
        f"{result['signed_in']} signed in ({result['sign_in_ramp_s']} s ramp, "
        f"{result['sign_in_failures']} failed: {result['first_sign_in_failure']}); "
        f"{result['window_s']} s measured: {clicks['views']} page views "
        f"({clicks['per_second']}/s), "
        f"p50 {clicks['p50']} s, p95 {clicks['p95']} s, max {clicks['max']} s, "
        f"{clicks['errors']} errors, {clicks['error_alerts']} error lines; "
        f"{refreshes['views']} live refreshes (p95 {refreshes['p95']} s, "
        f"{refreshes['errors']} errors); "
        f"server {result['server_cpu_share']:.0%} of a core, "
        f"{result['server_cpu_s_per_view']} CPU-s per view or refresh, RSS "
        f"{rss['start']}→{rss['end']} MB (peak {rss['peak']}); "
        f"harness {result['harness_cpu_share']:.0%} of a core"
    )
    if result["browser"]:
        print(f"  browser: {json.dumps(result['browser'])}")
    for name, tally in (("click", clicks), ("refresh", refreshes)):
        for page, row in tally["pages"].items():
            print(
                f"  {name:7} {page:22} {row['views']:5} views  p50 {row['p50']}  p95 {row['p95']}  "
                f"max {row['max']}  errors {row['errors']}"
                + (f" ({row['first_error']})" if row["first_error"] else "")
            )


def main(argv: list[str] | None = None) -> int:
    # A SIGTERM (timeout, Ctrl-C's cousin) still stops the server this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="run", choices=("run", "accounts"))
    parser.add_argument("--url", help="a running dashboard (default: --serve)")
    parser.add_argument("--server-pid", type=int, action="append", default=[])
    parser.add_argument("--serve", action="store_true", help="start the dashboard for the run")
    parser.add_argument(
        "--app-dir", type=Path, default=REPO, help="--serve: the checkout to run (a before)"
    )
    parser.add_argument("--managers", type=int, default=30)
    parser.add_argument("--ams", type=int, default=300)
    parser.add_argument("--live", type=int, default=20)
    parser.add_argument("--manager-every", type=float, default=20.0)
    parser.add_argument("--am-every", type=float, default=60.0)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sign-in-rate", type=float, default=1.0, help="sign-ins a second")
    parser.add_argument("--sign-in-queue", type=int, default=3, help="sign-ins in flight at most")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds after the ramp")
    parser.add_argument("--browser", action="store_true", help="a real Chromium beside the floor")
    parser.add_argument("--per-page", action="store_true", help="CPU per view, page by page")
    parser.add_argument("--views", type=int, default=10, help="--per-page: views of each page")
    parser.add_argument("--idle", type=int, default=0, help="--per-page: idle tabs beside")
    parser.add_argument("--label", default=None, help="results file: floor-<label>.json")
    parser.add_argument("--accounts", type=Path, default=ACCOUNTS, help="the floor's passwords")
    parser.add_argument("--managers-only", action="store_true", help="accounts: no AM's")
    args = parser.parse_args(argv)
    if args.command == "accounts":
        make_accounts(args.accounts, ("managers",) if args.managers_only else ("managers", "ams"))
        return 0
    if not args.accounts.exists():
        raise SystemExit(f"error: no {args.accounts}: run `python bench/floor.py accounts` first")
    accounts = json.loads(args.accounts.read_text())
    label = args.label or (
        "per-page" if args.per_page else f"{args.managers}m-{args.ams}a-{args.live}l"
    )
    with serve(args.url, args.server_pid, args.app_dir, f"floor-{label}") as (url, server):
        described = asdict(server.describe())
        if args.per_page:
            result = asyncio.run(run_per_page(args, url, server, accounts))
        else:
            result = asyncio.run(run_floor(args, url, server, accounts))
            print_result(result)
    result["command"] = " ".join(["python", "bench/floor.py", *(argv or sys.argv[1:])])
    result["server"] = described
    out = REPO / "bench" / "results" / f"floor-{label}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"results: {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
