"""The trading platform's events: logins, heartbeats, logouts and balances, keyed by its
account (the lead) and session ids.

Events of one session may arrive out of order: a session's login is the earliest time it was
reported at, its last sighting the latest, its logout the latest logout; a balance older than
the one the platform last reported is ignored. Platform activity never bumps a lead's
``version`` (a client logging in does not make a manager's view stale), as in the simulator.

A login of an unowned lead back after N days away runs the distribution rules for it in the
same transaction, when that option is on (``crm.distribution.occasions``).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from crm.actions.claims import Deferred
from crm.actions.core import Action, run_action
from crm.actions.ingest_core import (
    FieldRefused,
    find_lead,
    keep_waiting,
    lead_reference_text,
    mark_applied,
    update_row,
)
from crm.actions.results import ActionResult
from crm.actions.state import jsonable
from crm.actions.tables import LEADS
from crm.distribution.occasions import distribute_occasions, read_runs, returning_occasion
from crm.models import PlatformSession

SESSIONS = PlatformSession.__table__
# Run for most platform events: built once.
_SESSION = (
    sa.select(SESSIONS)
    .where(SESSIONS.c.external_id == sa.bindparam("session_external_id"))
    .with_for_update()
)
_NEW_SESSION = SESSIONS.insert().returning(SESSIONS.c.id)


def record_platform_event(
    target: sa.Engine | sa.Connection,
    event: dict,
    *,
    action_id: str,
    actor_id: int | None = None,
    integration_id: int | None = None,
    inbox_id: int | None = None,
    now: datetime | None = None,
    deferred: Deferred | None = None,
) -> ActionResult:
    """Apply one clean platform event (``crm.ingest.validation.clean_platform_event``).

    ``details["status"]``: ``applied``, ``ignored`` (an older balance) or ``waiting``.
    """

    def work(action: Action) -> str:
        lead = find_lead(
            action,
            event["lead"],
            LEADS.c.last_login_at,
            LEADS.c.registered_at,
            LEADS.c.balance,
            LEADS.c.balance_at,
            LEADS.c.currency,
        )
        if lead is None:
            reason = f"{lead_reference_text(event['lead'])} is not in the CRM yet"
            keep_waiting(action, "platform", event, event["event_id"], reason)
            return f"platform event kept until its lead arrives: {reason}."
        mark_applied(action, inbox_id)
        action.details.update(lead_id=lead.id, status="applied")
        if event["type"] == "balance":
            return _balance(action, event, lead)
        return _session(action, event, lead)

    return run_action(
        target,
        "platform_event",
        work,
        action_id=action_id,
        actor_id=actor_id,
        integration_id=integration_id,
        now=now,
        deferred=deferred,
    )


def _session(action: Action, event: dict, lead: sa.Row) -> str:
    kind, at = event["type"], event["occurred_at"]
    row = action.connection.execute(_SESSION, {"session_external_id": event["session_id"]}).first()
    if row is not None and row.lead_id != lead.id:
        raise FieldRefused("session_id", "belongs to another account")
    logout = at if kind == "logout" else None
    if row is None:
        values = {
            "lead_id": lead.id,
            "login_at": at,
            "last_seen_at": at,
            "logout_at": logout,
            "device": event["device"],
            "external_id": event["session_id"],
            "updated_at": action.now,
        }
        session_id = action.connection.execute(_NEW_SESSION, values).scalar_one()
        before = None
    else:
        session_id = row.id
        before = {
            "login_at": row.login_at,
            "last_seen_at": row.last_seen_at,
            "logout_at": row.logout_at,
        }
        values = {
            "login_at": min(row.login_at, at) if kind == "login" else row.login_at,
            "last_seen_at": max(row.last_seen_at, at),
            "logout_at": max(filter(None, (row.logout_at, logout)), default=None),
        }
        if kind == "login":
            values["device"] = event["device"]
        update_row(action.connection, SESSIONS, session_id, {**values, "updated_at": action.now})
    if kind == "login" and (lead.last_login_at is None or at > lead.last_login_at):
        update_row(
            action.connection, LEADS, lead.id, {"last_login_at": at, "updated_at": action.now}
        )
        if lead.am_id is None:
            _returning(action, lead, at)
    action.details["session_id"] = session_id
    keep = ("login_at", "last_seen_at", "logout_at")
    action.audit(
        lead.id,
        None if before is None else jsonable({"session_id": session_id, **before}),
        jsonable({"session_id": session_id, **{k: values[k] for k in keep if k in values}}),
    )
    return f"{kind} of session {event['session_id']} recorded for lead {lead.id}."


def _returning(action: Action, lead: sa.Row, at: datetime) -> None:
    """The rules run for an unowned lead back after N days away (the option on). The lead is
    locked and its last login moved to ``at`` by now: a second login, even at the same
    moment, finds it owned or not away, and runs nothing."""
    occasion = returning_occasion(
        read_runs(action.connection), at, lead.last_login_at or lead.registered_at
    )
    if occasion is not None:
        for decision in distribute_occasions(action, {lead.id: occasion}):
            action.details["distribution"] = decision.explanation


def _balance(action: Action, event: dict, lead: sa.Row) -> str:
    if event["currency"] is not None and event["currency"] != lead.currency:
        raise FieldRefused("currency", f"is not the account's currency ({lead.currency})")
    at = event["occurred_at"]
    if lead.balance_at is not None and at < lead.balance_at:
        action.details["status"] = "ignored"
        action.unchanged = True
        return f"an older balance of lead {lead.id} than the one recorded: nothing changed."
    update_row(
        action.connection,
        LEADS,
        lead.id,
        {"balance": event["balance"], "balance_at": at, "updated_at": action.now},
    )
    action.audit(
        lead.id,
        jsonable({"balance": lead.balance}),
        jsonable({"balance": event["balance"], "balance_at": at}),
    )
    return f"balance of lead {lead.id} recorded."
