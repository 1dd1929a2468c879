"""What each ``python -m crm`` command does; argument parsing lives in ``__main__``."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone

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


def init(args: argparse.Namespace) -> int:
    engine = create_crm_engine()
    check_reachable(engine)
    before, head = schema_revisions(engine)
    if before == head:
        print(f"CRM ({describe(engine)}) is up to date at migration {head}.")
        return 0
    alembic_command.upgrade(alembic_config(engine), "head")
    print(f"CRM ({describe(engine)}) upgraded from {before or 'empty'} to migration {head}.")
    return 0


def demo(args: argparse.Namespace) -> int:
    engine = create_crm_engine()
    require_current_schema(engine)
    until = parse_utc(args.until) if args.until else None
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
    return 0


def simulate(args: argparse.Namespace) -> int:
    engine = create_crm_engine()
    require_current_schema(engine)
    if not count_leads(engine):
        raise UserError("the CRM has no leads to simulate: run `python -m crm demo` first.")
    from crm.demo.simulate import run_simulation

    run_simulation(engine, rate=args.rate, seed=args.seed, seconds=args.seconds, tick=args.tick)
    return 0


def status(args: argparse.Namespace) -> int:
    engine = create_crm_engine()
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
    engine = create_crm_engine()
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
    except ValueError:
        raise UserError(
            f"--until {text!r} is not a time: give an ISO time like 2026-11-26T18:00:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
