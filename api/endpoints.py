"""What each endpoint does with a request that passed the guard: check the body with the
shared validation (crm.ingest.validation), apply it through the action layer as the
integration, and say what happened.

Answers: 201 applied (created), 200 a duplicate, a repeat or a late status (nothing written),
202 kept in the inbox until its lead arrives, 422 a bad field (named, with its reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from api.guard import Caller, Refused
from crm import actions
from crm.actions import ActionRefused, FieldRefused, event_action_id
from crm.ingest.validation import CLEANERS, Context, Invalid
from crm.models import Currency, InboxEvent, utcnow

STATUS_CODES = {"applied": 201, "waiting": 202}
INBOX = InboxEvent.__table__


@dataclass
class Answer:
    status: int
    body: dict
    event_id: str | None = None
    new_leads: list[int] = field(default_factory=list)  # leads some inbox event waits for


class Currencies:
    """The CRM's currency codes, read again at most every minute (they rarely change)."""

    def __init__(self, engine: sa.Engine, max_age_s: float = 60.0):
        self.engine, self.max_age_s = engine, max_age_s
        self._codes: frozenset[str] = frozenset()
        self._read_at: datetime | None = None

    def codes(self, now: datetime) -> frozenset[str]:
        if self._read_at is None or (now - self._read_at).total_seconds() > self.max_age_s:
            with self.engine.connect() as connection:
                self._codes = frozenset(connection.scalars(sa.select(Currency.code)))
            self._read_at = now
        return self._codes


def clean(kind: str, body, context: Context, prefix: str = "") -> dict:
    if not isinstance(body, Mapping):
        raise Refused(
            422,
            "invalid",
            "the body must be a JSON object",
            fields={prefix or "body": "is not a JSON object"},
        )
    try:
        return CLEANERS[kind](body, context)
    except Invalid as error:
        fields = {f"{prefix}{name}": reason for name, reason in error.errors.items()}
        raise Refused(
            422, "invalid", "; ".join(f"{k}: {v}" for k, v in fields.items()), fields=fields
        ) from None


def context(who: Caller, currencies: Currencies) -> Context:
    now = utcnow()
    return Context(now=now, currencies=currencies.codes(now), source=who.name)


def post_lead(connection, who: Caller, lead: dict, ctx: Context, _webhook_id) -> Answer:
    event_id = f"{lead['source']}:{lead['external_id']}"
    result = _apply(
        actions.ingest_leads,
        connection,
        [lead],
        action_id=event_action_id(who.integration_id, "lead", event_id),
        integration_id=who.integration_id,
        now=ctx.now,
    )
    (outcome,) = result.details["results"]
    duplicate = outcome["duplicate"] or result.replayed
    answer = {
        "status": "duplicate" if duplicate else "applied",
        "lead_id": outcome["lead_id"],
        "duplicate": duplicate,
        "matched_on": outcome["matched_on"] if duplicate else None,
    }
    if duplicate and answer["matched_on"] is None:
        answer["matched_on"] = "external_id"
    reply = Answer(200 if duplicate else 201, answer, lead["external_id"])
    if not duplicate and has_waiting(connection, [lead]):
        reply.new_leads = [outcome["lead_id"]]
    return reply


def has_waiting(connection, leads: list[dict]) -> bool:
    """Whether an event waits in the inbox for one of these new leads (then applied after
    the commit)."""
    return (
        connection.scalar(
            sa.select(INBOX.c.id)
            .where(
                INBOX.c.status == "waiting",
                sa.or_(
                    INBOX.c.lead_external_id.in_(sorted({lead["external_id"] for lead in leads})),
                    INBOX.c.lead_phone.in_(sorted({lead["phone"] for lead in leads})),
                ),
            )
            .limit(1)
        )
        is not None
    )


def check_deposit(event: dict, webhook_id: str | None) -> dict:
    event_id = event["event_id"] or webhook_id
    if event_id is None:
        raise Refused(422, "invalid", "event_id: is missing", fields={"event_id": "is missing"})
    return {**event, "event_id": event_id}


def post_deposit(
    connection, who: Caller, event: dict, ctx: Context, _webhook_id, deferred=None
) -> Answer:
    event_id = event["event_id"]
    result = _apply(
        actions.record_deposit_event,
        connection,
        event,
        event_id=event_id,
        action_id=action_id("deposits", who, event),
        integration_id=who.integration_id,
        now=ctx.now,
        deferred=deferred,
    )
    return _answer(result, event_id)


def post_call(
    connection, who: Caller, call: dict, ctx: Context, _webhook_id, deferred=None
) -> Answer:
    result = _apply(
        actions.record_call,
        connection,
        call,
        action_id=action_id("calls", who, call),
        integration_id=who.integration_id,
        now=ctx.now,
        deferred=deferred,
    )
    return _answer(result, call["call_id"])


def post_platform_event(
    connection, who: Caller, event, ctx: Context, _webhook_id, deferred=None
) -> Answer:
    result = _apply(
        actions.record_platform_event,
        connection,
        event,
        action_id=action_id("platform_events", who, event),
        integration_id=who.integration_id,
        now=ctx.now,
        deferred=deferred,
    )
    return _answer(result, event["event_id"])


# endpoint → (the action applying each of its events, the kind and field naming its action id)
ACTIONS = {
    "platform_events": ("platform_event", "platform", "event_id"),
    "deposits": ("deposit_event", "deposit", "event_id"),
    "calls": ("dialer_call", "call", "call_id"),
}


def action_id(endpoint: str, who: Caller, event: dict) -> str:
    """The action id of one event sent to ``endpoint``: the same event from the same sender
    gets the same id, so it is applied once."""
    _, kind, field_name = ACTIONS[endpoint]
    return event_action_id(who.integration_id, kind, event[field_name])


def _apply(record, *args, **kwargs):
    try:
        return record(*args, **kwargs)
    except FieldRefused as error:
        raise Refused(422, "invalid", str(error), fields={error.field: error.reason}) from None
    except ActionRefused as error:
        raise Refused(409, "refused", str(error)) from None


def _answer(result, event_id: str) -> Answer:
    details = dict(result.details)
    status = details.pop("status", "applied")
    if result.replayed:
        status = "waiting" if status == "waiting" else "duplicate"
    body = {"status": status, "event_id": event_id, "message": result.message, **details}
    if result.replayed:
        body["duplicate"] = True
    return Answer(STATUS_CODES.get(status, 200) if not result.replayed else 200, body, event_id)
