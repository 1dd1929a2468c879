"""Who owns the leads an assignment moves: taking a lead from another AM asks for the reason
"reassignment" and a note, and the action's message states the credit rule for later deposits;
and whether the assigned leads are on the AM's list (starred) yet.

A deposit is credited to the AM who owns the lead when it arrives (``ingest_deposits``), so
the deposits made so far stay with the AM the lead is taken from.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from crm.actions.core import Action
from crm.actions.results import ActionRefused
from crm.reads import Owner, lead_owners

# The reason that takes a lead from the AM who owns it (with a note saying why).
TAKE_REASON = "reassignment"
SHOWN_OWNERS = 3


def check_taking(
    action: Action, rows: Mapping[int, sa.Row], am: sa.Row, reason: str, note: str | None
) -> dict[int, Owner]:
    """The leads of ``rows`` another AM owns (``{lead id: Owner}``), which this assignment
    takes from them. Refused, naming each owner, since when and what they earned from the lead,
    unless the reason is "reassignment" (or a review's own reason, ``reason`` None) and the
    manager wrote why in ``note``."""
    others = sorted(lead_id for lead_id, row in rows.items() if row.am_id not in (None, am.id))
    if not others:
        return {}
    owners = lead_owners(action.connection, others)
    if (reason is None or reason == TAKE_REASON) and note:
        action.details["taken_from"] = {lead_id: owners[lead_id].am_id for lead_id in others}
        return owners
    shown = "; ".join(f"lead {i} is {owners[i].words()}" for i in others[:SHOWN_OWNERS])
    if len(others) > SHOWN_OWNERS:
        shown += f"; and {len(others) - SHOWN_OWNERS:,} more owned by other AMs"
    how = "choose the reason reassignment and write" if reason is not None else "write"
    raise ActionRefused(f"{shown}: to take a lead from its AM, {how} a note saying why.")


def taken_words(taken: Mapping[int, Owner], am: sa.Row) -> str:
    """The credit rule for the leads taken from other AMs, for the action's message."""
    if not taken:
        return ""
    names = sorted({owner.am_name for owner in taken.values()})
    return (
        f"; taken from {_names(names)}: deposits made so far stay credited to "
        f"{_names(names)}, deposits from now on are credited to {am.name}"
    )


def on_the_list(action: Action, rows: Mapping[int, sa.Row], am: sa.Row, star: bool) -> str:
    """Whether the assigned leads are on the AM's list (starred) now, for the message."""
    if star:
        return f", starred: on {am.name}'s list now"
    waiting = sum(1 for row in rows.values() if not row.is_starred)
    if not waiting:
        return f", already starred: on {am.name}'s list"
    them = "it" if waiting == 1 else "them"
    if waiting == len(rows):
        return f", not on {am.name}'s list yet: star {them} to put {them} there"
    return f", {_leads(waiting)} not on {am.name}'s list yet: star {them} to put {them} there"


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _leads(count: int) -> str:
    return f"{count:,} lead" + ("" if count == 1 else "s")
