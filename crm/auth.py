"""Signing in to the dashboard: passwords hashed with argon2, wrong attempts limited per account
and per address, every attempt logged in ``sign_in_attempts``.

The limits come from the environment (README: Signing in):
``STARBOARD_SIGNIN_MAX_FAILURES`` (5) wrong passwords for one account within the lock time lock
it; ``STARBOARD_SIGNIN_MAX_FAILURES_PER_ADDRESS`` (20) do the same for one address, whatever the
accounts; ``STARBOARD_SIGNIN_LOCK_MINUTES`` (15) is how long a lock lasts, from the wrong
attempt that set it.

An account is counted by the email typed, whether or not such an account exists, so the lock
does not tell a stranger which emails are staff.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from crm.errors import UserError
from crm.models import SignInAttempt, Staff, utcnow

ATTEMPTS = SignInAttempt.__table__
STAFF = Staff.__table__

MIN_PASSWORD_CHARS = 10
# argon2 reads the whole password: a megabyte typed into the form must not cost a megabyte.
MAX_PASSWORD_CHARS = 256
EMAIL_MAX_CHARS = 254
ADDRESS_MAX_CHARS = 100

_HASHER = PasswordHasher()
# Verified against when the account does not exist or has no password, so that a wrong email
# takes as long to refuse as a wrong password.
_NO_ACCOUNT_HASH = _HASHER.hash("no account has this password")

WRONG = "wrong email or password."


@dataclass(frozen=True)
class SignInPolicy:
    """How many wrong passwords lock an account or an address, and for how long."""

    max_failures: int = 5
    max_failures_per_address: int = 20
    lock: timedelta = timedelta(minutes=15)

    @classmethod
    def from_environment(cls) -> SignInPolicy:
        return cls(
            max_failures=_positive_env("STARBOARD_SIGNIN_MAX_FAILURES", 5),
            max_failures_per_address=_positive_env("STARBOARD_SIGNIN_MAX_FAILURES_PER_ADDRESS", 20),
            lock=timedelta(minutes=_positive_env("STARBOARD_SIGNIN_LOCK_MINUTES", 15)),
        )


@dataclass(frozen=True)
class SignInResult:
    """Who signed in (``staff_id``), or why not (``message``, one line to show)."""

    staff_id: int | None
    message: str
    locked_until: datetime | None = None


def hash_password(password: str) -> str:
    """The argon2 hash to store for ``password``, after checking it is long enough."""
    check_password(password)
    return _HASHER.hash(password)


def check_password(password: str) -> None:
    """Refuse, in one line, a password too short or too long to keep."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise UserError(
            f"the password is shorter than {MIN_PASSWORD_CHARS} characters: choose a longer one."
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise UserError(f"the password is longer than {MAX_PASSWORD_CHARS} characters.")


def normal_email(email: str) -> str:
    """An email as accounts are matched and counted: without outer blanks, lower case."""
    return (email or "").strip().lower()[:EMAIL_MAX_CHARS]


