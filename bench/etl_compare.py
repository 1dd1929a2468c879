"""Benchmark: two checkouts of the ETL, interleaved, on one copy of the brokerage-scale CRM.

    flock /work/wt/bench.lock python bench/etl_compare.py OLD_CHECKOUT [NEW_CHECKOUT] \
        [--full-rounds 2] [--incremental-rounds 3]

Each checkout runs with its own ``.venv/bin/python``; NEW_CHECKOUT defaults to this one. What
one run of bench/etl_run.py cannot tell on a shared machine is whether a slower figure is the
code or the machine: here both codes run in turn, the order alternating by round, and each run
reports its CPU seconds (``wait4``) and the machine's other work meanwhile (``/proc/stat``)
besides its wall time. Every run traces its statements (``ETL_TRACE``), summed here per model.

1. ``starboard_bench`` is copied (read only) to ``etl_compare_crm``; PostgreSQL's binary COPY
   of every table to /dev/null is the full run's yardstick, measured before each round;
2. ``python -m etl run --full`` of each checkout into a warehouse of its own, per round;
3. 1 % of every table changed (as bench/etl_run.py does) in ``etl_compare_changed``;
4. ``python -m etl run`` (incremental) of each checkout, per round on a fresh copy of the
   changed CRM and of the checkout's last full warehouse.

Results: bench/results/etl_compare.json, and a table of the medians and slowest models.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.etl_extract import busy_cpu  # noqa: E402
from bench.etl_run import SERVER, change_one_percent, copy_baseline, copy_warehouse  # noqa: E402

SOURCE_DB = "starboard_bench"
CRM_DB, CHANGED_DB, RUN_DB = "etl_compare_crm", "etl_compare_changed", "etl_compare_run"
# A statement that names the model it builds: a rebuilt model, a maintained one's delta (its
# SQL opens with its header comment), or the keys of a by-key one.
MODEL = re.compile(
    r"^CREATE OR REPLACE (?:TEMP )?TABLE (?:snapshot\.main\.)?"
    r"(?P<name>(?:int|mart|changed)_\w+) AS"
    r"|^CREATE OR REPLACE TEMP TABLE delta AS (?:-- [^-]*)?-- (?P<delta>\w+):"
)
TRACED = re.compile(r"^etl: (?P<seconds>[\d.]+) s (?:(?P<cpu>[\d.]+) CPU-s )?(?P<sql>.*)$")


def copy_database(target: str, template: str) -> str:
    """``target`` made anew as a file copy of ``template``; its URL."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {target} TEMPLATE {template} STRATEGY FILE_COPY")
        admin.execute("CHECKPOINT")
    return f"{SERVER}/{target}"


def head_revision(checkout: Path) -> str:
    """The migration ``checkout`` expects: that of its last migration file."""
    last = sorted((checkout / "crm" / "migrations" / "versions").glob("0*.py"))[-1]
    return re.search(r'^revision = "(\w+)"', last.read_text(), re.MULTILINE)[1]


