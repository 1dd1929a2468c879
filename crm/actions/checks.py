"""Checks of what people send to an action: ids, versions, notes, the action id and time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from numbers import Integral
from typing import Any

from crm.actions.results import ActionRefused
from crm.actions.text import check_text

BULK_LIMIT = 1_000
NOTE_MAX_CHARS = 2_000
ACTION_ID_MAX_CHARS = 64
SHOWN_IDS = 5


def whole(value: Any, what: str, *, none: bool = False) -> int | None:
    """An id, version or count as a plain ``int`` (None stays None with ``none``); refused
    when it is not a whole number.

    Ids taken from a dataframe are numpy integers, which the database drivers do not take as
    numbers (SQLite binds one as a blob, which matches no row) and JSON does not write."""
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ActionRefused(f"{what} {value!r} is not a whole number.")
    return int(value)


def seen_versions(leads: Any, limit: int = BULK_LIMIT) -> dict[int, int]:
    """``{lead id: version the person saw}`` from a mapping, (lead_id, version) pairs, or
    objects with ``lead_id`` and ``version`` (``crm.shift``'s LeadRef); refused when empty,
    contradictory or over ``limit``."""
    if isinstance(leads, Mapping):
        pairs: Iterable = leads.items()
    else:
        pairs = (
            (lead.lead_id, lead.version) if hasattr(lead, "lead_id") else tuple(lead)
            for lead in leads
        )
    seen: dict[int, int] = {}
    for lead_id, version in pairs:
        # Integral, not int: ids taken from a dataframe are numpy integers.
        if isinstance(lead_id, bool) or not isinstance(lead_id, Integral):
            raise ActionRefused(f"{lead_id!r} is not a lead id: pick leads from the list.")
        if isinstance(version, bool) or not isinstance(version, Integral):
            raise ActionRefused(f"lead {lead_id}: {version!r} is not a version; reload the list.")
        lead_id, version = int(lead_id), int(version)
        if seen.setdefault(lead_id, version) != version:
            raise ActionRefused(f"lead {lead_id} is listed twice with different versions.")
    if not seen:
        raise ActionRefused("no lead selected: pick at least one lead.")
    if len(seen) > limit:
        raise ActionRefused(
            f"{len(seen):,} leads selected, more than {limit:,} at once: narrow the filter or "
            "act in several steps."
        )
    return seen


def clean_note(note: str | None, *, required: bool) -> str | None:
    """The note without outer blanks; refused when required and empty, or too long."""
    text = (note or "").strip()
    if not text:
        if required:
            raise ActionRefused("the note is empty: write what happened.")
        return None
    if len(text) > NOTE_MAX_CHARS:
        raise ActionRefused(
            f"the note is {len(text):,} characters, more than {NOTE_MAX_CHARS:,}: shorten it."
        )
    check_text(text, "the note", multiline=True)
    return text


def check_action_id(action_id: str) -> None:
    """Refuse an action id that is empty or longer than the ``applied_actions`` key holds."""
    if not isinstance(action_id, str) or not action_id.strip():
        raise ActionRefused("the action has no id: make one with crm.actions.new_action_id().")
    if len(action_id) > ACTION_ID_MAX_CHARS:
        raise ActionRefused(f"the action id is longer than {ACTION_ID_MAX_CHARS} characters.")


def to_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive time is a caller's mistake, not a person's: ValueError."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware (UTC) time")
    return moment.astimezone(timezone.utc)


def ids_text(ids: list[int]) -> str:
    """Up to five ids for a message, then how many more."""
    shown = ", ".join(str(i) for i in ids[:SHOWN_IDS])
    return shown + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")
