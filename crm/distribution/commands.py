"""What each ``python -m crm distribution`` action does."""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from crm.actions import distribution as dist
from crm.actions import new_action_id
from crm.db import create_crm_engine, require_current_schema
from crm.distribution.availability import WEEKDAYS, Shift, parse_clock
from crm.distribution.decide import WAIT_WORDS, wait_words
from crm.distribution.occasions import read_runs
from crm.distribution.rules import load_rules
from crm.errors import UserError
from crm.models import AmLeave, AmShift, DistributionWaiting, Lead, Staff

ACTIONS = {}


def run(args: argparse.Namespace) -> int:
    engine = create_crm_engine(create=False)
    require_current_schema(engine)
    return ACTIONS[args.distribution_command](engine, args)


def action(name):
    def register(function):
        ACTIONS[name] = function
        return function

    return register


@action("rules")
def rules(engine, args) -> int:
    with engine.connect() as connection:
        found = load_rules(connection)
        names = _names(connection)
    if not found:
        print("no rules: add one with `python -m crm distribution add-rule`.")
    for rule in found:
        pool = ", ".join(f"{names.get(m.am_id, m.am_id)}×{m.weight}" for m in rule.members)
        caps = []
        if rule.daily_cap:
            caps.append(f"{rule.daily_cap} a day")
        if rule.open_cap:
            caps.append(f"{rule.open_cap} open")
        print(
            f"{rule.position}. {rule.name} [{'on' if rule.is_active else 'off'}] "
            f"{rule.describe()} → {pool}"
            + (f"; caps {', '.join(caps)}" if caps else "")
            + ("; stars" if rule.star else "")
        )
    return 0


@action("add-rule")
def add_rule(engine, args) -> int:
    pool = {}
    for item in args.pool:
        email, _, weight = item.partition(":")
        try:
            pool[_staff_id(engine, email)] = int(weight) if weight else 1
        except ValueError:
            raise UserError(f"--pool {item}: the weight after ':' is not a whole number.") from None
    segment = {
        column: _listed(getattr(args, option))
        for column, option in (
            ("desks", "desk"),
            ("countries", "country"),
            ("languages", "language"),
            ("sources", "source"),
            ("affiliates", "affiliate"),
            ("campaigns", "campaign"),
        )
        if getattr(args, option)
    }
    result = dist.save_rule(
        engine,
        actor_id=None,
        action_id=new_action_id(),
        name=args.name,
        pool=pool,
        segment=segment,
        hours=_hours(args.hours) if args.hours else None,
        deposit_status=args.deposit_status,
        daily_cap=args.daily_cap,
        open_cap=args.open_cap,
        star=args.star,
        position=args.position,
    )
    print(result.message)
    return 0


@action("remove-rule")
def remove_rule(engine, args) -> int:
    print(
        dist.remove_rule(engine, actor_id=None, action_id=new_action_id(), name=args.name).message
    )
    return 0


@action("switch")
def switch(engine, args) -> int:
    result = dist.switch_rule(
        engine, actor_id=None, action_id=new_action_id(), name=args.name, on=args.state == "on"
    )
    print(result.message)
    return 0


@action("set-shifts")
def set_shifts(engine, args) -> int:
    week = [shift for text in args.shifts for shift in parse_shifts(text)]
    result = dist.set_shifts(
        engine,
        actor_id=None,
        action_id=new_action_id(),
        am_id=_staff_id(engine, args.email),
        shifts=week,
    )
    print(result.message)
    return 0


@action("shifts")
def show_shifts(engine, args) -> int:
    shifts, leave = AmShift.__table__, AmLeave.__table__
    with engine.connect() as connection:
        names = _names(connection)
        zones = dict(connection.execute(sa.select(Staff.id, Staff.time_zone)).all())
        week: dict[int, list[str]] = {}
        for row in connection.execute(
            sa.select(shifts).order_by(shifts.c.am_id, shifts.c.weekday, shifts.c.start_minute)
        ):
            week.setdefault(row.am_id, []).append(
                Shift(row.weekday, row.start_minute, row.end_minute).text()
            )
        for row in connection.execute(sa.select(leave).order_by(leave.c.first_day)):
            week.setdefault(row.am_id, []).append(f"leave {row.first_day} to {row.last_day}")
    if not week:
        print("no shifts: set them with `python -m crm distribution set-shifts`.")
    for am_id, lines in week.items():
        print(f"{names.get(am_id, am_id)} ({zones.get(am_id)}): {', '.join(lines)}")
    return 0


@action("leave")
def leave(engine, args) -> int:
    result = dist.add_leave(
        engine,
        actor_id=None,
        action_id=new_action_id(),
        am_id=_staff_id(engine, args.email),
        first=_day(args.first),
        last=_day(args.last),
    )
    print(result.message)
    return 0


@action("cancel-leave")
def cancel_leave(engine, args) -> int:
    am_id, day = _staff_id(engine, args.email), _day(args.day)
    leave = AmLeave.__table__
    with engine.connect() as connection:
        leave_id = connection.scalar(
            sa.select(leave.c.id).where(
                leave.c.am_id == am_id, leave.c.first_day <= day, leave.c.last_day >= day
            )
        )
    if leave_id is None:
        raise UserError(
            f"{args.email} has no leave on {day}: see `python -m crm distribution shifts`."
        )
    result = dist.cancel_leave(engine, actor_id=None, action_id=new_action_id(), leave_id=leave_id)
    print(result.message)
    return 0


