"""Signing in (crm.auth) on SQLite and PostgreSQL: argon2 hashes only, wrong passwords locking
the account (and the address) for the configured time while other accounts still get in, and
every attempt in the sign-in log.

The floor is tests/crm/actions_floor.py (Maria the lead manager, Alice the AM, Carl who left,
Eve the executive); passwords are set here.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm import auth, staff
from crm.errors import UserError
from crm.models import Staff
from tests.crm.actions_floor import NOW, build_floor

MARIA_PASSWORD = "maria's long secret"
ALICE_PASSWORD = "alice's long secret"
CARL_PASSWORD = "carl's long secret"
OFFICE = "203.0.113.7"
POLICY = auth.SignInPolicy(max_failures=5, max_failures_per_address=20, lock=timedelta(minutes=15))


@pytest.fixture
def floor(crm_engine):
    ids = build_floor(crm_engine)
    for name, password in (("Maria", MARIA_PASSWORD), ("Alice", ALICE_PASSWORD)):
        staff.set_password(
            crm_engine, actor_id=None, command_line=True, staff_id=ids[name], password=password
        )
    # Carl left: his password still matches, his account does not sign in.
    staff.set_password(
        crm_engine, actor_id=None, command_line=True, staff_id=ids["Carl"], password=CARL_PASSWORD
    )
    return crm_engine, ids


def sign_in(engine, email, password, *, at=NOW, address=OFFICE, policy=POLICY):
    return auth.sign_in(engine, email, password, address=address, policy=policy, now=at)


def test_only_an_argon2_hash_is_stored(floor):
    engine, ids = floor
    with engine.connect() as connection:
        stored = connection.scalar(sa.select(Staff.password_hash).where(Staff.id == ids["Maria"]))
    assert stored.startswith("$argon2id$")
    assert MARIA_PASSWORD not in stored


def test_the_right_password_signs_in_in_any_case_of_email(floor):
    engine, ids = floor
    result = sign_in(engine, "  Maria@Starboard.TEST ", MARIA_PASSWORD)
    assert (result.staff_id, result.message) == (ids["Maria"], "signed in.")
    (attempt,) = auth.attempts(engine)
    assert (attempt.email, attempt.address, attempt.staff_id, attempt.outcome, attempt.at) == (
        "maria@starboard.test", OFFICE, ids["Maria"], "signed_in", NOW,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("maria@starboard.test", "not maria's password"),
        ("nobody@starboard.test", MARIA_PASSWORD),  # no such account: the same answer
        ("bob@starboard.test", "anything at all"),  # an account without a password
        ("maria@starboard.test", "x" * 10_000),  # too long to hash: refused, still counted
    ],
)
def test_a_wrong_email_or_password_is_one_answer_and_logged(floor, email, password):
    engine, _ids = floor
    result = sign_in(engine, email, password)
    assert (result.staff_id, result.message) == (None, "wrong email or password.")
    (attempt,) = auth.attempts(engine)
    assert (attempt.email, attempt.outcome) == (email, "wrong_password")


def test_a_deactivated_account_does_not_sign_in_even_with_its_password(floor):
    engine, ids = floor
    result = sign_in(engine, "carl@starboard.test", CARL_PASSWORD)
    assert result.staff_id is None
    assert "inactive" in result.message
    assert auth.attempts(engine)[-1].outcome == "inactive"


def test_five_wrong_passwords_lock_the_account_for_the_lock_time_but_not_another(floor):
    engine, ids = floor
    for second in range(5):
        result = sign_in(
            engine, "maria@starboard.test", "guess", at=NOW + timedelta(seconds=second)
        )
    # The fifth wrong one set the lock: 15 minutes from 12:00:04, until 12:15:04.
    assert result.locked_until == NOW + timedelta(minutes=15, seconds=4)
    assert "try again in 15 minutes (after 12:15 UTC)" in result.message

    # Maria's right password is refused while the lock holds ...
    for later in (timedelta(minutes=1), timedelta(minutes=15, seconds=3)):
        locked = sign_in(engine, "maria@starboard.test", MARIA_PASSWORD, at=NOW + later)
        assert locked.staff_id is None
        assert locked.message.startswith("too many wrong sign-ins")
    # ... while Alice, from the same office, signs in with hers.
    alice = sign_in(engine, "alice@starboard.test", ALICE_PASSWORD, at=NOW + timedelta(minutes=1))
    assert alice.staff_id == ids["Alice"]

    # The lock is over at 12:15:04; refused attempts during it did not make it longer.
    after = sign_in(
        engine, "maria@starboard.test", MARIA_PASSWORD, at=NOW + timedelta(minutes=15, seconds=5)
    )
    assert after.staff_id == ids["Maria"]
    outcomes = [a.outcome for a in auth.attempts(engine, "maria@starboard.test")]
    assert outcomes == ["wrong_password"] * 5 + ["locked", "locked", "signed_in"]


def test_the_lock_time_and_count_come_from_the_environment(floor, monkeypatch):
    engine, ids = floor
    monkeypatch.setenv("STARBOARD_SIGNIN_MAX_FAILURES", "3")
    monkeypatch.setenv("STARBOARD_SIGNIN_LOCK_MINUTES", "7")
    policy = auth.SignInPolicy.from_environment()
    assert (policy.max_failures, policy.lock) == (3, timedelta(minutes=7))
    for _ in range(3):
        sign_in(engine, "maria@starboard.test", "guess", policy=policy)
    at_6_59 = NOW + timedelta(minutes=6, seconds=59)
    assert (
        sign_in(engine, "maria@starboard.test", MARIA_PASSWORD, at=at_6_59, policy=policy).staff_id
        is None
    )
    at_7_01 = NOW + timedelta(minutes=7, seconds=1)
    assert (
        sign_in(engine, "maria@starboard.test", MARIA_PASSWORD, at=at_7_01, policy=policy).staff_id
        == ids["Maria"]
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("STARBOARD_SIGNIN_LOCK_MINUTES", "soon"), ("STARBOARD_SIGNIN_MAX_FAILURES", "0")],
)
def test_a_bad_limit_in_the_environment_is_one_line(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(UserError, match=name):
        auth.SignInPolicy.from_environment()


def test_wrong_passwords_spread_over_more_than_the_lock_time_do_not_lock(floor):
    engine, ids = floor
    for minute in range(0, 50, 10):  # five wrong ones, 40 minutes from the first to the last
        sign_in(engine, "maria@starboard.test", "guess", at=NOW + timedelta(minutes=minute))
    result = sign_in(engine, "maria@starboard.test", MARIA_PASSWORD, at=NOW + timedelta(minutes=41))
    assert result.staff_id == ids["Maria"]


def test_a_right_password_ends_the_run_of_wrong_ones(floor):
    engine, ids = floor
    for _ in range(4):
        sign_in(engine, "maria@starboard.test", "guess")
    assert sign_in(engine, "maria@starboard.test", MARIA_PASSWORD).staff_id == ids["Maria"]
    for _ in range(4):
        sign_in(engine, "maria@starboard.test", "guess")
    assert sign_in(engine, "maria@starboard.test", MARIA_PASSWORD).staff_id == ids["Maria"]


def test_an_address_guessing_many_accounts_is_locked_but_other_addresses_are_not(floor):
    engine, ids = floor
    policy = auth.SignInPolicy(
        max_failures=5, max_failures_per_address=6, lock=timedelta(minutes=15)
    )
    for number in range(6):  # six accounts, one guess each: no account reaches five
        sign_in(
            engine, f"guess{number}@starboard.test", "guess", address="198.51.100.9", policy=policy
        )
    from_there = sign_in(
        engine, "alice@starboard.test", ALICE_PASSWORD, address="198.51.100.9", policy=policy
    )
    assert from_there.staff_id is None
    assert from_there.message.startswith("too many wrong sign-ins")
    elsewhere = sign_in(engine, "alice@starboard.test", ALICE_PASSWORD, policy=policy)
    assert elsewhere.staff_id == ids["Alice"]


@pytest.mark.parametrize("password", ["short", "x" * 257])
def test_a_password_too_short_or_too_long_is_refused(password):
    with pytest.raises(UserError, match="password is (shorter|longer)"):
        auth.hash_password(password)


# Issue 26 ---------------------------------------------------------------------------------------


def test_parallel_sign_ins_make_no_more_password_checks_than_the_limit(floor):
    """Item 8: twelve wrong passwords for one account at the same moment, from twelve threads
    (twelve tabs): five are checked, seven are refused as locked without a check."""
    engine, _ = floor
    start = threading.Barrier(12)

    def attempt(number: int) -> str:
        start.wait()
        return sign_in(engine, "maria@starboard.test", f"guess {number}").message

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(attempt, range(12)))
    outcomes = sorted(attempt.outcome for attempt in auth.attempts(engine))
    assert outcomes == ["locked"] * 7 + ["wrong_password"] * 5
    assert sum(answer.startswith("too many wrong sign-ins") for answer in answers) == 7


def test_a_browser_on_this_machine_is_not_limited_by_its_address(floor):
    """Item 6: twenty-one wrong passwords on as many emails from an address not limited (a
    local browser) lock no one else there; each is still logged with its address."""
    engine, ids = floor
    for number in range(21):
        auth.sign_in(
            engine, f"nobody{number}@x.test", "a guess", address="127.0.0.1",
            limit_address=False, policy=POLICY, now=NOW,
        )  # fmt: skip
    result = auth.sign_in(
        engine, "maria@starboard.test", MARIA_PASSWORD, address="127.0.0.1",
        limit_address=False, policy=POLICY, now=NOW,
    )  # fmt: skip
    assert result.staff_id == ids["Maria"]
    assert {attempt.address for attempt in auth.attempts(engine)} == {"127.0.0.1"}


def test_the_identity_provider_s_email_maps_to_an_active_account_only(floor):
    """Item 13: the e-mail the provider vouches for is the account's; unknown or inactive is
    refused in one line; each answer for an account is logged."""
    engine, ids = floor
    signed = auth.sign_in_by_identity_provider(
        engine, " Maria@Starboard.test", address=OFFICE, now=NOW
    )
    assert signed.staff_id == ids["Maria"]
    stranger = auth.sign_in_by_identity_provider(engine, "who@x.test", address=OFFICE, now=NOW)
    assert (stranger.staff_id, stranger.message) == (
        None, "who@x.test has no Starboard account: ask an admin to add it.",
    )  # fmt: skip
    carl = auth.sign_in_by_identity_provider(engine, "carl@starboard.test", address=OFFICE)
    assert (carl.staff_id, carl.message) == (
        None, "carl@starboard.test's Starboard account is inactive: ask an admin.",
    )  # fmt: skip
    assert [(a.email, a.outcome) for a in auth.attempts(engine)] == [
        ("maria@starboard.test", "signed_in"), ("carl@starboard.test", "inactive"),
    ]  # fmt: skip
