"""Mail to a lead, queued in the outbox inside the action's own transaction.

Queued here, delivered later by ``python -m crm send-emails``: if the action rolls back, the
mail was never queued; if it commits, the mail goes out even if the sender is down right now.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from crm.actions.inserts import insert_rows
from crm.email import render_email
from crm.models import EmailOutbox

OUTBOX = EmailOutbox.__table__


def outbox_row(
    lead_id: int, template: str, *, address: str, first_name: str, phone: str, now: datetime
) -> dict:
    """The outbox row of ``template`` (welcome, reach_you) for one lead, due at once."""
    mail = render_email(template, first_name=first_name, phone=phone)
    return {
        "lead_id": lead_id,
        "template": template,
        "to_address": address,
        "subject": mail.subject,
        "body": mail.body,
        "status": "queued",
        "attempts": 0,
        "last_error": None,
        "next_attempt_at": now,
        "sent_at": None,
        "created_at": now,
        "updated_at": now,
    }


def queue(connection: sa.Connection, rows: list[dict]) -> list[int]:
    """Insert outbox rows; their ids, in order."""
    if not rows:
        return []
    return insert_rows(connection, OUTBOX, rows)
