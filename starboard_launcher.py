"""What ``./start`` does: bring Starboard up on its CRM, one step after another.

The CRM is the one ``CRM_DATABASE_URL`` names, by default the embedded SQLite file
``data/crm.sqlite``. Each step is a ``python -m crm`` command a person could also run by hand, so
``./start`` shows the same messages and fails with the same one-line errors. A step that fails
stops the start with that step's exit status.

After the CRM, the warehouse: one ETL run (``python -m etl run``) brings it up to date with the
CRM, so what the CRM holds can be read there (see warehouse/README.md). The processes that run
beside each other once the dashboard exists (the dashboard, the ETL's watch loop, the
simulator) start from ``main`` after the set-up steps.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from crm.__main__ import OneLineParser, positive_int

REPO_ROOT = Path(__file__).resolve().parent


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="./start",
        description="Set up and start Starboard on the CRM that CRM_DATABASE_URL names "
        "(default: the SQLite file data/crm.sqlite). The first start fills an empty CRM with a "
        "demo brokerage.",
    )
    parser.add_argument(
        "--leads", type=positive_int, default=50_000, help="leads in the demo brokerage (50000)"
    )
    parser.add_argument("--days", type=positive_int, default=90, help="days of demo history (90)")
    parser.add_argument("--seed", type=int, default=7, help="same seed, same brokerage (7)")
    parser.add_argument(
        "--no-demo", action="store_true",
        help="never fill the CRM with demo data (for a CRM that is to hold real leads)",
    )
    return parser


def set_up_steps(args: argparse.Namespace) -> list[list[str]]:
    """The ``python -m`` commands that make the CRM and the warehouse ready, in order."""
    steps = [["crm", "init"]]
    if not args.no_demo:
        # --if-empty: a CRM that already holds leads, demo or real, is kept as it is.
        steps.append([
            "crm", "demo", "--if-empty",
            "--leads", str(args.leads), "--days", str(args.days), "--seed", str(args.seed),
        ])
    steps.append(["crm", "status"])
    steps.append(["etl", "run"])
    return steps


def run_step(arguments: list[str]) -> int:
    return subprocess.run([sys.executable, "-m", *arguments], cwd=REPO_ROOT).returncode


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        for step in set_up_steps(args):
            status = run_step(step)
            if status != 0:
                return status
    except KeyboardInterrupt:
        print("stopped.", file=sys.stderr)
        return 130
    print("Starboard's CRM and warehouse are ready.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
