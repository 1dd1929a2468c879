"""The small brokerage the simulator's tests run on (test_simulate*.py), and ticks on a fixed
clock: a team, two active AMs, one who left, a manager, and a dozen leads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import sqlalchemy as sa

from crm.demo import reference as ref
from crm.demo.shifts import weekly_schedule
from crm.demo.simulate import simulate_tick
from crm.models import Base
from crm.settings import DEFAULT_WORKING_DAYS

T = Base.metadata.tables
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


# A small brokerage ---------------------------------------------------------------------------


def build_crm(engine: sa.Engine, *, leads: int = 12) -> dict:
    """A team, two active AMs, one who left, a manager; ``leads`` leads, some assigned.

    Rows go in without ids, so the database numbers them as it will the simulator's rows.
    Returns the ids by role and each lead's starting state.
    """
    day = timedelta(days=1)
    with engine.begin() as connection:
        stamp = {"created_at": START - 30 * day, "updated_at": START - 30 * day}
        connection.execute(
            T["currencies"].insert(),
            [
                {"code": code, "usd_rate": rate, "updated_at": START - 30 * day}
                for code, rate in ref.USD_RATES.items()
            ],
        )
        team = connection.execute(
            T["teams"].insert().returning(T["teams"].c.id),
            {"name": "Conversion London", "desk": "conversion", **stamp},
        ).scalar_one()

        def staff(name: str, role: str, active: bool) -> int:
            return connection.execute(
                T["staff"].insert().returning(T["staff"].c.id),
                {
                    "name": name,
                    "email": f"{name.lower()}@starboard.test",
                    "role": role,
                    "desk": "conversion",
                    "team_id": team,
                    "time_zone": "Europe/London",
                    "is_active": active,
                    **stamp,
                },
            ).scalar_one()

        manager = staff("Maria", "lead_manager", True)
        ams = [staff("Alice", "account_manager", True), staff("Bob", "account_manager", True)]
        gone = staff("Carl", "account_manager", False)
        # Alice's and Bob's weeks as the demo writes them (``crm.demo.shifts``): Monday to
        # Friday, 09:00-18:00 and 09:30-18:30 London time. The simulator reads them here.
        connection.execute(
            T["am_shifts"].insert(),
            [
                {"am_id": am, "weekday": weekday, "start_minute": s, "end_minute": e, **stamp}
                for am in ams
                for weekday, s, e in weekly_schedule(am, DEFAULT_WORKING_DAYS)
            ],
        )

        # Every 4th lead unassigned, every 6th with the AM who left; the rest with Alice or Bob.
        rows = []
        for i in range(leads):
            owner = None if i % 4 == 0 else gone if i % 6 == 1 else ams[i % 2]
            deposited = i % 3 == 0
            currency = ("USD", "EUR", "GBP", "BRL", "JPY")[i % 5]
            rows.append(
                {
                    "first_name": f"Lead{i}",
                    "last_name": "Test",
                    "email": f"lead{i}@example.com",
                    "phone": f"+4470000{i:05d}",
                    "country": "GB",
                    "time_zone": "Europe/London",
                    "language": "en",
                    "source": "organic",
                    "campaign": None,
                    "registered_at": START - (i + 1) * day,
                    "status": "converted"
                    if deposited
                    else ("new" if owner is None else "assigned"),
                    "desk": "conversion",
                    "am_id": owner,
                    "balance": Decimal("100.50") * (i + 1) if deposited else Decimal("0.00"),
                    "currency": currency,
                    "ftd_at": START - i * day if deposited else None,
                    "last_login_at": START - timedelta(hours=i + 1),
                    "version": 1 + i % 3,
                    **stamp,
                }
            )
        lead_ids = (
            connection.execute(
                T["leads"].insert().returning(T["leads"].c.id, sort_by_parameter_order=True), rows
            )
            .scalars()
            .all()
        )
        # Two clients online when the simulator starts, and one who closed the tab long ago.
        connection.execute(
            T["platform_sessions"].insert(),
            [
                {
                    "lead_id": lead_ids[1],
                    "login_at": START - timedelta(minutes=20),
                    "last_seen_at": START - timedelta(seconds=30),
                    "device": "web",
                    "updated_at": START - timedelta(seconds=30),
                },
                {
                    "lead_id": lead_ids[2],
                    "login_at": START - timedelta(minutes=3),
                    "last_seen_at": START - timedelta(seconds=5),
                    "device": "ios",
                    "updated_at": START - timedelta(seconds=5),
                },
                {
                    "lead_id": lead_ids[3],
                    "login_at": START - timedelta(hours=2),
                    "last_seen_at": START - timedelta(minutes=90),
                    "device": "android",
                    "updated_at": START - timedelta(minutes=90),
                },
            ],
        )
        # One earlier call, so that lead's later deposits are not self deposits.
        connection.execute(
            T["calls"].insert(),
            {
                "lead_id": lead_ids[5],
                "am_id": ams[1],
                "started_at": START - day,
                "duration_s": 200,
                "outcome": "connected",
                **stamp,
            },
        )
    return {
        "ams": ams,
        "gone": gone,
        "manager": manager,
        "leads": lead_ids,
        "start": {r.id: r for r in rows_of(engine, "leads")},
    }


def rows_of(engine: sa.Engine, table: str) -> list:
    with engine.connect() as connection:
        return connection.execute(sa.select(T[table]).order_by(*T[table].primary_key)).all()


def run_ticks(
    engine: sa.Engine,
    *,
    ticks: int,
    rate: float,
    seed: int = 11,
    dt: float = 1.0,
    start: datetime = START,
    **options,
):
    """``ticks`` ticks of ``dt`` seconds from ``start``, each its own transaction; the last
    time."""
    rng = np.random.default_rng(seed)
    now = start
    results = []
    connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    with connection:
        for _ in range(ticks):
            now += timedelta(seconds=dt)
            with connection.begin():
                results.append(simulate_tick(connection, rng, now, dt, rate, **options))
    return now, results
