"""The inbox: events accepted before their lead existed, applied when it arrives (or by
``python -m crm inbox retry``), or dismissed by a person who has looked at them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from crm.actions.core import Action, run_action
from crm.actions.ingest_calls import record_call
from crm.actions.ingest_core import INBOX, event_action_id, from_json
from crm.actions.ingest_deposits import record_deposit_event
from crm.actions.ingest_platform import record_platform_event
from crm.actions.results import ActionRefused, ActionResult
from crm.actions.tables import LEADS
from crm.models import Integration

INTEGRATIONS = Integration.__table__
RECORDERS = {
    "call": record_call,
    "deposit": record_deposit_event,
    "platform": record_platform_event,
}


def apply_waiting(engine: sa.Engine, lead_ids: Iterable[int] | None = None) -> int:
    """Apply the waiting events of these leads (all waiting events when None) whose lead is in
    the CRM now, each in its own action, oldest first; how many were applied."""
    with engine.connect() as connection:
        query = sa.select(INBOX).where(INBOX.c.status == "waiting").order_by(INBOX.c.id)
        if lead_ids is not None:
            leads = connection.execute(
                sa.select(LEADS.c.external_id, LEADS.c.source, LEADS.c.phone).where(
                    LEADS.c.id.in_(sorted(set(lead_ids)))
                )
            ).all()
            if not leads:
                return 0
            externals = sorted({lead.external_id for lead in leads if lead.external_id})
            phones = sorted({lead.phone for lead in leads})
            query = query.where(
                sa.or_(INBOX.c.lead_external_id.in_(externals), INBOX.c.lead_phone.in_(phones))
            )
        waiting = connection.execute(query).all()
    applied = 0
    for row in waiting:
        event = from_json(row.payload)
        extra = {"event_id": row.event_id} if row.kind == "deposit" else {}
        try:
            result = RECORDERS[row.kind](
                engine,
                event,
                **extra,
                action_id=event_action_id(row.integration_id, row.kind, row.event_id, "inbox"),
                integration_id=row.integration_id,
                inbox_id=row.id,
            )
        except ActionRefused as error:
            _note_refusal(engine, row.id, str(error))
            continue
        applied += result.details.get("status") != "waiting"
    return applied


def waiting_events(engine: sa.Engine, limit: int = 1_000) -> list[sa.Row]:
    """The inbox's waiting events, oldest first, with the integration that sent each."""
    with engine.connect() as connection:
        return connection.execute(
            sa.select(
                INBOX.c.id,
                INBOX.c.kind,
                INBOX.c.event_id,
                INBOX.c.reason,
                INBOX.c.received_at,
                INTEGRATIONS.c.name.label("integration"),
            )
            .join(INTEGRATIONS, INTEGRATIONS.c.id == INBOX.c.integration_id)
            .where(INBOX.c.status == "waiting")
            .order_by(INBOX.c.id)
            .limit(limit)
        ).all()


def dismiss_waiting(
    engine: sa.Engine,
    *,
    actor_id: int | None,
    action_id: str,
    inbox_id: int,
    now: datetime | None = None,
) -> ActionResult:
    """A person has looked at a waiting event and resolves it without applying it."""

    def work(action: Action) -> str:
        row = action.connection.execute(
            sa.select(INBOX.c.status, INBOX.c.kind, INBOX.c.event_id)
            .where(INBOX.c.id == inbox_id)
            .with_for_update()
        ).first()
        if row is None:
            raise ActionRefused(f"there is no waiting event {inbox_id}.")
        if row.status != "waiting":
            raise ActionRefused(f"event {inbox_id} is {row.status} already.")
        action.connection.execute(
            INBOX.update()
            .where(INBOX.c.id == inbox_id)
            .values(
                status="dismissed",
                resolved_at=action.now,
                resolved_by_id=actor_id,
                updated_at=action.now,
            )
        )
        action.audit(
            None,
            {"inbox_id": inbox_id, "status": "waiting"},
            {"inbox_id": inbox_id, "status": "dismissed"},
        )
        return f"{row.kind} event {row.event_id} dismissed."

    return run_action(
        engine, "inbox_dismiss", work, action_id=action_id, actor_id=actor_id, now=now
    )


def _note_refusal(engine: sa.Engine, inbox_id: int, reason: str) -> None:
    # The event's lead came, but the event itself is refused now (an agent who left, a
    # transaction of another lead): it stays waiting, with the reason for a person to read.
    with engine.begin() as connection:
        connection.execute(INBOX.update().where(INBOX.c.id == inbox_id).values(reason=reason[:300]))
