"""Signed-in browsers kept on the server (crm.sessions), on SQLite and PostgreSQL: a one-time
handoff code becomes the cookie's token once; only hashes are stored; a session ends when idle,
at its lifetime, at sign-out, and when its person is deactivated or given a new password.

The floor is tests/crm/actions_floor.py (Maria the lead manager, Alice the AM).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm import sessions, staff
from crm.models import SignInSession
from tests.crm.actions_floor import NOW, build_floor

IDLE = timedelta(minutes=60)
SESSIONS = SignInSession.__table__


@pytest.fixture
def floor(crm_engine):
    return crm_engine, build_floor(crm_engine)


def signed_in(engine, staff_id, at=NOW) -> str:
    code = sessions.start(engine, staff_id, "password", now=at)
    return sessions.exchange(engine, code, now=at + timedelta(seconds=2))


def test_a_code_is_traded_for_a_token_once_and_only_hashes_are_kept(floor):
    engine, ids = floor
    code = sessions.start(engine, ids["Maria"], "password", now=NOW)
    token = sessions.exchange(engine, code, now=NOW + timedelta(seconds=5))
    assert token is not None and len(token) == 43
    assert sessions.exchange(engine, code, now=NOW + timedelta(seconds=6)) is None
    with engine.connect() as connection:
        row = connection.execute(sa.select(SESSIONS)).one()
    assert row.handoff_hash is None
    assert row.token_hash == sessions.digest(token) and token not in str(tuple(row))
    resumed = sessions.resume(engine, token, idle=IDLE, now=NOW + timedelta(minutes=1))
    assert (resumed.staff_id, resumed.method, resumed.ended) == (ids["Maria"], "password", None)


def test_a_code_older_than_a_minute_is_dead(floor):
    engine, ids = floor
    code = sessions.start(engine, ids["Maria"], "password", now=NOW)
    assert sessions.exchange(engine, code, now=NOW + timedelta(seconds=61)) is None


@pytest.mark.parametrize("token", [None, "", "x" * 43, "not a token at all", "a" * 500])
def test_anything_but_a_live_token_resumes_nothing(floor, token):
    engine, _ = floor
    assert sessions.resume(engine, token, idle=IDLE, now=NOW) == sessions.Resumed()


def test_clicks_keep_a_session_alive_and_an_idle_one_ends(floor):
    engine, ids = floor
    token = signed_in(engine, ids["Maria"])
    # A click every 50 minutes for three hours keeps it on (each one moves last_seen_at).
    for minutes in range(50, 200, 50):
        at = NOW + timedelta(minutes=minutes)
        assert sessions.resume(engine, token, idle=IDLE, now=at).staff_id == ids["Maria"]
    late = NOW + timedelta(minutes=150 + 61)
    assert sessions.resume(engine, token, idle=IDLE, now=late).ended == "idle"
    # Ended stays ended, whatever comes after.
    again = sessions.resume(engine, token, idle=IDLE, now=late + timedelta(seconds=1))
    assert (again.staff_id, again.ended) == (None, "idle")


def test_a_session_ends_at_its_lifetime_however_busy(floor):
    engine, ids = floor
    token = signed_in(engine, ids["Maria"])
    at = NOW
    while at < NOW + sessions.LIFETIME - timedelta(minutes=30):
        at += timedelta(minutes=30)
        assert sessions.resume(engine, token, idle=IDLE, now=at).staff_id == ids["Maria"]
    at = NOW + sessions.LIFETIME
    assert sessions.resume(engine, token, idle=IDLE, now=at).ended == "expired"


def test_sign_out_ends_that_session_only(floor):
    engine, ids = floor
    first, second = signed_in(engine, ids["Maria"]), signed_in(engine, ids["Maria"])
    sessions.end(engine, first, now=NOW + timedelta(minutes=1))
    at = NOW + timedelta(minutes=2)
    assert sessions.resume(engine, first, idle=IDLE, now=at).ended == "signed_out"
    assert sessions.resume(engine, second, idle=IDLE, now=at).staff_id == ids["Maria"]


def test_deactivation_and_a_new_password_end_every_session_of_the_person(floor):
    engine, ids = floor
    maria, alice = signed_in(engine, ids["Maria"]), signed_in(engine, ids["Alice"])
    staff.set_active(engine, actor_id=None, command_line=True, staff_id=ids["Alice"], active=False)
    staff.set_password(
        engine, actor_id=None, command_line=True, staff_id=ids["Maria"],
        password="maria's new long password",
    )  # fmt: skip
    at = NOW + timedelta(minutes=1)
    assert sessions.resume(engine, alice, idle=IDLE, now=at).ended == "deactivated"
    assert sessions.resume(engine, maria, idle=IDLE, now=at).ended == "password_changed"
    # A code handed out but not yet traded dies with them.
    staff.set_active(engine, actor_id=None, command_line=True, staff_id=ids["Alice"], active=True)
    code = sessions.start(engine, ids["Alice"], "sso", now=at)
    staff.set_active(engine, actor_id=None, command_line=True, staff_id=ids["Alice"], active=False)
    assert sessions.exchange(engine, code, now=at) is None
