"""An AM logs the outcome of a call: the lead's status, callback and mail follow from it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.actions import mail
from crm.actions.checks import seen_versions, whole
from crm.actions.core import Action, run_action
from crm.actions.leads import assign_leads
from crm.actions.results import ActionRefused, ActionResult
from crm.actions.tables import LEADS
from crm.models import CALL_OUTCOMES, Call
from crm.time_zones import find_zone

CALLS = Call.__table__
OUTBOX = mail.OUTBOX

# Not reached: the AM sets a callback and the lead is assigned to them for follow-up.
NOT_REACHED = ("no_answer", "busy", "voicemail")
MAX_CALL_S = 24 * 3600
# A second outcome an AM logs on one lead this soon after the first is most likely the same call
# entered twice: it is written only once the AM confirms it replaces the first.
REPLACE_WINDOW = timedelta(minutes=1)


class RecentCall(ActionRefused):
    """The AM logged a call on this lead less than ``REPLACE_WINDOW`` ago: a second outcome
    must say it replaces that one (``replaces=call_id``)."""

    def __init__(self, lead_id: int, call_id: int, outcome: str, seconds: int):
        self.lead_id, self.call_id, self.outcome = lead_id, call_id, outcome
        super().__init__(
            f"you logged {outcome.replace('_', ' ')} on lead {lead_id} {seconds} s ago: nothing "
            "was saved; confirm that this call replaces it, or leave the first as it is."
        )


def log_call(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int,
    action_id: str,
    lead_id: int,
    version: int,
    outcome: str,
    duration_s: int = 0,
    callback_at: datetime | None = None,
    replaces: int | None = None,
    now: datetime | None = None,
) -> ActionResult:
    """Log the signed-in AM's call to a lead (as seen at ``version``) and what follows.

    - connected: the lead is contacted; a callback, if given, is set, otherwise cleared;
    - no answer (busy, voicemail): a callback is required; the lead is assigned to this AM for
      follow-up;
    - wrong number: the "reach you" mail is queued (unless one is already waiting to go).

    ``callback_at`` is the wall-clock time in the lead's own time zone (naive), or an aware
    time; it is stored in UTC and must be in the future.

    A call this AM logged on the lead within ``REPLACE_WINDOW`` is refused (``RecentCall``)
    unless ``replaces`` names it: the first call is then deleted (with the "reach you" mail it
    queued, if still unsent) and this one stands instead.
    """
    lead_id = whole(lead_id, "lead id")
    replaces = whole(replaces, "call replaced", none=True)
    if outcome not in CALL_OUTCOMES:
        raise ActionRefused(f"{outcome!r} is not a call outcome: use one of {CALL_OUTCOMES}.")
    duration_s = whole(duration_s, "call duration in seconds")
    if not 0 <= duration_s <= MAX_CALL_S:
        raise ActionRefused(f"a call of {duration_s:,} seconds? Give the duration in seconds.")
    if outcome in NOT_REACHED and callback_at is None:
        raise ActionRefused("no answer: set the callback time, when to call again.")
    if outcome == "wrong_number" and callback_at is not None:
        raise ActionRefused("wrong number: there is no number to call back; leave the callback.")
    seen = seen_versions({lead_id: version})

    def work(action: Action) -> str:
        am = action.account_manager(action.actor_id)
        rows = action.lock_leads(
            seen,
            LEADS.c.ftd_at,
            LEADS.c.time_zone,
            LEADS.c.first_name,
            LEADS.c.email,
            LEADS.c.phone,
        )
        lead = rows[lead_id]
        replaced = _replaced_call(action, lead_id, replaces)
        callback = None
        if callback_at is not None:
            zone = _lead_zone(lead_id, lead.time_zone)
            callback = callback_utc(callback_at, lead.time_zone)
            if callback <= action.now:
                shown = callback.astimezone(zone)
                raise ActionRefused(
                    f"the callback {shown:%Y-%m-%d %H:%M} ({lead.time_zone}) is in the past: "
                    "pick a later time."
                )
        call_id = action.connection.execute(
            CALLS.insert().returning(CALLS.c.id),
            {
                "lead_id": lead_id,
                "am_id": action.actor_id,
                "started_at": action.now,
                "duration_s": duration_s,
                "outcome": outcome,
                "created_at": action.now,
                "updated_at": action.now,
            },
        ).scalar_one()
        action.details["call_id"] = call_id
        call = {"call_id": call_id, "outcome": outcome}
        if replaced is not None:
            call["replaced_call_id"] = replaced
            action.details["replaced_call_id"] = replaced
        if outcome in NOT_REACHED:
            assign_leads(
                action,
                rows,
                am_id=action.actor_id,
                reason="follow_up",
                note=None,
                changes={"callback_at": callback},
                audit_extra=call,
            )
            when = callback.astimezone(zone)
            return (
                f"{outcome.replace('_', ' ')}: callback {when:%a %d %b %H:%M} in the lead's time "
                f"({lead.time_zone}); lead {lead_id} assigned to {am.name} for follow-up."
            )
        message = f"{outcome.replace('_', ' ')} call logged for lead {lead_id}."
        if outcome == "wrong_number":
            if _reach_you_waiting(action.connection, lead_id):
                message = (
                    f"wrong number logged for lead {lead_id}; a reach-you mail is already queued."
                )
            else:
                (call["email_id"],) = mail.queue(
                    action.connection,
                    [
                        mail.outbox_row(
                            lead_id,
                            "reach_you",
                            address=lead.email,
                            first_name=lead.first_name,
                            phone=lead.phone,
                            now=action.now,
                        )
                    ],
                )
                action.details["email_id"] = call["email_id"]
                message = f"wrong number logged for lead {lead_id}; the reach-you mail is queued."
        status = lead.status
        if outcome == "connected" and status in ("new", "assigned", "follow_up"):
            status = "contacted"
        action.update_leads(
            rows, {lead_id: {"status": status, "callback_at": callback}}, {lead_id: call}
        )
        return message

    return run_action(target, "log_call", work, action_id=action_id, actor_id=actor_id, now=now)


def callback_utc(moment: datetime, zone_name: str) -> datetime:
    """A callback in UTC from the lead's wall-clock time (naive) or an aware time.

    A wall-clock time the clocks skip (spring forward) is refused rather than moved; one that
    happens twice (fall back) is the first of the two.
    """
    if moment.tzinfo is not None:
        return moment.astimezone(timezone.utc)
    zone = find_zone(zone_name)
    if zone is None:
        raise ActionRefused(
            f"{zone_name!r} is not a time zone: a wall-clock time cannot be placed in it."
        )
    utc = moment.replace(tzinfo=zone).astimezone(timezone.utc)
    if utc.astimezone(zone).replace(tzinfo=None) != moment:
        raise ActionRefused(
            f"{moment:%Y-%m-%d %H:%M} does not exist in {zone_name} (the clocks go forward "
            "then): pick another time."
        )
    return utc


def _lead_zone(lead_id: int, name: str) -> ZoneInfo:
    """The lead's zone, which a callback is set and shown in; refused when it has none (a zone
    another program wrote, which the warehouse shows blank)."""
    zone = find_zone(name)
    if zone is None:
        raise ActionRefused(
            f"lead {lead_id}'s time zone {name!r} is not a time zone, so no callback can be set "
            "in its local time: log the call without one, and have the lead's zone corrected."
        )
    return zone


def _replaced_call(action: Action, lead_id: int, replaces: int | None) -> int | None:
    """The AM's call on the lead within ``REPLACE_WINDOW``, deleted when ``replaces`` names it
    (its id, then), refused when it does not; None when there is none."""
    recent = action.connection.execute(
        sa.select(CALLS.c.id, CALLS.c.outcome, CALLS.c.started_at)
        .where(
            CALLS.c.lead_id == lead_id,
            CALLS.c.am_id == action.actor_id,
            # Logged by the AM here, not reported by the dialer (which has its own id).
            CALLS.c.external_id.is_(None),
            CALLS.c.started_at > action.now - REPLACE_WINDOW,
            CALLS.c.started_at <= action.now,
        )
        .order_by(CALLS.c.started_at.desc(), CALLS.c.id.desc())
        .limit(1)
    ).first()
    if recent is None:
        return None
    if replaces != recent.id:
        seconds = int((action.now - recent.started_at).total_seconds())
        raise RecentCall(lead_id, recent.id, recent.outcome, seconds)
    action.connection.execute(CALLS.delete().where(CALLS.c.id == recent.id))
    # A wrong number it logged queued the "reach you" mail in the same action: unsent, it goes
    # with the call it followed.
    if recent.outcome == "wrong_number":
        action.connection.execute(
            OUTBOX.delete().where(
                OUTBOX.c.lead_id == lead_id,
                OUTBOX.c.template == "reach_you",
                OUTBOX.c.status == "queued",
                OUTBOX.c.created_at == recent.started_at,
            )
        )
    return recent.id


def _reach_you_waiting(connection: sa.Connection, lead_id: int) -> bool:
    return (
        connection.scalar(
            sa.select(OUTBOX.c.id)
            .where(
                OUTBOX.c.lead_id == lead_id,
                OUTBOX.c.template == "reach_you",
                OUTBOX.c.status == "queued",
            )
            .limit(1)
        )
        is not None
    )
