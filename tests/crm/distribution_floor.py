"""A small floor for the distribution tests: a lead manager and AMs with shifts, written by hand.

NOW is Tuesday 2026-03-10 12:00 UTC (14:00 in Nicosia, 12:00 in London).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from crm import actions
from crm.actions import distribution as dist
from crm.distribution.availability import Shift
from crm.models import Base

T = Base.metadata.tables
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
WEEK_9_TO_18 = [Shift(day, 9 * 60, 18 * 60) for day in range(7)]


def add_staff(engine, name, role="account_manager", zone="UTC", active=True, desk="conversion"):
    stamp = NOW - timedelta(days=30)
    with engine.begin() as connection:
        return connection.execute(
            T["staff"].insert().returning(T["staff"].c.id),
            {
                "name": name,
                "email": f"{name.lower()}@starboard.test",
                "role": role,
                "desk": desk if role == "account_manager" else None,
                "time_zone": zone,
                "is_active": active,
                "created_at": stamp,
                "updated_at": stamp,
            },
        ).scalar_one()


def person(number: int, country="CY", language="en", at=NOW, **extra) -> dict:
    return {
        "first_name": f"Lead{number}",
        "last_name": "Test",
        "email": f"lead{number}@example.com",
        "phone": f"+3579900{number:04d}",
        "country": country,
        "time_zone": "Asia/Nicosia",
        "language": language,
        "source": "google",
        "registered_at": at,
        **extra,
    }


def register(engine, people, now=NOW, action_id=None):
    return actions.register_leads(
        engine, people, action_id=action_id or actions.new_action_id(), actor_id=None, now=now
    )


def rule(engine, name, pool, manager=None, on=True, **options):
    dist.save_rule(
        engine,
        actor_id=manager,
        action_id=actions.new_action_id(),
        name=name,
        pool=pool,
        now=NOW,
        **options,
    )
    if on:
        dist.switch_rule(
            engine,
            actor_id=manager,
            action_id=actions.new_action_id(),
            name=name,
            on=True,
            now=NOW,
        )


def shifts(engine, am_id, week=WEEK_9_TO_18):
    dist.set_shifts(
        engine,
        actor_id=None,
        action_id=actions.new_action_id(),
        am_id=am_id,
        shifts=week,
        now=NOW,
    )


def owners(engine) -> dict[int, int | None]:
    with engine.connect() as connection:
        return dict(connection.execute(sa.select(T["leads"].c.id, T["leads"].c.am_id)).all())


def auto_assignments(engine) -> list:
    a = T["assignments"]
    with engine.connect() as connection:
        return connection.execute(
            sa.select(a.c.lead_id, a.c.to_am_id, a.c.reason, a.c.note, a.c.by_id)
            .where(a.c.reason == "auto")
            .order_by(a.c.lead_id)
        ).all()


def waiting(engine) -> dict[int, str]:
    w = T["distribution_waiting"]
    with engine.connect() as connection:
        return dict(connection.execute(sa.select(w.c.lead_id, w.c.reason)).all())
