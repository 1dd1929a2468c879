"""``python -m crm``: set up, fill and run the CRM from the command line."""

from __future__ import annotations

import argparse
import math
import sys

from crm.errors import UserError


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number: give 1 or more")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


# The longest pause a loop takes between two rounds (etl watch --every, simulate --tick,
# send-emails --every, ./start --etl-every): a day. Longer is a mistake, and time.sleep
# refuses pauses of centuries.
MAX_PAUSE_S = 86_400
# A floor many times busier than any real one (the benchmarks simulate 50 events a second).
MAX_EVENTS_PER_S = 10_000
# The demo's bounds: ten years of history, ten times the brokerage scale of the benchmarks.
MAX_DEMO_DAYS = 3_650
MAX_DEMO_LEADS = 10_000_000


def _at_most(value: float, most: float, unit: str) -> float:
    if value > most:
        raise argparse.ArgumentTypeError(f"{value:g} is more than {most:,} {unit}")
    return value


def pause_seconds(text: str) -> float:
    return _at_most(positive_float(text), MAX_PAUSE_S, "seconds (a day)")


def events_per_second(text: str) -> float:
    return _at_most(positive_float(text), MAX_EVENTS_PER_S, "events a second")


def demo_days(text: str) -> int:
    return int(_at_most(positive_int(text), MAX_DEMO_DAYS, "days (ten years)"))


def demo_leads(text: str) -> int:
    return int(_at_most(positive_int(text), MAX_DEMO_LEADS, "leads"))


# Checked by crm.staff against crm.models.ROLES; not imported here, so that --help answers at once.
ROLE_HELP = "admin, sales_manager, lead_manager, account_manager or executive"