def stamp(url: str, revision: str) -> None:
    """Mark the CRM copy at ``url`` as being at ``revision``, so that an older checkout reads
    it (it refuses a CRM at a migration it does not know; the tables it reads are all there)."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("UPDATE alembic_version SET version_num = %s", [revision])


def drop_databases() -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        for name in (CRM_DB, CHANGED_DB, RUN_DB):
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def per_model(trace: str, measure: str = "seconds") -> dict[str, float]:
    """Seconds (``measure`` "seconds") or CPU seconds ("cpu", where the trace has them) per
    model from a run's trace: each statement counts for the last model named before it (its
    keys, its delta, the rows it replaces), or for its phase before any."""
    seconds: dict[str, float] = defaultdict(float)
    current = "(before the models)"
    for line in trace.splitlines():
        traced = TRACED.match(line)
        if not traced:
            continue
        sql = traced["sql"]
        named = MODEL.match(sql)
        if named:
            current = named["name"] or named["delta"]
        elif sql.startswith(("COMMIT", "CHECKPOINT")):
            # The models' commit writes the snapshot; after it, the run publishes.
            seconds[f"({sql.split()[0].lower()})"] += float(traced[measure] or 0)
            current = current if current.startswith("(") else "(publish)"
            continue
        elif sql.startswith(
            (
                "CREATE OR REPLACE TEMP TABLE candidates_",
                "CREATE OR REPLACE TEMP TABLE before_",
                "CREATE OR REPLACE TEMP TABLE after_",
            )
        ):
            current = "(changes of the facts)"
        seconds[current] += float(traced[measure] or 0)
    return dict(seconds)


def etl_run(checkout: Path, url: str, warehouse: Path, *args: str) -> dict:
    """One ``python -m etl run`` of ``checkout``: wall, CPU, peak memory, phases, per model."""
    stamp(url, head_revision(checkout))
    env = {
        **os.environ,
        "CRM_DATABASE_URL": url,
        "WAREHOUSE_PATH": str(warehouse),
        "ETL_TRACE": "0.000001",
        "PYTHONPATH": str(checkout),
    }
    busy_before, load_before = busy_cpu(), os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(checkout / ".venv" / "bin" / "python"), "-m", "etl", "run", *args],
        cwd=checkout,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"{checkout}: etl run {' '.join(args)} failed:\n{err[-3000:]}")
    line = out.strip().splitlines()[-1]
    in_run, published = re.search(r" in ([\d.]+) s \(published after ([\d.]+) s\)", line).groups()
    phases = dict(
        (name, float(s)) for name, s in re.findall(r"(\w+) ([\d.]+) s", line.rsplit("[", 1)[1])
    )
    return {
        "wall_s": round(wall, 2),
        "in_run_s": float(in_run),
        "published_s": float(published),
        "phases": phases,
        "machine_busy_cpu_s": round(busy_cpu() - busy_before, 1),
        "load_before": round(load_before, 1),
        "models_s": {k: round(v, 3) for k, v in per_model(err).items()},
        "models_cpu_s": {k: round(v, 3) for k, v in per_model(err, "cpu").items()},
        "line": line,
        "trace": err,
    }


class Children:
    """CPU seconds and peak memory of the children reaped since the last call."""

    def __init__(self):
        self.last = os.times()

    def cpu(self) -> float:
        now = os.times()
        spent = (now.children_user - self.last.children_user) + (
            now.children_system - self.last.children_system
        )
        self.last = now
        return round(spent, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="the checkout to compare with (its own .venv)")
    parser.add_argument("new", type=Path, nargs="?", default=REPO)
    parser.add_argument("--full-rounds", type=int, default=2)
    parser.add_argument("--incremental-rounds", type=int, default=3)
    parser.add_argument(
        "--source", default=SOURCE_DB, help="the CRM database to copy (never written)"
    )
    args = parser.parse_args()
    checkouts = {"old": args.old.resolve(), "new": args.new.resolve()}
    children = Children()
    results: dict = {"full": [], "copy_s": [], "incremental": [], "started": _now()}
    url = copy_database(CRM_DB, template=args.source)
    # Beside the warehouse (same disk), made on a fresh clone where data/ is not there yet.
    (REPO / "data").mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="etl_compare_", dir=REPO / "data"))
    try:
        kept = {}
        for round_ in range(args.full_rounds):
            results["copy_s"].append(round(copy_baseline(url), 2))
            _say(f"copy to /dev/null: {results['copy_s'][-1]} s")
            order = ("old", "new") if round_ % 2 == 0 else ("new", "old")
            for label in order:
                warehouse = scratch / f"{label}-full-{round_}" / "warehouse.duckdb"
                warehouse.parent.mkdir()
                children.cpu()
                run = etl_run(checkouts[label], url, warehouse, "--full")
                run["cpu_s"] = children.cpu()
                run.update(label=label, round=round_, copy_s=results["copy_s"][-1])
                results["full"].append(run)
                _say(_summary(run))
                if label in kept:
                    shutil.rmtree(kept[label].parent)
                kept[label] = warehouse
        changed = copy_database(CHANGED_DB, template=CRM_DB)
        results["changed_rows"] = change_one_percent(changed)
        for round_ in range(args.incremental_rounds):
            order = ("old", "new") if round_ % 2 == 0 else ("new", "old")
            for label in order:
                run_url = copy_database(RUN_DB, template=CHANGED_DB)
                warehouse = copy_warehouse(kept[label], scratch / "incremental")
                children.cpu()
                run = etl_run(checkouts[label], run_url, warehouse)
                run["cpu_s"] = children.cpu()
                run.update(label=label, round=round_)
                results["incremental"].append(run)
                _say(_summary(run))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        drop_databases()
    results["finished"] = _now()
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "etl_compare.json").write_text(json.dumps(results, indent=1))
    print(report(results))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _summary(run: dict) -> str:
    return (
        f"{run['label']} round {run['round']}: {run['in_run_s']} s in run, wall {run['wall_s']}, "
        f"CPU {run['cpu_s']} s, machine busy {run['machine_busy_cpu_s']} CPU-s, "
        f"load {run['load_before']} [{run['line'].rsplit('[', 1)[1]}"
    )


def report(results: dict) -> str:
    lines = []
    for kind in ("full", "incremental"):
        runs = results[kind]
        if not runs:
            continue
        lines.append(f"## {kind}")
        for label in ("old", "new"):
            mine = [r for r in runs if r["label"] == label]
            if not mine:
                continue
            med = statistics.median
            extra = ""
            if kind == "full":
                extra = (
                    " = " + ", ".join(f"{r['wall_s'] / r['copy_s']:.2f}x" for r in mine) + " COPY"
                )
            in_run = [r["in_run_s"] for r in mine]
            lines.append(
                f"{label}: in run {in_run} (median {med(in_run)}), "
                f"wall {[r['wall_s'] for r in mine]}{extra}, CPU {[r['cpu_s'] for r in mine]}"
            )
        models = sorted({m for r in runs for m in r["models_s"]})
        rows = []
        for model in models:
            old = statistics.median(
                r["models_s"].get(model, 0) for r in runs if r["label"] == "old"
            )
            new = statistics.median(
                r["models_s"].get(model, 0) for r in runs if r["label"] == "new"
            )
            rows.append((new - old, model, old, new))
        lines.append("model: old s -> new s (medians), biggest growth first")
        for growth, model, old, new in sorted(rows, reverse=True)[:25]:
            lines.append(f"  {model}: {old:.2f} -> {new:.2f} ({growth:+.2f})")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
