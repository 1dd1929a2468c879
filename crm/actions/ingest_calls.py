"""A dialer's call records: each call once (by the dialer's call id), on its AM and lead.

What follows a call is what follows an AM's own log (crm.actions.calls), less what only a
person can decide: a connected call makes a new lead contacted; a wrong number queues the
"reach you" mail once; no answer leaves the callback to the AM.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from crm.actions import mail
from crm.actions.calls import _reach_you_waiting
from crm.actions.claims import Deferred
from crm.actions.core import Action, run_action
from crm.actions.ingest_core import (
    FieldRefused,
    find_lead,
    keep_waiting,
    lead_reference_text,
    mark_applied,
)
from crm.actions.results import ActionResult
from crm.actions.tables import LEADS
from crm.models import Call, Staff

CALLS = Call.__table__
STAFF = Staff.__table__
CONTACTED_FROM = ("new", "assigned", "follow_up")
# Run for every call: built once.
_KNOWN = sa.select(CALLS.c.id).where(CALLS.c.external_id == sa.bindparam("known_call"))
_NEW_CALL = CALLS.insert().returning(CALLS.c.id)


def record_call(
    target: sa.Engine | sa.Connection,
    call: dict,
    *,
    action_id: str,
    actor_id: int | None = None,
    integration_id: int | None = None,
    inbox_id: int | None = None,
    now: datetime | None = None,
    deferred: Deferred | None = None,
) -> ActionResult:
    """Record one clean call (``crm.ingest.validation.clean_call``).

    ``details["status"]``: ``applied``, ``duplicate`` (this call id is recorded already) or
    ``waiting`` (no such lead yet: kept in the inbox).
    """

    def work(action: Action) -> str:
        am_id = _agent(action, call)
        lead = find_lead(action, call["lead"], *_LEAD_COLUMNS)
        if lead is None:
            reason = f"{lead_reference_text(call['lead'])} is not in the CRM yet"
            keep_waiting(action, "call", call, call["call_id"], reason)
            return f"call kept until its lead arrives: {reason}."
        mark_applied(action, inbox_id)
        known = action.connection.scalar(_KNOWN, {"known_call": call["call_id"]})
        action.details.update(lead_id=lead.id)
        if known is not None:
            action.details.update(status="duplicate", call_id=known)
            action.unchanged = True
            return f"call {call['call_id']} is recorded already (call {known})."
        call_id = action.connection.execute(
            _NEW_CALL,
            {
                "lead_id": lead.id,
                "am_id": am_id,
                "started_at": call["started_at"],
                "duration_s": call["duration_s"],
                "outcome": call["outcome"],
                "external_id": call["call_id"],
                "created_at": action.now,
                "updated_at": action.now,
            },
        ).scalar_one()
        action.details.update(status="applied", call_id=call_id)
        audited = {"call_id": call_id, "outcome": call["outcome"], "am_id": am_id}
        if call["outcome"] == "wrong_number" and not _reach_you_waiting(action.connection, lead.id):
            (audited["email_id"],) = mail.queue(
                action.connection,
                [
                    mail.outbox_row(
                        lead.id,
                        "reach_you",
                        address=lead.email,
                        first_name=lead.first_name,
                        phone=lead.phone,
                        now=action.now,
                    )
                ],
            )
        if call["outcome"] == "connected" and lead.status in CONTACTED_FROM:
            rows = action.lock_leads({lead.id: lead.version}, check_versions=False)
            action.update_leads(rows, {lead.id: {"status": "contacted"}}, {lead.id: audited})
        else:
            action.audit(lead.id, None, audited)
        return f"{call['outcome'].replace('_', ' ')} call recorded for lead {lead.id}."

    return run_action(
        target,
        "dialer_call",
        work,
        action_id=action_id,
        actor_id=actor_id,
        integration_id=integration_id,
        now=now,
        deferred=deferred,
    )


_LEAD_COLUMNS = (LEADS.c.status, LEADS.c.email, LEADS.c.first_name, LEADS.c.phone)


def _agent(action: Action, call: dict) -> int:
    """The AM the dialer names, by email or extension."""
    if call.get("agent_email"):
        field, condition = "agent_email", sa.func.lower(STAFF.c.email) == call["agent_email"]
    else:
        field, condition = "agent_extension", STAFF.c.extension == call["agent_extension"]
    # A dialer's array names the same few agents again and again: each read once.
    key = ("agent", field, call[field])
    agent = action.shared.get(key)
    if agent is None:
        agent = action.connection.execute(
            sa.select(STAFF.c.id, STAFF.c.role).where(condition)
        ).first()
        action.shared[key] = agent
    if agent is None:
        raise FieldRefused(field, "names no staff member of this CRM")
    if agent.role != "account_manager":
        raise FieldRefused(field, "names someone who is not an account manager")
    return agent.id
