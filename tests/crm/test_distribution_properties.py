"""Property tests of the distribution decisions (issue 25) over random pools, weights, caps and
shift schedules, on the decision function the live hook and the replay share."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from crm.distribution.availability import Calendar, Shift
from crm.distribution.decide import Person
from crm.distribution.replay import replay_leads
from crm.distribution.rules import Member, Rule

MONDAY = datetime(2026, 3, 9, 0, 0, tzinfo=timezone.utc)
ALWAYS = tuple(Shift(day, 0, 1440) for day in range(7))


def a_rule(weights, daily_cap=None, open_cap=None) -> Rule:
    return Rule(
        id=1,
        name="Pool",
        position=1,
        is_active=True,
        segment={},
        hour_from=None,
        hour_until=None,
        deposit_status=None,
        daily_cap=daily_cap,
        open_cap=open_cap,
        star=False,
        members=tuple(Member(am_id, w) for am_id, w in weights.items()),
    )


def people(ids, calendars=None, inactive=()) -> dict[int, Person]:
    calendars = calendars or {}
    return {
        am_id: Person(
            am_id,
            f"AM{am_id}",
            "account_manager",
            "conversion",
            am_id not in inactive,
            calendars.get(am_id, Calendar("UTC", ALWAYS)),
        )
        for am_id in ids
    }


def leads(count, start=MONDAY + timedelta(hours=10), every=timedelta(minutes=1)):
    return [
        {"id": n + 1, "desk": "conversion", "registered_at": start + n * every, "ftd_at": None}
        for n in range(count)
    ]


def final(decisions):
    return {d.lead_id: d for d in decisions}


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 9), st.integers(1, 200))
def test_equal_weights_give_counts_within_one(size, count):
    pool = {am_id: 1 for am_id in range(1, size + 1)}
    decided = final(replay_leads(leads(count), [a_rule(pool)], people(pool)))
    counts = Counter(d.am_id for d in decided.values())
    assert sum(counts.values()) == count
    assert max(counts[a] for a in pool) - min(counts[a] for a in pool) <= 1


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.integers(1, 12), st.integers(1, 10), min_size=1, max_size=7),
    st.integers(1, 300),
)
def test_weights_give_shares_within_one_lead_of_their_proportion(pool, count):
    decisions = replay_leads(leads(count), [a_rule(pool)], people(pool))
    total = sum(pool.values())
    counts: Counter = Counter()
    # After every lead, not only at the end: any prefix of the day is fair.
    for n, decision in enumerate(decisions, start=1):
        counts[decision.am_id] += 1
        for am_id, weight in pool.items():
            assert abs(counts[am_id] - n * weight / total) < 1


def decided_at(decisions, regs) -> list[datetime]:
    """When each decision was made: at the registration whose lead closes its batch."""
    moments, remaining = [], iter(regs)
    current = next(remaining)
    for decision in decisions:
        moments.append(current["registered_at"])
        if decision.lead_id == current["id"]:
            current = next(remaining, current)
    return moments


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.integers(1, 8), st.integers(1, 5), min_size=1, max_size=6),
    st.integers(1, 6),
    st.integers(1, 120),
)
def test_caps_are_never_exceeded(pool, daily_cap, count):
    # Two days of registrations every 25 minutes: each AM's day starts afresh at midnight.
    regs = leads(count, start=MONDAY, every=timedelta(minutes=25))
    decisions = replay_leads(regs, [a_rule(pool, daily_cap=daily_cap)], people(pool))
    per_day: Counter = Counter()
    for decision, moment in zip(decisions, decided_at(decisions, regs), strict=True):
        if decision.am_id is None:
            assert decision.waiting == "all_at_cap"
            # Waiting only when every AM has had their cap that day.
            assert all(per_day[(a, moment.date())] == daily_cap for a in pool)
        else:
            per_day[(decision.am_id, moment.date())] += 1
            assert per_day[(decision.am_id, moment.date())] <= daily_cap


shift_strategy = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 23), st.integers(1, 12)), max_size=5
)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.integers(1, 6), shift_strategy, min_size=1, max_size=5),
    st.sets(st.integers(1, 6), max_size=2),
    st.integers(1, 150),
)
def test_nobody_off_shift_or_inactive_receives_and_waiting_leads_go_when_someone_comes(
    schedule, inactive, count
):
    calendars = {
        am_id: Calendar(
            "UTC",
            tuple(
                Shift(day, hour * 60, min(1440, (hour + length) * 60)) for day, hour, length in week
            ),
        )
        for am_id, week in schedule.items()
    }
    pool = dict.fromkeys(schedule, 1)
    crew = people(pool, calendars, inactive)
    # A registration every 40 minutes over three days and a half.
    regs = leads(count, start=MONDAY, every=timedelta(minutes=40))
    decisions = replay_leads(regs, [a_rule(pool)], crew)
    for decision, moment in zip(decisions, decided_at(decisions, regs), strict=True):
        if decision.am_id is not None:
            assert decision.am_id not in inactive
            assert calendars[decision.am_id].shift_end(moment) is not None
        else:
            assert decision.waiting == "nobody_on_shift"
            # Nobody could have taken it then.
            assert all(
                am_id in inactive or calendars[am_id].shift_end(moment) is None for am_id in pool
            )
    # A lead that waited was assigned at the first later registration with someone on shift,
    # and before any lead registered after it.
    decided = final(decisions)
    assigned_order = [d.lead_id for d in decisions if d.am_id is not None]
    assert assigned_order == sorted(assigned_order)
    for lead in regs:
        if decided[lead["id"]].am_id is None:
            later = [r for r in regs if r["registered_at"] >= lead["registered_at"]]
            assert all(
                all(
                    a in inactive or calendars[a].shift_end(r["registered_at"]) is None
                    for a in pool
                )
                for r in later
            )


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.integers(1, 8), st.integers(1, 5), min_size=1, max_size=6),
    st.integers(1, 4),
    st.lists(st.one_of(st.none(), st.integers(1, 600)), min_size=1, max_size=100),
)
def test_open_caps_are_never_exceeded(pool, open_cap, deposit_after):
    """A registration every 10 minutes; some leads deposit minutes later (``deposit_after``),
    which frees a place under the open cap from then on."""
    regs = [
        {
            "id": n + 1,
            "desk": "conversion",
            "registered_at": (at := MONDAY + timedelta(minutes=10 * n)),
            "ftd_at": None if minutes is None else at + timedelta(minutes=minutes),
        }
        for n, minutes in enumerate(deposit_after)
    ]
    deposited = {lead["id"]: lead["ftd_at"] for lead in regs}
    decisions = replay_leads(regs, [a_rule(pool, open_cap=open_cap)], people(pool))
    held: dict[int, list] = {am_id: [] for am_id in pool}  # the FTD times of each AM's leads
    for decision, moment in zip(decisions, decided_at(decisions, regs), strict=True):
        open_now = {
            am_id: sum(ftd is None or ftd > moment for ftd in ftds) for am_id, ftds in held.items()
        }
        if decision.am_id is None:
            assert decision.waiting == "all_at_cap"
            assert all(open_now[am_id] >= open_cap for am_id in pool)
        else:
            assert open_now[decision.am_id] < open_cap
            held[decision.am_id].append(deposited[decision.lead_id])