@action("run-backlog")
def run_backlog(engine, args) -> int:
    if not args.every > 0:
        raise UserError("--every must be a positive number of seconds.")
    said = None
    while True:
        try:
            message = dist.run_backlog(
                engine, actor_id=None, action_id=new_action_id(), include_new=args.include_new
            ).message
        except sa.exc.OperationalError as error:
            if not args.watch:
                raise
            # A busy or restarting database: the watcher (beside ./start's other parts) waits
            # for the next round rather than stopping them all.
            message = f"the CRM did not answer ({str(error.orig).strip().splitlines()[0]})"
        # Watching, a line only when there is news: not "nothing to distribute" every minute.
        if message != said or not args.watch:
            print(message, flush=True)
            said = message
        if not args.watch:
            return 0
        time.sleep(args.every)


@action("waiting")
def show_waiting(engine, args) -> int:
    w = DistributionWaiting.__table__
    leads = Lead.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(w, leads.c.desk)
            .join(leads, leads.c.id == w.c.lead_id)
            .order_by(w.c.registered_at, w.c.lead_id)
            .limit(1000)
        ).all()
    if not rows:
        print("no lead is waiting.")
    now = datetime.now(timezone.utc)
    for row in rows:
        minutes = int((now - row.since).total_seconds() // 60)
        why = f"{row.occasion}; " if row.occasion else ""
        words = wait_words(row.reason, row.desk)
        print(f"lead {row.lead_id}: {why}{words} (waiting {minutes:,} min)")
    return 0


@action("runs")
def runs(engine, args) -> int:
    with engine.connect() as connection:
        now = read_runs(connection)
    if args.returning is None and args.days is None and args.failed_deposits is None:
        print(f"the rules also run for: {now.text()}.")
        return 0
    result = dist.set_runs(
        engine,
        actor_id=None,
        action_id=new_action_id(),
        returning=now.returning if args.returning is None else args.returning == "on",
        returning_days=now.returning_days if args.days is None else args.days,
        failed_deposits=(
            now.failed_deposits if args.failed_deposits is None else args.failed_deposits == "on"
        ),
    )
    print(result.message)
    return 0


@action("replay")
def replay(engine, args) -> int:
    from crm.distribution.replay import replay_period

    start, last = _day(args.start), _day(args.end)
    if last < start:
        raise UserError(f"--to {last} is before --from {start}.")
    begin = datetime.combine(start, datetime.min.time(), tzinfo=timezone.utc)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc)
    with engine.connect() as connection:
        chosen = load_rules(connection)
        if args.rule:
            unknown = sorted(set(args.rule) - {rule.name for rule in chosen})
            if unknown:
                raise UserError(f"there is no rule {', '.join(unknown)}.")
            chosen = [rule for rule in chosen if rule.name in args.rule]
        if not chosen:
            raise UserError(
                "no rule to replay: add one with `python -m crm distribution add-rule`."
            )
        result = replay_period(connection, chosen, begin, end)
    print(f"replay {start} to {last} (UTC), {len(chosen)} rules; nothing written.")
    print(f"{'AM':<30} {'would receive':>14} {'really received':>16}")
    for am_id in sorted(
        set(result.would_receive) | set(result.really_received),
        key=lambda a: -result.would_receive[a],
    ):
        name = result.names.get(am_id, str(am_id))
        print(f"{name:<30} {result.would_receive[am_id]:>14,} {result.really_received[am_id]:>16,}")
    for reason, count in sorted(result.waiting.items()):
        print(f"waiting at the end, {WAIT_WORDS[reason]}: {count:,}")
    return 0


# Input -----------------------------------------------------------------------------------------


def parse_shifts(text: str) -> list[Shift]:
    """``Mon-Fri 09:00-18:00`` or ``Sat 10:00-14:00`` as shifts, one per day."""
    days, _, hours = text.strip().partition(" ")
    first, _, last = days.partition("-")
    start, _, end = hours.strip().partition("-")
    try:
        first_day = WEEKDAYS.index(first.title())
        last_day = WEEKDAYS.index(last.title()) if last else first_day
        start_minute, end_minute = parse_clock(start), parse_clock(end)
    except ValueError:
        raise UserError(
            f'{text!r} is not a shift: write days and hours like "Mon-Fri 09:00-18:00".'
        ) from None
    span = (
        range(first_day, last_day + 1)
        if last_day >= first_day
        else [*range(first_day, 7), *range(0, last_day + 1)]
    )
    return [Shift(day, start_minute, end_minute) for day in span]


def _hours(text: str) -> tuple[int, int]:
    start, _, end = text.partition("-")
    if not (start.strip().isdigit() and end.strip().isdigit()):
        raise UserError(f"--hours {text!r}: write the UTC hours like 8-20.")
    return int(start), int(end)


def _listed(text: str) -> list[str]:
    return [value.strip() for value in text.split(",") if value.strip()]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{text!r} is not a day: write it like 2026-03-10.") from None


def _staff_id(engine, email: str) -> int:
    with engine.connect() as connection:
        staff_id = connection.scalar(sa.select(Staff.id).where(Staff.email == email.strip()))
    if staff_id is None:
        raise UserError(f"there is no staff member with the email {email!r}.")
    return staff_id


def _names(connection) -> dict[int, str]:
    return dict(connection.execute(sa.select(Staff.id, Staff.name)).all())
