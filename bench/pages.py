"""Benchmark: every dashboard page's first render, and every page query, on a real warehouse.

    python bench/pages.py                  # the 50,000-lead demo, built in a temporary folder
    python bench/pages.py --data DIR       # the demo built in DIR, or reused from there
    python bench/pages.py --warehouse PATH --queries-only   # e.g. the 1 M-lead warehouse

(a) Renders, for every page of ``dashboard.navigation.PAGES``. "First render" is what the first
visitor of a page waits for on a server that is already up: in a fresh process, AppTest runs
``dashboard_app.py`` once (its default page: Python's imports are then loaded, as in a running
server), then the warehouse is closed and Streamlit's caches are cleared, and the timed run is
the switch to the page: every query goes to DuckDB, which opens the snapshot file anew (the OS
file cache is warm). "Warm" is the same page run again straight after (its queries cached).
Each page gets ``--rounds`` fresh processes; the figures are medians. Target: first render < 1 s
on the 50,000-lead demo.

(b) Queries: every ``warehouse/queries/*.sql``, run on the warehouse through the pages' reader
(``warehouse.reader.Warehouse``) and timed as bench/etl_run.py times them: one untimed run, then
the median of 5. Each ``$parameter`` gets a representative value by its name (``PARAMETERS``:
days from the newest day in the marts, the first team, the AM with most leads), and a few
queries get further cases (``CASES``). A parameter without a value is reported, not guessed:
add it to ``PARAMETERS``. Target: < 100 ms warm at brokerage scale (1 M leads).

A table is printed; the results go to bench/results/pages-<leads>-leads.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crm import live  # noqa: E402
from dashboard.navigation import PAGES  # noqa: E402
from warehouse import QUERIES_DIR, warehouse_paths  # noqa: E402
from warehouse.reader import Warehouse  # noqa: E402

RENDER_TIMEOUT_S = 300
QUERY_RUNS = 5


# --- (a) renders -----------------------------------------------------------------------------


def render_in_this_process(page_file: str) -> dict:
    """Time one page's first and warm render here; what the child process prints as JSON."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from crm import staff
    from crm.db import create_crm_engine
    from dashboard import data
    from dashboard.viewer import ACTIVITY_KEY, STAFF_KEY

    app = AppTest.from_file(str(REPO / "dashboard_app.py"), default_timeout=RENDER_TIMEOUT_S)
    # Every page as an admin of the CRM (CRM_DATABASE_URL), who may open them all.
    engine = create_crm_engine()
    admins = [row.id for row in staff.staff_list(engine) if row.role == "admin" and row.is_active]
    engine.dispose()
    if admins:
        app.session_state[STAFF_KEY] = admins[0]
        app.session_state[ACTIVITY_KEY] = time.time()
    app.run()
    # Close the snapshot the warm-up opened: DuckDB would otherwise hand the open database
    # back instead of opening the file again.
    data._warehouse(str(warehouse_paths().link)).close()
    st.cache_data.clear()
    st.cache_resource.clear()
    app.switch_page(f"pages/{page_file}")
    started = time.perf_counter()
    app.run()
    first = time.perf_counter() - started
    started = time.perf_counter()
    app.run()
    warm = time.perf_counter() - started
    return {
        "first_s": first,
        "warm_s": warm,
        "title": app.title[0].value if len(app.title) else None,
        "exceptions": [exception.message for exception in app.exception],
    }


def render_page(page_file: str, env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--render-one", page_file],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=RENDER_TIMEOUT_S,
    )
    if done.returncode:
        raise SystemExit(f"rendering {page_file} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def page_renders(
    env: dict[str, str], rounds: int, only: list[str] | None = None
) -> dict[str, dict]:
    results = {}
    for spec in PAGES:
        if only and spec.file not in only:
            continue
        runs = [render_page(spec.file, env) for _ in range(rounds)]
        results[spec.title] = {
            "file": spec.file,
            "first_render_s": round(statistics.median(run["first_s"] for run in runs), 3),
            "first_render_max_s": round(max(run["first_s"] for run in runs), 3),
            "warm_render_s": round(statistics.median(run["warm_s"] for run in runs), 3),
            "shown_title": runs[-1]["title"],
            "exceptions": runs[-1]["exceptions"],
        }
        print(f"  {spec.title}: {results[spec.title]['first_render_s']:.2f} s", file=sys.stderr)
    return results


