"""What each ``python -m crm`` command does; argument parsing lives in ``__main__``."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import command as alembic_command

from crm.db import (
    alembic_config,
    check_reachable,
    create_crm_engine,
    describe,
    require_current_schema,
    schema_revisions,
)
from crm.errors import UserError
from crm.models import Lead

WATCH_EVERY_S = 30.0
# A demo may end this far past the machine's clock (another machine's clock, a time zone slip).
UNTIL_AHEAD = timedelta(days=1)
EARLIEST_DEMO_DAY = datetime(1970, 1, 2, tzinfo=timezone.utc)


def init(args: argparse.Namespace) -> int:
    engine = create_crm_engine(create=True)
    check_reachable(engine)
    before, head = schema_revisions(engine)
    if before == head:
        print(f"CRM ({describe(engine)}) is up to date at migration {head}.")
        return 0
    alembic_command.upgrade(alembic_config(engine), "head")
    print(f"CRM ({describe(engine)}) upgraded from {before or 'empty'} to migration {head}.")
    return 0


def demo(args: argparse.Namespace) -> int:
    until = demo_until(args.until, args.days) if args.until else None
    engine = create_crm_engine(create=False)
    require_current_schema(engine)
    leads = count_leads(engine)
    if leads:
        if args.if_empty:
            print(f"CRM ({describe(engine)}) already holds {leads:,} leads: keeping them.")
            return 0
        raise UserError(
            f"the CRM ({describe(engine)}) already holds {leads:,} leads: the demo fills only an "
            "empty CRM. Point CRM_DATABASE_URL at a new database, or delete this one first."
        )
    # Imported only now: bad input is answered without loading the generator's heavy imports.
    from crm.demo import build_demo

    summary = build_demo(engine, leads=args.leads, days=args.days, seed=args.seed, until=until)
    print(summary)
    _print_demo_passwords(engine, "the passwords are shown only now")
    return 0


def demo_passwords(args: argparse.Namespace) -> int:
    engine = create_crm_engine(create=False)
    require_current_schema(engine)
    _print_demo_passwords(engine, "new passwords: the old ones no longer work")
    return 0


def _print_demo_passwords(engine: sa.Engine, note: str) -> None:
    from crm.staff import reset_demo_passwords

    accounts = reset_demo_passwords(engine)
    print(
        f"demo sign-in accounts ({note}; `python -m crm demo-passwords` sets new ones):",
        flush=True,
    )
    for account, password in accounts:
        print(f"  {account.role:<16} {account.email:<40} password: {password}")


def staff(args: argparse.Namespace) -> int:
    from crm import staff as accounts

    engine = create_crm_engine(create=False)
    require_current_schema(engine)
    what = args.staff_command
    if what == "list":
        for row in accounts.staff_list(engine):
            state = "active" if row.is_active else "inactive"
            can = "" if row.has_password else ", no password"
            desk = f" {row.desk}" if row.desk else ""
            team = f" ({row.team})" if row.team else ""
            print(f"{row.id:>5}  {row.email:<40} {row.role}{desk}{team}, {state}{can}: {row.name}")
        return 0
    if what == "add":
        # The role and zone are checked before the password is asked for.
        accounts.check_role(args.role, args.desk)
        accounts.check_time_zone(args.time_zone)
        password = None if args.no_password else read_password(args.password_stdin)
        result = accounts.add_staff(
            engine,
            actor_id=None,
            command_line=True,
            name=args.name,
            email=args.email,
            role=args.role,
            desk=args.desk,
            team_id=_team_id(engine, args.team),
            time_zone=args.time_zone,
            password=password,
        )
    elif what == "set-password":
        staff_id = accounts.staff_id_of(engine, args.email)
        result = accounts.set_password(
            engine,
            actor_id=None,
            command_line=True,
            staff_id=staff_id,
            password=read_password(args.password_stdin),
        )
    elif what == "set-role":
        result = accounts.set_role(
            engine,
            actor_id=None,
            command_line=True,
            staff_id=accounts.staff_id_of(engine, args.email),
            role=args.role,
            desk=args.desk,
            team_id=_team_id(engine, args.team),
        )
    else:
        result = accounts.set_active(
            engine,
            actor_id=None,
            command_line=True,
            staff_id=accounts.staff_id_of(engine, args.email),
            active=what == "activate",
        )
    print(result.message)
    return 0


def read_password(from_stdin: bool) -> str:
    """A password from stdin's first line (``--password-stdin``), else asked twice on the
    terminal; never from the command line, where it would sit in the shell's history."""
    import getpass
    import sys

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UserError("--password-stdin read no password: pipe one line holding it.")
        return password
    if not sys.stdin.isatty():
        raise UserError("no terminal to ask the password on: pipe it in with --password-stdin.")
    password = getpass.getpass("password: ")
    if getpass.getpass("again: ") != password:
        raise UserError("the two passwords differ: nothing was changed; try again.")
    return password