def sign_in(
    engine: sa.Engine,
    email: str,
    password: str,
    *,
    address: str,
    policy: SignInPolicy | None = None,
    now: datetime | None = None,
) -> SignInResult:
    """Check ``email`` and ``password`` against the staff table, unless the account or the
    address is locked; log the attempt either way.

    ``address`` is where the attempt came from (the client's IP, or the browser session when
    the IP is unknown).
    """
    policy = policy or SignInPolicy.from_environment()
    now = now or utcnow()
    email = normal_email(email)
    address = (address or "unknown")[:ADDRESS_MAX_CHARS]
    with engine.connect() as connection:
        locked_until = _locked_until(connection, email, address, policy, now)
        staff = connection.execute(
            sa.select(STAFF.c.id, STAFF.c.password_hash, STAFF.c.is_active).where(
                sa.func.lower(STAFF.c.email) == email
            )
        ).first()
    staff_id = staff.id if staff is not None else None
    if locked_until is not None:
        _log(engine, now, email, address, staff_id, "locked")
        return SignInResult(None, _locked_message(locked_until, now), locked_until)
    # Long passwords are refused only after the lock check: the attempt still counts.
    right = len(password or "") <= MAX_PASSWORD_CHARS and _verify(
        staff.password_hash if staff is not None and staff.password_hash else None, password or ""
    )
    if not right:
        _log(engine, now, email, address, staff_id, "wrong_password")
        with engine.connect() as connection:
            locked_until = _locked_until(connection, email, address, policy, now)
        if locked_until is not None:
            return SignInResult(None, f"{WRONG} {_locked_message(locked_until, now)}", locked_until)
        return SignInResult(None, WRONG)
    if not staff.is_active:
        _log(engine, now, email, address, staff_id, "inactive")
        return SignInResult(None, "this account is inactive: ask an admin to reactivate it.")
    _log(engine, now, email, address, staff_id, "signed_in")
    if _HASHER.check_needs_rehash(staff.password_hash):
        with engine.begin() as connection:
            connection.execute(
                STAFF.update()
                .where(STAFF.c.id == staff_id)
                .values(password_hash=_HASHER.hash(password), updated_at=now)
            )
    return SignInResult(staff_id, "signed in.")


def attempts(engine: sa.Engine, email: str | None = None) -> list[sa.Row]:
    """The sign-in log, oldest first (of one account's email, when given)."""
    statement = sa.select(ATTEMPTS).order_by(ATTEMPTS.c.id)
    if email is not None:
        statement = statement.where(ATTEMPTS.c.email == normal_email(email))
    with engine.connect() as connection:
        return connection.execute(statement).all()


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _NO_ACCOUNT_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _log(engine, now, email, address, staff_id, outcome) -> None:
    with engine.begin() as connection:
        connection.execute(
            ATTEMPTS.insert().values(
                at=now, email=email, address=address, staff_id=staff_id, outcome=outcome
            )
        )


def _locked_until(connection, email, address, policy, now) -> datetime | None:
    """When the lock on the account or the address ends, if one holds at ``now``."""
    # A right password ends the account's run of wrong ones; an address's run goes on, or one
    # account an attacker owns would clear the way for guessing the others.
    last_success = connection.scalar(
        sa.select(sa.func.max(ATTEMPTS.c.at)).where(
            ATTEMPTS.c.email == email, ATTEMPTS.c.outcome == "signed_in"
        )
    )
    since = [ATTEMPTS.c.at > last_success] if last_success is not None else []
    ends = [
        _run_lock_end(
            connection, [ATTEMPTS.c.email == email, *since], policy.max_failures, policy.lock
        ),
        _run_lock_end(
            connection,
            [ATTEMPTS.c.address == address],
            policy.max_failures_per_address,
            policy.lock,
        ),
    ]
    ends = [end for end in ends if end is not None and end > now]
    return max(ends) if ends else None


def _run_lock_end(connection, where, limit: int, lock: timedelta) -> datetime | None:
    """The end of the lock set by the latest ``limit`` wrong passwords, if they came within
    ``lock`` of each other: the lock lasts ``lock`` from the last of them."""
    times = (
        connection.execute(
            sa.select(ATTEMPTS.c.at)
            .where(*where, ATTEMPTS.c.outcome == "wrong_password")
            .order_by(ATTEMPTS.c.at.desc(), ATTEMPTS.c.id.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
    if len(times) < limit or times[0] - times[-1] > lock:
        return None
    return times[0] + lock


def _locked_message(until: datetime, now: datetime) -> str:
    minutes = max(1, -(-int((until - now).total_seconds()) // 60))
    return (
        f"too many wrong sign-ins: try again in {minutes} minute{'s' if minutes > 1 else ''} "
        f"(after {until:%H:%M} UTC)."
    )


def _positive_env(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise UserError(f"{name} {text!r} is not a whole number: set it like {default}.") from None
    if value <= 0:
        raise UserError(f"{name} is {value}: set it to 1 or more (default {default}).")
    return value
