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
    limit_address: bool = True,
    policy: SignInPolicy | None = None,
    now: datetime | None = None,
) -> SignInResult:
    """Check ``email`` and ``password`` against the staff table, unless the account or the
    address is locked; log the attempt either way.

    ``address`` is the client's IP (``dashboard.connection.client``); ``limit_address`` False
    (a browser on the server's own machine, connected directly) logs it without limiting it
    as an address, or one person there could lock out everyone else there (the account's own
    limit still holds).

    The lock is checked and the attempt counted in one transaction that holds the account's
    and the address's lock (``BEGIN IMMEDIATE`` on SQLite, advisory locks on PostgreSQL), and the
    attempt is counted as a wrong password until the password proves right: sign-ins sent in
    parallel make at most the limit's number of password checks (issue 26, item 8).
    """
    policy = policy or SignInPolicy.from_environment()
    now = now or utcnow()
    email = normal_email(email)
    address = (address or "unknown")[:ADDRESS_MAX_CHARS]
    connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    with connection, connection.begin():
        _serialise(connection, email, address)
        locked_until = _locked_until(connection, email, address, limit_address, policy, now)
        staff = connection.execute(
            sa.select(STAFF.c.id, STAFF.c.password_hash, STAFF.c.is_active).where(
                sa.func.lower(STAFF.c.email) == email
            )
        ).first()
        staff_id = staff.id if staff is not None else None
        outcome = "locked" if locked_until is not None else "wrong_password"
        attempt_id = connection.execute(
            ATTEMPTS.insert()
            .values(at=now, email=email, address=address, staff_id=staff_id, outcome=outcome)
            .returning(ATTEMPTS.c.id)
        ).scalar_one()
    if locked_until is not None:
        return SignInResult(None, _locked_message(locked_until, now), locked_until)
    # Long passwords are refused only after the lock check: the attempt still counts.
    right = len(password or "") <= MAX_PASSWORD_CHARS and _verify(
        staff.password_hash if staff is not None and staff.password_hash else None, password or ""
    )
    if not right:
        with engine.connect() as connection:
            locked_until = _locked_until(connection, email, address, limit_address, policy, now)
        if locked_until is not None:
            return SignInResult(None, f"{WRONG} {_locked_message(locked_until, now)}", locked_until)
        return SignInResult(None, WRONG)
    outcome = "signed_in" if staff.is_active else "inactive"
    with engine.begin() as connection:
        connection.execute(
            ATTEMPTS.update().where(ATTEMPTS.c.id == attempt_id).values(outcome=outcome)
        )
        if staff.is_active and _HASHER.check_needs_rehash(staff.password_hash):
            connection.execute(
                STAFF.update()
                .where(STAFF.c.id == staff_id)
                .values(password_hash=_HASHER.hash(password), updated_at=now)
            )
    if not staff.is_active:
        return SignInResult(None, "this account is inactive: ask an admin to reactivate it.")
    return SignInResult(staff_id, "signed in.")


def sign_in_by_identity_provider(
    engine: sa.Engine, email: str | None, *, address: str, now: datetime | None = None
) -> SignInResult:
    """Map the e-mail the company's identity provider vouched for to its staff account: an
    unknown or inactive e-mail is refused in one line. Logged like a password sign-in."""
    now = now or utcnow()
    email = normal_email(email or "")
    address = (address or "unknown")[:ADDRESS_MAX_CHARS]
    with engine.begin() as connection:
        staff = connection.execute(
            sa.select(STAFF.c.id, STAFF.c.is_active).where(sa.func.lower(STAFF.c.email) == email)
        ).first()
        if staff is not None:
            outcome = "signed_in" if staff.is_active else "inactive"
            connection.execute(
                ATTEMPTS.insert().values(
                    at=now, email=email, address=address, staff_id=staff.id, outcome=outcome
                )
            )
    if staff is None:
        return SignInResult(
            None, f"{email or 'this account'} has no Starboard account: ask an admin to add it."
        )
    if not staff.is_active:
        return SignInResult(None, f"{email}'s Starboard account is inactive: ask an admin.")
    return SignInResult(staff.id, "signed in.")


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


def _serialise(connection: sa.Connection, email: str, address: str) -> None:
    """Hold, until the transaction ends, the locks of this account and this address, so that
    parallel attempts on either are checked and counted one after another. SQLite's
    ``BEGIN IMMEDIATE`` already holds the whole database's write lock."""
    if connection.dialect.name != "postgresql":
        return
    for key in sorted({f"email:{email}", f"address:{address}"}):  # one order: no deadlock
        connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )


def _locked_until(connection, email, address, limit_address, policy, now) -> datetime | None:
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
    ]
    if limit_address:
        ends.append(
            _run_lock_end(
                connection,
                [ATTEMPTS.c.address == address],
                policy.max_failures_per_address,
                policy.lock,
            )
        )
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
