"""Benchmark: the server's CPU-seconds per sign-in, step by step (issue 27, item 2).

    python bench/floor.py accounts                 # once per bench CRM: the floor's passwords
    python bench/sign_in.py --serve --sign-ins 20  # a dashboard started for the run
    python bench/sign_in.py --url http://127.0.0.1:PORT --server-pid PID

One sign-in at a time, as ``bench/floor_client.py`` plays a person (managers and AMs in turn),
the server's CPU read from /proc before and 0.3 s after each step (so its collection counts):
the sign-in page opened, the form sent (the password check and the run after it), the session
route (the cookie), and the first page opened with the cookie. The argon2 check alone is timed
here too, in this process, with the parameters the CRM's hasher uses: what a sign-in cannot go
below without weakening it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import time
from pathlib import Path

from streamlit.proto.WidgetStates_pb2 import WidgetState

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from floor_client import (  # noqa: E402
    SIGN_IN_EMAIL_KEY,
    SIGN_IN_FORM,
    SIGN_IN_PASSWORD_KEY,
    StreamlitTab,
    sign_in,
)
from floor_server import serve  # noqa: E402

ACCOUNTS = REPO / "data" / "floor-accounts.json"
STEPS = ("sign-in page", "form sent", "session route", "first page")
SETTLE = 0.3  # the server's work after a run's last message (GC) counts too


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def argon2_check_cpu(times: int = 5) -> float:
    """The median CPU-seconds of one argon2 check with the CRM's parameters."""
    from crm import auth

    stored = auth.hash_password("a password of the bench")
    spent = []
    for _ in range(times):
        before = own_cpu()
        auth._HASHER.verify(stored, "a password of the bench")
        spent.append(own_cpu() - before)
    return statistics.median(spent)


async def one_sign_in(url: str, server, person: dict) -> dict[str, float]:
    tab = StreamlitTab(url)
    spent = {}

    async def step(name, work):
        before = server.sample().cpu_s
        result = await work
        await asyncio.sleep(SETTLE)
        spent[name] = server.sample().cpu_s - before
        return result

    await step("sign-in page", tab.open())
    # floor_client.sign_in sends the form, follows the session route and opens the page again;
    # here each of those steps is timed on its own.
    tab_redirects = []

    async def send_form():
        run = await tab.rerun(
            widgets=[
                WidgetState(id=tab.widgets[SIGN_IN_EMAIL_KEY].id, string_value=person["email"]),
                WidgetState(
                    id=tab.widgets[SIGN_IN_PASSWORD_KEY].id, string_value=person["password"]
                ),
                WidgetState(id=tab.widgets[f"{SIGN_IN_FORM}.submit"].id, trigger_value=True),
            ]
        )
        if run.error_alerts or not tab.redirect:
            raise SystemExit(f"error: {person['email']} was not signed in: {run.error_alerts}")
        tab_redirects.append(tab.redirect)
        tab.redirect = None

    await step("form sent", send_form())
    status = await step("session route", asyncio.to_thread(tab.get, tab_redirects[0]))
    if status != 303:
        raise SystemExit(f"error: the session route answered {status}")
    await tab.close()
    await step("first page", tab.open())
    if all(name == "Sign in" for name in tab.page_names.values()):
        raise SystemExit(f"error: {person['email']} got no page after signing in")
    await tab.close()
    return spent


async def run(args, url: str, server, accounts: dict) -> dict:
    pairs = zip(accounts["managers"], accounts["ams"], strict=False)
    people = [person for pair in pairs for person in pair]
    # One untimed sign-in first: the server's imports and caches are not a sign-in's.
    await sign_in_once(url, people[0])
    rows = []
    started = time.monotonic()
    for index in range(args.sign_ins):
        rows.append(await one_sign_in(url, server, people[index % len(people)]))
    seconds = time.monotonic() - started
    steps = {name: round(statistics.mean(row[name] for row in rows), 3) for name in STEPS}
    return {
        "sign_ins": args.sign_ins,
        "seconds": round(seconds, 1),
        "cpu_s_per_step": steps,
        "cpu_s_per_sign_in": round(sum(steps.values()), 3),
        "cpu_s_per_sign_in_without_first_page": round(
            sum(value for name, value in steps.items() if name != "first page"), 3
        ),
        "argon2_check_cpu_s": round(argon2_check_cpu(), 3),
    }


async def sign_in_once(url: str, person: dict) -> None:
    tab = StreamlitTab(url)
    await tab.open()
    await sign_in(tab, person["email"], person["password"])
    await tab.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running dashboard (default: --serve)")
    parser.add_argument("--server-pid", type=int, action="append", default=[])
    parser.add_argument("--serve", action="store_true", help="start the dashboard for the run")
    parser.add_argument("--app-dir", type=Path, default=REPO, help="--serve: the checkout to run")
    parser.add_argument("--sign-ins", type=int, default=20)
    parser.add_argument("--accounts", type=Path, default=ACCOUNTS, help="the floor's passwords")
    parser.add_argument("--label", default="sign-in", help="results file: sign-in-<label>.json")
    args = parser.parse_args(argv)
    if not args.accounts.exists():
        raise SystemExit(f"error: no {args.accounts}: run `python bench/floor.py accounts` first")
    accounts = json.loads(args.accounts.read_text())
    with serve(args.url, args.server_pid, args.app_dir, f"sign-in-{args.label}") as (url, server):
        result = asyncio.run(run(args, url, server, accounts))
    result["command"] = " ".join(["python", "bench/sign_in.py", *(argv or sys.argv[1:])])
    print(json.dumps(result, indent=1))
    out = REPO / "bench" / "results" / f"sign-in-{args.label}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