# --- (b) queries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """Values of the warehouse that representative parameters are made from."""

    last_day: date | None
    newest_payment: datetime | None
    first_team_id: int | None
    busiest_am_id: int | None
    first_lead_id: int | None

    @classmethod
    def of(cls, reader: Warehouse) -> Reference:
        def one(sql: str):
            return reader.sql(sql).to_pylist()[0]["value"]

        return cls(
            last_day=one("select max(day) as value from mart_agent_daily"),
            newest_payment=one("select max(created_at) as value from mart_payments"),
            first_team_id=one("select min(team_id) as value from dim_teams"),
            busiest_am_id=one(
                "select am_id as value from mart_lead_priority where am_id is not null "
                "group by am_id order by count(*) desc, am_id limit 1"
            ),
            first_lead_id=one(
                "select lead_id as value from mart_lead_priority "
                "order by priority_score desc, lead_id limit 1"
            ),
        )


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


# A parameter's value by its name, as a page's default view would give it. `None` means "all"
# (all teams, all desks, any AM), which is what the pages open with.
PARAMETERS: dict[str, Callable[[Reference], object]] = {
    "first_day": lambda ref: ref.last_day - timedelta(days=29),
    "last_day": lambda ref: ref.last_day,
    "day": lambda ref: ref.last_day,
    "since": lambda ref: ref.newest_payment - timedelta(days=1),
    "until": lambda ref: ref.newest_payment,
    "team_id": lambda ref: None,
    "am_id": lambda ref: None,
    "desk": lambda ref: None,
    "lead_id": lambda ref: ref.first_lead_id,
    "status": lambda ref: "declined",
    "limit": lambda ref: 500,
    # The moment of looking and the default calling hours, 09:00-20:00.
    "now": lambda ref: ref.newest_payment,
    "first_minute": lambda ref: 9 * 60,
    "end_minute": lambda ref: 20 * 60,
    "search": lambda ref: None,
    "new_leads": lambda ref: False,
    "open_only": lambda ref: False,
    "view": lambda ref: "recent",
    "days": lambda ref: 7,
    "kind": lambda ref: "self",
    "method": lambda ref: None,
    "owner_id": lambda ref: None,
    "unowned": lambda ref: False,
    "priorities": lambda ref: ["urgent", "high", "normal", "low"],
    "oldest_first": lambda ref: False,
    "lead_ids": lambda ref: [ref.first_lead_id],
    # "Who is behind today": the reporting day's first moment, and those of the same weekday in
    # the 4 weeks before (the typical day).
    "day_start": lambda ref: midnight(ref.last_day),
    "before": lambda ref: tuple(midnight(ref.last_day - timedelta(weeks=n)) for n in range(1, 5)),
}

# Further cases of one query, beside the default one: narrower or heavier filters a page offers.
CASES: dict[str, dict[str, Callable[[Reference], dict]]] = {
    "agents_in_range": {
        "today, one team": lambda ref: {
            "first_day": ref.last_day,
            "team_id": ref.first_team_id,
        },
    },
    "sales_totals": {
        "today, one team": lambda ref: {
            "first_day": ref.last_day,
            "team_id": ref.first_team_id,
        },
    },
    "kpa_days": {"8 weeks": lambda ref: {"first_day": ref.last_day - timedelta(days=55)}},
    "leads_report": {
        "one team": lambda ref: {"team_id": ref.first_team_id},
        "the busiest AM": lambda ref: {"am_id": ref.busiest_am_id},
        "new leads": lambda ref: {"new_leads": True},
        "name search": lambda ref: {"search": "ana"},
    },
    "leads_last_logged_in": {
        "old conversion, 30 days": lambda ref: {"view": "old_conversion", "days": 30},
        "retention": lambda ref: {"view": "retention"},
    },
    "new_deposits": {"owned": lambda ref: {"kind": "owned"}},
    "am_today": {"one team": lambda ref: {"team_id": ref.first_team_id}},
    "calls_by_hour": {"one team": lambda ref: {"team_id": ref.first_team_id}},
    "failed_deposits": {"open only": lambda ref: {"open_only": True}},
}


def parameter_names(sql: str) -> list[str]:
    """The ``$name`` parameters of a query, in order of appearance, comments left out."""
    code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return list(dict.fromkeys(re.findall(r"\$([A-Za-z_]\w*)", code)))


def time_query(reader: Warehouse, name: str, params: dict) -> float:
    """Milliseconds, warm: one untimed run, then the median of ``QUERY_RUNS``."""
    reader.query(name, tables=live.no_live_rows(), **params)
    runs = []
    for _ in range(QUERY_RUNS):
        started = time.perf_counter()
        reader.query(name, tables=live.no_live_rows(), **params)
        runs.append(time.perf_counter() - started)
    return round(statistics.median(runs) * 1000, 1)


