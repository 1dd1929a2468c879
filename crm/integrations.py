"""The integrations of the ingest API: the brokerage's systems allowed to send data in.

Each gets an API key, shown once and kept only as a SHA-256 hash: the key is 256 random bits,
which no dictionary attack reaches, so a fast hash is enough and a request is checked in
microseconds (argon2, right for people's passwords, would cost the API its throughput). A PSP
or dialer also gets a webhook signing secret (Standard Webhooks, ``whsec_...``), shown once too
but kept as it is: checking a signature needs it. An integration may use only its kind's
endpoints (``ENDPOINTS``). Adding, rotating and revoking are actions: an admin's, or the
command line's (``python -m crm integrations ...``), audited without the key or secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from crm.actions.core import Action
from crm.actions.results import ActionRefused, ActionResult
from crm.ingest.values import BadValue, text
from crm.models import INTEGRATION_KINDS, Integration, Staff

# The same refusal of nobody and the same way of running an admin's action as staff accounts.
from crm.staff import _refuse_nobody, _run

INTEGRATIONS = Integration.__table__
STAFF = Staff.__table__
KEY_PREFIX = "sbk"
SIGNED_KINDS = ("psp", "dialer")
# What each kind may send (the API's endpoint names).
ENDPOINTS: dict[str, tuple[str, ...]] = {
    "website": ("leads",),
    "affiliate": ("leads",),
    "platform": ("leads", "platform_events"),
    "psp": ("deposits",),
    "dialer": ("calls",),
}
DEFAULT_RATE_PER_S = 50
MAX_RATE_PER_S = 100_000


@dataclass(frozen=True)
class Credentials:
    """What an integration is given once: its API key, and a webhook secret if it signs."""

    api_key: str
    webhook_secret: str | None


def new_credentials(kind: str) -> tuple[Credentials, str, str]:
    """(credentials, key id, key hash): the key reads ``sbk_<key id>_<secret>``."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    webhook = None
    if kind in SIGNED_KINDS:
        webhook = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    return Credentials(f"{KEY_PREFIX}_{key_id}_{secret}", webhook), key_id, _digest(secret)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate(connection: sa.Connection, api_key: str) -> sa.Row | None:
    """The active integration whose key this is, or None."""
    parts = (api_key or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    row = connection.execute(
        sa.select(INTEGRATIONS).where(INTEGRATIONS.c.key_id == parts[1])
    ).first()
    if row is None or not row.is_active:
        return None
    if not hmac.compare_digest(row.key_hash, _digest(parts[2])):
        return None
    return row


def integration_list(engine: sa.Engine) -> list[sa.Row]:
    """Every integration (never its key hash or secret)."""
    columns = [c for c in INTEGRATIONS.c if c.name not in ("key_hash", "webhook_secret")]
    with engine.connect() as connection:
        return connection.execute(sa.select(*columns).order_by(INTEGRATIONS.c.id)).all()


def add_integration(
    engine: sa.Engine,
    *,
    actor_id: int | None,
    name: str,
    kind: str,
    rate_per_second: int = DEFAULT_RATE_PER_S,
    command_line: bool = False,
    action_id: str | None = None,
    now: datetime | None = None,
) -> tuple[ActionResult, Credentials]:
    """A new integration; its credentials are in the answer, and nowhere else ever after."""
    _refuse_nobody(actor_id, command_line)
    try:
        name = text(name, 80)
    except BadValue as error:
        raise ActionRefused(f"the name {error}: give the system's name, like 'Website'.") from None
    if kind not in INTEGRATION_KINDS:
        raise ActionRefused(
            f"{kind!r} is not a kind of integration: use one of {', '.join(INTEGRATION_KINDS)}."
        )
    _check_rate(rate_per_second)
    credentials, key_id, key_hash = new_credentials(kind)

    def work(action: Action) -> str:
        if action.connection.scalar(
            sa.select(INTEGRATIONS.c.id).where(INTEGRATIONS.c.name == name)
        ):
            raise ActionRefused(f"there is an integration named {name!r} already.")
        integration_id = action.connection.execute(
            INTEGRATIONS.insert().returning(INTEGRATIONS.c.id),
            {
                "name": name,
                "kind": kind,
                "key_id": key_id,
                "key_hash": key_hash,
                "webhook_secret": credentials.webhook_secret,
                "rate_per_second": rate_per_second,
                "is_active": True,
                "created_by_id": actor_id,
                "created_at": action.now,
                "updated_at": action.now,
            },
        ).scalar_one()
        action.audit(
            None,
            None,
            {
                "integration_id": integration_id,
                "name": name,
                "kind": kind,
                "key_id": key_id,
                "rate_per_second": rate_per_second,
            },
        )
        action.details["integration_id"] = integration_id
        return f"integration {name} ({kind}) added with key {KEY_PREFIX}_{key_id}_…"

    result = _run(engine, "integration_add", work, actor_id, action_id, now)
    return result, credentials


def rotate_integration(
    engine: sa.Engine,
    *,
    actor_id: int | None,
    name: str,
    command_line: bool = False,
    action_id: str | None = None,
    now: datetime | None = None,
) -> tuple[ActionResult, Credentials]:
    """New credentials for an integration; the old key and secret stop working at once."""
    _refuse_nobody(actor_id, command_line)
    issued: list[Credentials] = []  # never in the action's stored result: shown once

    def work(action: Action) -> str:
        row = _integration(action, name)
        credentials, key_id, key_hash = new_credentials(row.kind)
        issued.append(credentials)
        action.connection.execute(
            INTEGRATIONS.update()
            .where(INTEGRATIONS.c.id == row.id)
            .values(
                key_id=key_id,
                key_hash=key_hash,
                webhook_secret=credentials.webhook_secret,
                is_active=True,
                revoked_at=None,
                rotated_at=action.now,
                updated_at=action.now,
            )
        )
        action.audit(
            None,
            {"integration_id": row.id, "key_id": row.key_id},
            {"integration_id": row.id, "key_id": key_id},
        )
        return f"integration {row.name} has a new key {KEY_PREFIX}_{key_id}_…; the old one is void."

    result = _run(engine, "integration_rotate", work, actor_id, action_id, now)
    if not issued or result.replayed:  # a replayed action id: the key was shown the first time
        raise ActionRefused("this rotation was done already; its key was shown then.")
    return result, issued[-1]


def revoke_integration(
    engine: sa.Engine,
    *,
    actor_id: int | None,
    name: str,
    command_line: bool = False,
    action_id: str | None = None,
    now: datetime | None = None,
) -> ActionResult:
    """The integration's key stops working at once (rotate to give it a new one)."""
    _refuse_nobody(actor_id, command_line)

    def work(action: Action) -> str:
        row = _integration(action, name)
        if not row.is_active:
            raise ActionRefused(f"integration {row.name} is revoked already.")
        action.connection.execute(
            INTEGRATIONS.update()
            .where(INTEGRATIONS.c.id == row.id)
            .values(is_active=False, revoked_at=action.now, updated_at=action.now)
        )
        action.audit(
            None,
            {"integration_id": row.id, "is_active": True},
            {"integration_id": row.id, "is_active": False},
        )
        return f"integration {row.name} revoked: its key no longer works."

    return _run(engine, "integration_revoke", work, actor_id, action_id, now)


def set_extension(
    engine: sa.Engine,
    *,
    actor_id: int | None,
    email: str,
    extension: str | None,
    command_line: bool = False,
    action_id: str | None = None,
    now: datetime | None = None,
) -> ActionResult:
    """The AM's extension on the dialer (None clears it): how dialer calls name the agent."""
    _refuse_nobody(actor_id, command_line)
    if extension is not None:
        try:
            extension = text(extension, 20)
        except BadValue as error:
            raise ActionRefused(f"the extension {error}.") from None

    def work(action: Action) -> str:
        row = action.connection.execute(
            sa.select(STAFF.c.id, STAFF.c.name, STAFF.c.extension).where(
                sa.func.lower(STAFF.c.email) == email.strip().lower()
            )
        ).first()
        if row is None:
            raise ActionRefused(f"there is no staff account {email}.")
        taken = extension and action.connection.scalar(
            sa.select(STAFF.c.name).where(STAFF.c.extension == extension, STAFF.c.id != row.id)
        )
        if taken:
            raise ActionRefused(f"extension {extension} is {taken}'s already.")
        action.connection.execute(
            STAFF.update()
            .where(STAFF.c.id == row.id)
            .values(extension=extension, updated_at=action.now)
        )
        action.audit(
            None,
            {"staff_id": row.id, "extension": row.extension},
            {"staff_id": row.id, "extension": extension},
        )
        return f"{row.name}'s dialer extension is {extension or 'cleared'}."

    return _run(engine, "staff_set_extension", work, actor_id, action_id, now)


def _integration(action: Action, name: str) -> sa.Row:
    row = action.connection.execute(
        sa.select(INTEGRATIONS).where(INTEGRATIONS.c.name == name).with_for_update()
    ).first()
    if row is None:
        raise ActionRefused(f"there is no integration named {name!r}: see `integrations list`.")
    return row


def _check_rate(rate: int) -> None:
    if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= MAX_RATE_PER_S:
        raise ActionRefused(f"the rate must be 1 to {MAX_RATE_PER_S:,} requests a second.")
