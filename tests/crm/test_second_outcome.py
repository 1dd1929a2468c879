"""A second call outcome on one lead within a minute (issue 22, item 4), on SQLite and
PostgreSQL, on the floor of ``actions_floor``: 'owned' is Alice's, version 2, in Asia/Tokyo
(UTC+9). Alice logs "no answer" at 12:00:00 UTC with a callback at 10:00 Tokyo the next day
(01:00 UTC); the lead goes to version 3."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from crm import actions
from crm.actions import RecentCall
from tests.crm.actions_floor import NOW, T, build_floor, counts, lead, rows

CALLBACK = datetime(2026, 3, 11, 10, 0)  # the lead's wall clock: 01:00 UTC
CALLBACK_UTC = datetime(2026, 3, 11, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def floor(crm_engine):
    engine, ids = crm_engine, build_floor(crm_engine)
    actions.log_call(
        engine, actor_id=ids["Alice"], action_id="first", lead_id=ids["owned"], version=2,
        outcome="no_answer", callback_at=CALLBACK, now=NOW,
    )  # fmt: skip
    return engine, ids


def second(engine, ids, *, at: datetime, **extra):
    return actions.log_call(
        engine, actor_id=ids["Alice"], action_id="second", lead_id=ids["owned"], version=3,
        outcome="connected", duration_s=120, now=at, **extra,
    )  # fmt: skip


def test_a_second_outcome_within_a_minute_asks_first_and_writes_nothing(floor):
    engine, ids = floor
    (first,) = rows(engine, "calls")
    before, lead_before = counts(engine), lead(engine, ids["owned"])
    with pytest.raises(RecentCall) as raised:
        second(engine, ids, at=NOW + timedelta(seconds=2))
    assert str(raised.value) == (
        f"you logged no answer on lead {ids['owned']} 2 s ago: nothing was saved; confirm that "
        "this call replaces it, or leave the first as it is."
    )
    assert raised.value.call_id == first.id
    assert counts(engine) == before
    assert lead(engine, ids["owned"]) == lead_before
    # The callback just set is kept.
    assert lead_before.callback_at == CALLBACK_UTC


def test_a_confirmed_second_outcome_replaces_the_first(floor):
    engine, ids = floor
    (first,) = rows(engine, "calls")
    result = second(engine, ids, at=NOW + timedelta(seconds=2), replaces=first.id)
    assert result.details["replaced_call_id"] == first.id
    (call,) = rows(engine, "calls")
    assert (call.outcome, call.duration_s, call.started_at) == (
        "connected",
        120,
        NOW + timedelta(seconds=2),
    )
    row = lead(engine, ids["owned"])
    # Connected without a callback: the first call's callback goes with it.
    assert (row.status, row.callback_at, row.version) == ("contacted", None, 4)
    tombstones = rows(engine, "deleted_rows", T["deleted_rows"].c.table_name == "calls")
    assert [t.row_key for t in tombstones] == [str(first.id)]


def test_after_a_minute_a_second_outcome_is_a_new_call(floor):
    engine, ids = floor
    second(engine, ids, at=NOW + timedelta(seconds=61))
    assert [call.outcome for call in rows(engine, "calls")] == ["no_answer", "connected"]


def test_a_call_the_dialer_reported_needs_no_confirmation(crm_engine):
    ids = build_floor(crm_engine)
    with crm_engine.begin() as connection:
        connection.execute(
            T["calls"].insert(),
            {
                "lead_id": ids["owned"], "am_id": ids["Alice"], "started_at": NOW,
                "duration_s": 30, "outcome": "connected", "external_id": "dialer-1",
                "created_at": NOW, "updated_at": NOW,
            },
        )  # fmt: skip
    actions.log_call(
        crm_engine, actor_id=ids["Alice"], action_id="mine", lead_id=ids["owned"], version=2,
        outcome="connected", duration_s=30, now=NOW + timedelta(seconds=5),
    )  # fmt: skip
    assert len(rows(crm_engine, "calls")) == 2


def test_replacing_a_wrong_number_takes_back_its_unsent_mail(crm_engine):
    ids = build_floor(crm_engine)
    first = actions.log_call(
        crm_engine, actor_id=ids["Alice"], action_id="w", lead_id=ids["owned"], version=2,
        outcome="wrong_number", now=NOW,
    )  # fmt: skip
    assert len(rows(crm_engine, "email_outbox")) == 1
    actions.log_call(
        crm_engine, actor_id=ids["Alice"], action_id="c", lead_id=ids["owned"], version=3,
        outcome="connected", duration_s=60, replaces=first.details["call_id"],
        now=NOW + timedelta(seconds=20),
    )  # fmt: skip
    assert rows(crm_engine, "email_outbox") == []
    assert [call.outcome for call in rows(crm_engine, "calls")] == ["connected"]