class OneLineParser(argparse.ArgumentParser):
    """Argument mistakes answer in one line that says how to get help, not a usage dump."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m crm",
        description="Starboard's CRM. The database is CRM_DATABASE_URL "
        "(default: the SQLite file data/crm.sqlite).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("init", help="create the CRM schema or upgrade it to this version")

    demo = commands.add_parser("demo", help="fill an empty CRM with a demo brokerage")
    demo.add_argument("--leads", type=demo_leads, default=50_000, help="how many leads (50000)")
    demo.add_argument("--days", type=demo_days, default=90, help="days of history (90)")
    demo.add_argument("--seed", type=int, default=7, help="same seed, same brokerage (7)")
    demo.add_argument(
        "--until",
        metavar="UTC_TIME",
        help="end of the history, ISO time in UTC (default: now); fix it to reproduce a demo",
    )
    demo.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing (and succeed) when the CRM already has leads",
    )

    simulate = commands.add_parser("simulate", help="keep the demo brokerage alive in real time")
    simulate.add_argument(
        "--rate",
        type=events_per_second,
        default=2.0,
        help="events a second on average: registrations, logins, logouts, deposit attempts "
        "and, with --via-api, calls (without it the AMs on shift make the calls) (2)",
    )
    simulate.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    simulate.add_argument(
        "--seconds", type=positive_float, default=None, help="stop after this long (default: never)"
    )
    simulate.add_argument(
        "--tick", type=pause_seconds, default=1.0, help="seconds between writes (1)"
    )
    simulate.add_argument(
        "--via-api",
        action="store_true",
        help="send the events through the ingest API (python -m api) instead of writing them",
    )
    simulate.add_argument(
        "--api-url",
        default=None,
        help="with --via-api: the API's address (http://127.0.0.1:STARBOARD_API_PORT or 8502)",
    )

    commands.add_parser("status", help="say where the CRM is, its migration and what it holds")

    staff = commands.add_parser(
        "staff",
        help="manage the staff accounts that sign in to the dashboard",
        description="Staff accounts. A password is never an argument: it is asked for on the "
        "terminal, or read as one line from stdin with --password-stdin.",
    )
    staff_commands = staff.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    staff_commands.add_parser("list", help="every account, its role and whether it can sign in")
    # No abbreviations: --password must not be taken for --password-stdin.
    add = staff_commands.add_parser(
        "add", help="add an account (with a password)", allow_abbrev=False
    )
    add.add_argument("--name", required=True, help="the person's full name")
    add.add_argument("--email", required=True, help="their work email: what they sign in with")
    add.add_argument("--role", required=True, help=ROLE_HELP)
    add.add_argument("--desk", help="an account manager's desk: conversion or retention")
    add.add_argument("--team", metavar="TEAM_NAME", help="an account manager's team")
    add.add_argument(
        "--time-zone",
        help="IANA name, e.g. Europe/London (none: times in the person's browser's zone)",
    )
    add.add_argument(
        "--no-password", action="store_true", help="add without a password (cannot sign in yet)"
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    password = staff_commands.add_parser(
        "set-password", help="set or reset a password", allow_abbrev=False
    )
    password.add_argument("email", help="the account's email")
    password.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    role = staff_commands.add_parser("set-role", help="give an account another role")
    role.add_argument("email", help="the account's email")
    role.add_argument("role", help=ROLE_HELP)
    role.add_argument("--desk", help="an account manager's desk: conversion or retention")
    role.add_argument("--team", metavar="TEAM_NAME", help="an account manager's team")
    for name, words in (("deactivate", "end"), ("activate", "restore")):
        toggle = staff_commands.add_parser(name, help=f"{words} an account's access")
        toggle.add_argument("email", help="the account's email")

    commands.add_parser(
        "demo-passwords",
        help="set new passwords for the demo's sign-in accounts and print them (demo CRM only)",
    )

    _ingest_parsers(commands)

    from crm.distribution.cli import add_parsers as distribution_parsers

    distribution_parsers(commands)

    send = commands.add_parser(
        "send-emails",
        help="deliver the queued mail over SMTP (SMTP_HOST, SMTP_PORT, SMTP_TLS, ...)",
        description="Deliver the outbox over SMTP, set by SMTP_HOST (localhost), SMTP_PORT "
        "(1025; 587 with starttls, 465 with tls), SMTP_TLS (none, starttls or tls), SMTP_USER "
        "and SMTP_PASSWORD (no login), SMTP_FROM, SMTP_TIMEOUT (30 s), SMTP_CA_FILE.",
    )
    send.add_argument("--watch", action="store_true", help="keep delivering until stopped (Ctrl-C)")
    send.add_argument(
        "--every",
        type=pause_seconds,
        default=None,
        metavar="SECONDS",
        help="with --watch: seconds between rounds (30)",
    )
    send.add_argument(
        "--max-attempts",
        type=positive_int,
        default=8,
        help="tries per message before it is marked failed (8); waits double from 1 minute",
    )
    return parser


def _ingest_parsers(commands) -> None:
    """integrations, inbox, import: data in from the brokerage's systems (issue 24)."""
    integrations = commands.add_parser(
        "integrations",
        help="the systems allowed to send data in through the ingest API (python -m api)",
        description="Each integration gets an API key (and, for a PSP or dialer, a webhook "
        "signing secret), printed once and never again.",
    )
    actions = integrations.add_subparsers(
        dest="integrations_command", required=True, metavar="ACTION"
    )
    actions.add_parser("list", help="every integration, its kind and whether its key works")
    add = actions.add_parser("add", help="add an integration and print its key once")
    add.add_argument("--name", required=True, help="the system's name, e.g. Website or Stripe")
    add.add_argument("--kind", required=True, help="website, affiliate, platform, psp or dialer")
    add.add_argument(
        "--rate",
        type=positive_int,
        default=50,
        help="requests a second it may send, on average (50)",
    )
    for name, words in (
        ("rotate", "give it a new key (the old one stops working)"),
        ("revoke", "stop its key working"),
    ):
        action = actions.add_parser(name, help=words)
        action.add_argument("name", help="the integration's name")
    extension = actions.add_parser(
        "set-extension", help="an AM's extension on the dialer, which names them in its calls"
    )
    extension.add_argument("email", help="the AM's work email")
    extension.add_argument("extension", help="the extension ('-' clears it)")
    actions.add_parser("unmapped-codes", help="decline codes kept verbatim, to map in README")

    inbox = commands.add_parser("inbox", help="events waiting for their lead to arrive")
    inbox_actions = inbox.add_subparsers(dest="inbox_command", required=True, metavar="ACTION")
    inbox_actions.add_parser("list", help="the waiting events, oldest first, with the reason")
    inbox_actions.add_parser("retry", help="apply every waiting event whose lead is here now")
    dismiss = inbox_actions.add_parser("dismiss", help="resolve a waiting event without it")
    dismiss.add_argument("inbox_id", type=positive_int, help="its id, as `inbox list` shows")

    load = commands.add_parser(
        "import",
        help="import leads, deposits or calls from a CSV or Excel file",
        description="Import a file through the same checks as the ingest API. Nothing is "
        "written unless the whole import succeeds; --all-or-nothing also refuses it for one "
        "bad row. --dry-run writes nothing and reports what the import would do.",
    )
    load.add_argument("kind", choices=("leads", "deposits", "calls"), help="what the file holds")
    load.add_argument("file", help="a .csv or .xlsx file, its first row the column names")
    load.add_argument(
        "--source",
        help="the leads' source, or the deposits' provider, when the file has no such column",
    )
    load.add_argument(
        "--mapping",
        metavar="FILE.toml",
        help='which column is which field: [columns] field = "Column name"',
    )
    load.add_argument("--dry-run", action="store_true", help="check only; write nothing")
    load.add_argument(
        "--all-or-nothing", action="store_true", help="write nothing if any row is invalid"
    )
    load.add_argument(
        "--report",
        metavar="FILE.csv",
        help="write the report of every row (outcome and reason) to this file",
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stopped.", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    # Imported here so that `--help` and argument errors answer at once.
    from crm import commands

    if args.command == "distribution":
        from crm.distribution.commands import run as distribution

        return distribution(args)
    if args.command in ("integrations", "inbox", "import"):
        from crm.ingest import commands as ingest_commands

        return getattr(ingest_commands, args.command.replace("import", "import_file"))(args)
    return getattr(commands, args.command.replace("-", "_"))(args)


if __name__ == "__main__":
    sys.exit(main())
