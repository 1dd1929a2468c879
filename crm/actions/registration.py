"""A lead registers (on the platform, in the simulator, from an import): the lead is created and
its welcome mail queued in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa

from crm.actions import mail
from crm.actions.checks import BULK_LIMIT
from crm.actions.core import Action, run_action
from crm.actions.inserts import insert_rows
from crm.actions.results import ActionRefused, ActionResult
from crm.actions.state import lead_state
from crm.actions.tables import LEADS
from crm.actions.text import check_text
from crm.distribution.assign import distribute_registered
from crm.time_zones import is_time_zone

REQUIRED = ("first_name", "last_name", "email", "phone", "country", "time_zone", "language")
# What a new lead is, whatever the caller passes: nobody owns or has touched it yet.
NEW_LEAD = {
    "status": "new",
    "desk": "conversion",
    "am_id": None,
    "is_starred": False,
    "starred_by_id": None,
    "starred_at": None,
    "priority": "normal",
    "callback_at": None,
    "compliance_status": "not_started",
    "version": 1,
}


def register_leads(
    target: sa.Engine | sa.Connection,
    people: Sequence[Mapping],
    *,
    action_id: str,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> ActionResult:
    """Create leads from registrations (lead columns; ``registered_at`` defaults to now) and
    queue each one's welcome mail. ``actor_id`` None: the platform itself, no person.

    The result's ``details["lead_ids"]`` are the new leads' ids, in the order given.
    """
    if not people:
        raise ActionRefused("no registration to record.")
    if len(people) > BULK_LIMIT:
        raise ActionRefused(
            f"{len(people):,} registrations at once, more than {BULK_LIMIT:,}: import in batches."
        )
    for number, person in enumerate(people, start=1):
        _check(number, person)

    def work(action: Action) -> str:
        lead_ids = insert_leads(action, people)
        action.details["lead_ids"] = lead_ids
        count = len(lead_ids)
        return f"{count:,} lead{'' if count == 1 else 's'} registered; welcome mail queued."

    return run_action(target, "register", work, action_id=action_id, actor_id=actor_id, now=now)


def insert_leads(action: Action, people: Sequence[Mapping]) -> list[int]:
    """Create leads (lead columns, checked by the caller; ``registered_at`` defaults to now),
    queue each one's welcome mail and audit each: the one place a lead comes into being, for
    every way in (the platform, the simulator, the ingest API, an import). Returns the new
    leads' ids, in the order given."""
    rows = [
        {
            "registered_at": action.now,
            "created_at": action.now,
            **person,
            **NEW_LEAD,
            "updated_at": action.now,
        }
        for person in people
    ]
    lead_ids = insert_rows(action.connection, LEADS, rows)
    mail_ids = mail.queue(
        action.connection,
        [
            mail.outbox_row(
                lead_id,
                "welcome",
                address=row["email"],
                first_name=row["first_name"],
                phone=row["phone"],
                now=action.now,
            )
            for lead_id, row in zip(lead_ids, rows, strict=True)
        ],
    )
    for lead_id, row, mail_id in zip(lead_ids, rows, mail_ids, strict=True):
        action.versions[lead_id] = 1
        action.audit(lead_id, None, {**lead_state(row), "email_id": mail_id})
    # The distribution rules (issue 25) assign them in the same transaction, when switched on.
    distribute_registered(
        action, [{**row, "id": lead_id} for lead_id, row in zip(lead_ids, rows, strict=True)]
    )
    return lead_ids


def _check(number: int, person: Mapping) -> None:
    missing = [name for name in REQUIRED if not str(person.get(name) or "").strip()]
    if missing:
        raise ActionRefused(f"registration {number} has no {', '.join(missing)}: fill it in.")
    for field, value in person.items():
        if isinstance(value, str):
            check_text(value, f"registration {number}: {field.replace('_', ' ')}")
    if "@" not in person["email"]:
        raise ActionRefused(f"registration {number}: {person['email']!r} is not an email address.")
    if not is_time_zone(person["time_zone"]):
        raise ActionRefused(
            f"registration {number}: {person['time_zone']!r} is not a time zone; use an IANA "
            "name like Europe/London."
        )
