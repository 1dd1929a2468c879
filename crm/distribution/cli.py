"""``python -m crm distribution ...``: the argument parsers (light: ``--help`` answers at once)."""

from __future__ import annotations

COMMAND_HELP = "lead distribution: rules, AMs' shifts and leave, the backlog, replay"


def add_parsers(commands) -> None:
    parser = commands.add_parser(
        "distribution",
        help=COMMAND_HELP,
        description="Rules assign new leads to AMs on shift, by weighted round robin under "
        "caps. A new rule starts switched off: replay it, then switch it on.",
    )
    sub = parser.add_subparsers(dest="distribution_command", required=True, metavar="ACTION")
    sub.add_parser("rules", help="the rules in order, their pools, caps and whether on")
    add = sub.add_parser("add-rule", help="add a rule, or replace the rule of that name")
    add.add_argument("name", help="the rule's name, e.g. EU-EN")
    add.add_argument(
        "--pool",
        nargs="+",
        required=True,
        metavar="EMAIL[:WEIGHT]",
        help="the AMs and their weights (1 when left out)",
    )
    for option, words in (
        ("desk", "conversion or retention"),
        ("country", "two-letter country codes"),
        ("language", "language codes"),
        ("source", "sources"),
        ("affiliate", "affiliates"),
        ("campaign", "campaigns"),
    ):
        add.add_argument(f"--{option}", metavar="A,B", help=f"only these {words}")
    add.add_argument(
        "--hours", metavar="FROM-UNTIL", help="registered in these UTC hours, e.g. 8-20"
    )
    add.add_argument("--deposit-status", help="deposited or not_deposited")
    add.add_argument("--daily-cap", type=int, help="new leads per AM per day (their day)")
    add.add_argument("--open-cap", type=int, help="open unconverted leads per AM")
    add.add_argument("--star", action="store_true", help="star each lead for its AM now")
    add.add_argument("--position", type=int, help="where in the order (default: last)")
    remove = sub.add_parser("remove-rule", help="remove a rule and its pool")
    remove.add_argument("name")
    switch = sub.add_parser("switch", help="switch a rule on or off")
    switch.add_argument("name")
    switch.add_argument("state", choices=("on", "off"))
    week = sub.add_parser("set-shifts", help="an AM's weekly shifts, in the AM's time zone")
    week.add_argument("email", help="the AM's work email")
    week.add_argument(
        "shifts",
        nargs="*",
        metavar="DAYS HH:MM-HH:MM",
        help='e.g. "Mon-Fri 09:00-18:00" "Sat 10:00-14:00"; none: every day off',
    )
    sub.add_parser("shifts", help="every AM's week and leave")
    leave = sub.add_parser("leave", help="days an AM is away (both included)")
    leave.add_argument("email")
    leave.add_argument("first", help="first day, YYYY-MM-DD")
    leave.add_argument("last", help="last day, YYYY-MM-DD")
    cancel = sub.add_parser(
        "cancel-leave",
        help="cancel an AM's leave on a day: leave to come goes, leave under way ends "
        "yesterday (past leave stays)",
    )
    cancel.add_argument("email")
    cancel.add_argument("day", help="a day of the leave, YYYY-MM-DD")
    backlog = sub.add_parser("run-backlog", help="assign the waiting leads now")
    backlog.add_argument(
        "--include-new", action="store_true", help="also every unassigned new lead"
    )
    backlog.add_argument("--watch", action="store_true", help="keep going until stopped")
    backlog.add_argument("--every", type=float, default=60.0, help="with --watch: seconds (60)")
    sub.add_parser("waiting", help="the leads waiting for an AM, and why")
    runs = sub.add_parser(
        "runs",
        help="also run the rules for unowned leads back after N days away, or whose deposit "
        "was declined (for every rule); with no option: as set now",
    )
    runs.add_argument(
        "--returning", choices=("on", "off"), help="an unowned lead logging in after N days away"
    )
    runs.add_argument("--days", type=int, help="N: the days away that make a lead returning")
    runs.add_argument(
        "--failed-deposits", choices=("on", "off"), help="an unowned lead's declined deposit"
    )
    replay = sub.add_parser(
        "replay", help="what the rules would have done over past registrations (writes nothing)"
    )
    replay.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD (UTC)")
    replay.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD (UTC)")
    replay.add_argument(
        "--rule", action="append", help="replay only these rules (default: every rule, on or off)"
    )