def _team_id(engine: sa.Engine, name: str | None) -> int | None:
    if name is None:
        return None
    from crm.models import Team

    with engine.connect() as connection:
        team_id = connection.scalar(sa.select(Team.id).where(Team.name == name))
    if team_id is None:
        raise UserError(f"there is no team {name!r}: give a team's name as the CRM spells it.")
    return team_id


def simulate(args: argparse.Namespace) -> int:
    engine = create_crm_engine(create=False)
    require_current_schema(engine)
    if not count_leads(engine):
        raise UserError("the CRM has no leads to simulate: run `python -m crm demo` first.")
    if args.via_api:
        import os

        from crm.demo.simulate_api import run_via_api

        port = os.environ.get("STARBOARD_API_PORT", "").strip() or "8502"
        url = args.api_url or f"http://127.0.0.1:{port}"
        run_via_api(
            engine,
            api_url=url,
            rate=args.rate,
            seed=args.seed,
            seconds=args.seconds,
            tick=args.tick,
        )
        return 0
    from crm.demo.simulate import run_simulation

    run_simulation(engine, rate=args.rate, seed=args.seed, seconds=args.seconds, tick=args.tick)
    return 0


def status(args: argparse.Namespace) -> int:
    engine = create_crm_engine(create=False)
    check_reachable(engine)
    current, head = schema_revisions(engine)
    print(f"CRM: {describe(engine)}")
    print(f"migration: {current or 'none'} (this code: {head})")
    if current == head:
        print(f"leads: {count_leads(engine):,}")
    return 0


def send_emails(args: argparse.Namespace) -> int:
    from crm.email.delivery import RetryPolicy, SmtpSettings, run_sender

    if args.every is not None and not args.watch:
        raise UserError("--every is the pause between rounds of --watch: add --watch, or drop it")
    # The settings are checked before the database: a typo answers at once, wherever the CRM is.
    settings = SmtpSettings.from_environment()
    engine = create_crm_engine(create=False)
    require_current_schema(engine)
    policy = RetryPolicy(max_attempts=args.max_attempts)
    every = (args.every or WATCH_EVERY_S) if args.watch else None
    run_sender(engine, settings, policy, every=every)
    return 0


def count_leads(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(Lead))


def parse_utc(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # OverflowError: the year 1 east of Greenwich
        raise UserError(
            f"--until {text!r} is not a time: give an ISO time like 2026-11-26T18:00:00Z"
        ) from None


def demo_until(text: str, days: int) -> datetime:
    """The end of the demo's history: a time up to now, whose ``days`` of history begin after
    1970 (the generator counts from the Unix epoch)."""
    until = parse_utc(text)
    if until > datetime.now(timezone.utc) + UNTIL_AHEAD:
        raise UserError(
            f"--until {text} is in the future: the demo writes history, which ends at the "
            "latest now; give an earlier time, or leave --until out for now."
        )
    if until - timedelta(days=days) < EARLIEST_DEMO_DAY:
        raise UserError(
            f"--until {text} with --days {days} would begin the history before 1970: give a "
            "later time or fewer days."
        )
    return until