def query_timings(warehouse: Path) -> dict[str, float | str]:
    """Every page query on ``warehouse``, warm, in ms (or why it was not measured)."""
    reader = Warehouse(warehouse_paths(warehouse))
    try:
        ref = Reference.of(reader)
        timings: dict[str, float | str] = {}
        for path in sorted(QUERIES_DIR.glob("*.sql")):
            name = path.stem
            names = parameter_names(path.read_text())
            missing = [p for p in names if p not in PARAMETERS]
            if missing:
                timings[name] = f"not measured: no value for ${', $'.join(missing)} in PARAMETERS"
                continue
            default = {p: PARAMETERS[p](ref) for p in names}
            timings[name] = time_query(reader, name, default)
            for label, overrides in CASES.get(name, {}).items():
                timings[f"{name} ({label})"] = time_query(reader, name, default | overrides(ref))
        return timings
    finally:
        reader.close()


# --- the data set ----------------------------------------------------------------------------


def build_demo(folder: Path, leads: int) -> dict[str, str]:
    """The demo CRM and its warehouse in ``folder`` (reused when already there): the env."""
    env = {
        **os.environ,
        "CRM_DATABASE_URL": f"sqlite:///{folder / 'crm.sqlite'}",
        "WAREHOUSE_PATH": str(folder / "warehouse.duckdb"),
    }
    steps = [("crm", "init"), ("crm", "demo", "--if-empty", "--leads", str(leads)), ("etl", "run")]
    for step in steps:
        print(f"python -m {' '.join(step)} ...", file=sys.stderr)
        done = subprocess.run(
            [sys.executable, "-m", *step], cwd=REPO, env=env, capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"python -m {' '.join(step)} failed:\n{done.stderr}")
    return env


def lead_count(warehouse: Path) -> int:
    reader = Warehouse(warehouse_paths(warehouse))
    try:
        return reader.sql("select count(*) as n from mart_lead_priority").to_pylist()[0]["n"]
    finally:
        reader.close()


def print_table(result: dict) -> None:
    if "renders" in result:
        print(f"\n{'page':<24} {'first render':>13} {'(max)':>7} {'warm':>7}")
        for title, row in result["renders"].items():
            note = "" if not row["exceptions"] else "  EXCEPTION: " + row["exceptions"][0]
            if row["shown_title"] != title:
                note += f"  (shows the title {row['shown_title']!r})"
            print(
                f"{title:<24} {row['first_render_s']:>11.2f} s {row['first_render_max_s']:>5.2f} s"
                f" {row['warm_render_s']:>5.2f} s{note}"
            )
    print(f"\n{'query':<44} {'warm ms':>8}")
    for label, value in result["queries_warm_ms"].items():
        print(f"{label:<44} {value:>8}" if isinstance(value, float) else f"{label:<44} {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="folder to build the demo in, or reuse it from")
    parser.add_argument("--leads", type=int, default=50_000, help="leads in the demo (50000)")
    parser.add_argument("--warehouse", type=Path, help="measure this warehouse instead")
    parser.add_argument("--queries-only", action="store_true", help="skip the page renders")
    parser.add_argument("--rounds", type=int, default=3, help="processes per page render (3)")
    parser.add_argument(
        "--page", action="append", metavar="PAGE_FILE", help="render only this page (repeatable)"
    )
    parser.add_argument("--render-one", metavar="PAGE_FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.render_one:
        print(json.dumps(render_in_this_process(args.render_one)))
        return

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        if args.warehouse:
            env = {**os.environ, "WAREHOUSE_PATH": str(args.warehouse.absolute())}
        else:
            folder = args.data or Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            env = build_demo(folder.absolute(), args.leads)
        warehouse = Path(env["WAREHOUSE_PATH"])
        result = {
            "benchmark": "pages",
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{platform.node()} {os.cpu_count()} cores {platform.machine()}",
            "warehouse": str(warehouse),
            "leads": lead_count(warehouse),
        }
        if not args.queries_only:
            print("rendering every page ...", file=sys.stderr)
            result["render_rounds"] = args.rounds
            result["renders"] = page_renders(env, args.rounds, args.page)
        result["queries_warm_ms"] = query_timings(warehouse)
    result["load_average_before_after"] = [
        [round(x, 1) for x in load_before],
        [round(x, 1) for x in os.getloadavg()],
    ]
    print_table(result)
    print(f"\nload average (1, 5, 15 min) before: {load_before}, after: {os.getloadavg()}")
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"pages-{result['leads']}-leads.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    print(f"results: {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
