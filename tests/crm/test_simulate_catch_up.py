"""The simulator's catch-up: on start it fills the gap since the CRM's newest event (the last
week at most) at the CRM's own pace, on the small CRM of simulate_crm.py, SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from crm.demo import floor
from crm.demo.simulate import catch_up
from tests.crm.simulate_crm import START, rows_of


def test_the_catch_up_fills_the_gap_from_the_crm_s_newest_event(brokerage, capsys):
    engine, crm = brokerage
    rng = np.random.default_rng(4)
    pace = floor.Pace(registrations=0.02, logins=0.02, deposits=0.002)
    connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    with connection:
        totals = catch_up(connection, rng, START, START + timedelta(hours=6), pace)
    new = [lead for lead in rows_of(engine, "leads") if lead.registered_at > START]
    assert len(new) == totals.registrations
    # About 0.02 a second times the markets' rhythm: 430 in 6 hours on an average day.
    assert 200 < len(new) < 900
    # No hour without registrations (a tick's come at its end: 01:00 is the first hour's).
    hours = {
        (lead.registered_at - START - timedelta(seconds=1)) // timedelta(hours=1) for lead in new
    }
    assert hours == {0, 1, 2, 3, 4, 5}
    assert max(lead.registered_at for lead in new) <= START + timedelta(hours=6)
    assert totals.calls > 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "simulate: catching up the 6 h since the CRM's newest event."
    assert out[1].startswith(f"simulate: {totals.registrations} registrations")


@pytest.mark.parametrize(("ftds_per_h", "low", "high"), [(0.0, 0, 0), (2.0, 5, 20)])
def test_the_catch_up_s_ftds_come_at_the_crm_s_own_pace(brokerage, ftds_per_h, low, high):
    """Would-be FTDs come at the CRM's FTD pace, the clients' top-ups make up the other
    attempts: a share of all attempts made the catch-up's FTDs twice the history's."""
    engine, _crm = brokerage
    pace = floor.Pace(registrations=0.02, logins=0.02, deposits=0.002, ftds=ftds_per_h / 3600)
    connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    with connection:
        totals = catch_up(
            connection, np.random.default_rng(4), START, START + timedelta(hours=6), pace
        )
    # 0.002 attempts a second: about 43 in 6 hours; FTDs: 2 an hour, 12 in 6 hours (attempts
    # at 2 / 0.84 an hour, 16 % of them declined).
    assert totals.deposits > 25
    assert low <= totals.ftds <= high


def test_a_catch_up_of_more_than_a_week_lives_the_last_week_only(brokerage, capsys):
    engine, crm = brokerage
    rng = np.random.default_rng(4)
    pace = floor.Pace(registrations=0.001, logins=0.001, deposits=0.0001)
    now = START + timedelta(days=10)
    connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    with connection:
        totals = catch_up(connection, rng, START, now, pace, tick_s=3600)
    new = [lead for lead in rows_of(engine, "leads") if lead.registered_at > START]
    assert len(new) == totals.registrations > 0
    assert min(lead.registered_at for lead in new) > now - timedelta(days=7)
    assert capsys.readouterr().out.splitlines()[0] == (
        "simulate: the CRM's newest event is 10 days old; catching up the last 7 days only."
    )
