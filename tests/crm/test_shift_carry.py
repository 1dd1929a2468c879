"""End of shift keeps missed work (issue 22, item 5): missed callbacks carried over, the plan per
AM, and a run for one team or one AM, on SQLite and PostgreSQL. The manager closes Tuesday
10 March 2026 at 18:00 UTC (London, GMT); calling hours 09:00-20:00; every lead in London.

| lead              | AM  | callback (UTC)   | starred | calls                | plan      |
| ----------------- | --- | ---------------- | ------- | -------------------- | --------- |
| Missed            | Ana | Tue 10 11:00     | no      | none                 | carried   |
| CalledBefore      | Ana | Tue 10 11:00     | no      | Tue 10 10:00 (before)| carried   |
| CarriedYesterday  | Ana | Sun 8 10:00      | yes     | none                 | carried   |
| Called            | Ana | Tue 10 11:00     | no      | Tue 10 11:05         | -         |
| LongAgo           | Ana | Sun 8 10:00      | no      | none                 | - (>1 day)|
| Due               | Ana | Wed 11 10:00     | no      | none                 | star      |
| Today             | Ana | -                | yes     | none                 | unstar    |
| MissedOrphan      | Ivo | Tue 10 11:00     | no      | none                 | skipped   |
| IvoStarred        | Ivo | -                | yes     | none                 | unstar    |

Ana is in team "North"; Ivo (who left) has no team.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from crm import actions
from crm.shift import plan_end_of_shift
from tests.crm.test_shift import DAY, LONDON, L, T, build, first_names, utc

NOW = utc(3, 10, 18)
LEADS = [
    L("Missed", "Europe/London", utc(3, 10, 11)),
    L("CalledBefore", "Europe/London", utc(3, 10, 11)),
    L("CarriedYesterday", "Europe/London", utc(3, 8, 10), starred_at=utc(3, 9, 18)),
    L("Called", "Europe/London", utc(3, 10, 11)),
    L("LongAgo", "Europe/London", utc(3, 8, 10)),
    L("Due", "Europe/London", utc(3, 11, 10)),
    L("Today", "Europe/London", None, starred_at=utc(3, 10, 9)),
    L("MissedOrphan", "Europe/London", utc(3, 10, 11), am="ivo"),
    L("IvoStarred", "Europe/London", None, am="ivo", starred_at=utc(3, 10, 9)),
]


def floor(engine: sa.Engine) -> tuple[dict[str, int], dict[str, int]]:
    """The leads above with their calls; Ana in team North. (lead ids, staff ids)."""
    ids = build(engine, LEADS)
    with engine.begin() as connection:
        staff = dict(connection.execute(sa.select(T["staff"].c.email, T["staff"].c.id)).all())
        people = {key: staff[f"{key}@broker.example"] for key in ("ana", "ivo", "mia")}
        team = connection.execute(
            T["teams"].insert().returning(T["teams"].c.id),
            {"name": "North", "desk": "conversion", "created_at": NOW, "updated_at": NOW},
        ).scalar_one()
        connection.execute(
            T["staff"].update().where(T["staff"].c.id == people["ana"]).values(team_id=team)
        )
        people["north"] = team
        for lead, at in (("CalledBefore", utc(3, 10, 10)), ("Called", utc(3, 10, 11, 5))):
            connection.execute(
                T["calls"].insert(),
                {
                    "lead_id": ids[lead], "am_id": people["ana"], "started_at": at,
                    "duration_s": 0, "outcome": "no_answer", "created_at": at, "updated_at": at,
                },
            )  # fmt: skip
    return ids, people


def plan(engine, now=NOW, **scope):
    with engine.connect() as connection:
        return plan_end_of_shift(connection, LONDON, now, DAY, **scope)


def test_missed_callbacks_are_carried_over_and_the_plan_is_broken_down_per_am(crm_engine):
    floor(crm_engine)
    shift = plan(crm_engine)
    assert first_names(shift.carried) == ["CarriedYesterday", "Missed", "CalledBefore"]
    assert first_names(shift.star) == ["Due"]
    assert first_names(shift.unstar) == ["Today", "IvoStarred"]
    assert [(first_names([lead])[0], reason) for lead, reason in shift.skipped] == [
        (
            "MissedOrphan",
            "its callback was missed, but its AM Ivo Petrov is inactive: assign it to an active AM",
        )
    ]
    assert shift.per_am() == [("Ana Silva", 1, 1, 3), ("Ivo Petrov", 1, 0, 0)]


def test_applying_the_plan_stars_the_missed_callbacks_again(crm_engine):
    ids, people = floor(crm_engine)
    shift = plan(crm_engine)
    result = actions.end_of_shift(
        crm_engine, actor_id=people["mia"], action_id="eos", plan=shift, now=NOW
    )
    assert result.message == (
        "end of shift: 2 leads unstarred, 1 lead starred, 3 missed callbacks carried over."
    )
    with crm_engine.connect() as connection:
        starred = set(
            connection.scalars(sa.select(T["leads"].c.id).where(T["leads"].c.is_starred)).all()
        )
    assert starred == {ids[name] for name in ("Missed", "CalledBefore", "CarriedYesterday", "Due")}
    # A day later, nobody having called, the carried leads are carried again (they are
    # starred), and Due's callback (Wed 11 10:00) was missed too.
    tomorrow = plan(crm_engine, now=NOW + timedelta(days=1))
    assert first_names(tomorrow.carried) == ["CarriedYesterday", "Missed", "CalledBefore", "Due"]


def test_end_of_shift_for_one_team_or_one_am(crm_engine):
    _, people = floor(crm_engine)
    north = plan(crm_engine, team_id=people["north"], scope="team North")
    assert north.scope == "team North"
    assert north.per_am() == [("Ana Silva", 1, 1, 3)]
    assert north.skipped == []
    ivo = plan(crm_engine, am_id=people["ivo"])
    assert first_names(ivo.unstar) == ["IvoStarred"]
    assert first_names(ivo.star) == [] and first_names(ivo.carried) == []
    assert [first_names([lead])[0] for lead, _ in ivo.skipped] == ["MissedOrphan"]
