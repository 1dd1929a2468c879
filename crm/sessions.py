"""Signed-in browsers, kept on the server (``sign_in_sessions``).

A sign-in (a right password, or the identity provider's answer) starts a session with a one-time
handoff code; the browser trades the code, once and within ``HANDOFF_TTL``, for the session's
token, which it keeps in an HttpOnly cookie (``dashboard/server.py``). Only SHA-256 hashes of the
code and the token are stored: the table holds nothing a browser could present. Every click
resumes the session by its token: it ends after ``idle`` without a click, ``LIFETIME`` after the
sign-in whatever happens, at sign-out, and when the person is deactivated or given a new
password (``end_all``, in the same transaction as that change).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from crm.models import SignInSession, Staff, utcnow

SESSIONS = SignInSession.__table__
STAFF = Staff.__table__

HANDOFF_TTL = timedelta(seconds=60)
# A shift and then some: a session ends this long after its sign-in, however busy.
LIFETIME = timedelta(hours=12)
# last_seen_at is written at most this often per session (a write per click is not needed to
# tell an idle session from a busy one).
TOUCH_EVERY = timedelta(seconds=30)
SECRET_BYTES = 32
# What token_urlsafe(SECRET_BYTES) gives; anything else a browser sends is not looked up.
_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class Resumed:
    """The session a token resumes (``staff_id`` set), or why it does not: ``ended`` names the
    reason when the token was a session's that has ended, None when it was never one."""

    session_id: int | None = None
    staff_id: int | None = None
    method: str | None = None
    ended: str | None = None


def start(engine: sa.Engine, staff_id: int, method: str, *, now: datetime | None = None) -> str:
    """Start a session for ``staff_id``, whom ``method`` has just vouched for; returns the
    one-time code the browser trades for the session's token (``exchange``)."""
    now = now or utcnow()
    code = secrets.token_urlsafe(SECRET_BYTES)
    with engine.begin() as connection:
        connection.execute(
            SESSIONS.insert().values(
                staff_id=staff_id,
                method=method,
                handoff_hash=digest(code),
                created_at=now,
                last_seen_at=now,
                expires_at=now + LIFETIME,
            )
        )
    return code


def exchange(engine: sa.Engine, code: str, *, now: datetime | None = None) -> str | None:
    """The token of the session whose handoff ``code`` this is, once: a second use, an
    expired code or an ended session gives None."""
    now = now or utcnow()
    if not _well_formed(code):
        return None
    token = secrets.token_urlsafe(SECRET_BYTES)
    with engine.begin() as connection:
        traded = connection.execute(
            SESSIONS.update()
            .where(
                SESSIONS.c.handoff_hash == digest(code),
                SESSIONS.c.created_at > now - HANDOFF_TTL,
                SESSIONS.c.ended_at.is_(None),
            )
            .values(handoff_hash=None, token_hash=digest(token), last_seen_at=now)
        ).rowcount
    return token if traded == 1 else None


def resume(
    engine: sa.Engine, token: str | None, *, idle: timedelta, now: datetime | None = None
) -> Resumed:
    """The session ``token`` belongs to, if it is still on; ends it (and says why) when it has
    been idle longer than ``idle``, has lived ``LIFETIME``, or its person is no longer active."""
    now = now or utcnow()
    if not _well_formed(token):
        return Resumed()
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(
                SESSIONS.c.id,
                SESSIONS.c.staff_id,
                SESSIONS.c.method,
                SESSIONS.c.last_seen_at,
                SESSIONS.c.expires_at,
                SESSIONS.c.end_reason,
                STAFF.c.is_active,
            )
            .select_from(SESSIONS.join(STAFF, STAFF.c.id == SESSIONS.c.staff_id))
            .where(SESSIONS.c.token_hash == digest(token))
        ).first()
    if row is None:
        return Resumed()
    if row.end_reason is not None:
        return Resumed(ended=row.end_reason)
    reason = (
        "deactivated"
        if not row.is_active
        else "idle"
        if now - row.last_seen_at > idle
        else "expired"
        if now >= row.expires_at
        else None
    )
    if reason is not None:
        _end(engine, SESSIONS.c.id == row.id, reason, now)
        return Resumed(ended=reason)
    if now - row.last_seen_at >= min(TOUCH_EVERY, idle / 4):
        with engine.begin() as connection:
            connection.execute(
                SESSIONS.update()
                .where(SESSIONS.c.id == row.id, SESSIONS.c.ended_at.is_(None))
                .values(last_seen_at=now)
            )
    return Resumed(row.id, row.staff_id, row.method)


def end(
    engine: sa.Engine,
    token: str | None,
    reason: str = "signed_out",
    *,
    now: datetime | None = None,
) -> None:
    """End the session of ``token`` (sign-out), if it is on."""
    if _well_formed(token):
        _end(engine, SESSIONS.c.token_hash == digest(token), reason, now or utcnow())


def end_all(connection: sa.Connection, staff_id: int, reason: str, now: datetime) -> int:
    """End every session of ``staff_id`` inside the caller's transaction (deactivation, a new
    password); returns how many were on."""
    return connection.execute(
        SESSIONS.update()
        .where(SESSIONS.c.staff_id == staff_id, SESSIONS.c.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason, handoff_hash=None)
    ).rowcount


def digest(secret: str) -> str:
    """What is stored of a token or a code: its SHA-256, in hex (a random 256-bit secret
    needs no salt or slow hash)."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _well_formed(secret: str | None) -> bool:
    return isinstance(secret, str) and _SECRET_SHAPE.fullmatch(secret) is not None


def _end(engine: sa.Engine, which, reason: str, now: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            SESSIONS.update()
            .where(which, SESSIONS.c.ended_at.is_(None))
            .values(ended_at=now, end_reason=reason, handoff_hash=None)
        )
