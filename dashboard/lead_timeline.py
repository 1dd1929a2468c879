"""A lead's whole history as one timeline, newest first, in people's words: registration,
assignments, stars, calls, notes, deposit attempts, e-mails, platform sessions (one line per
day) and support tickets, each with when, what, who and the details."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pandas as pd

from crm.lead_file import LeadFile
from dashboard.formats import duration, money, words

COLUMNS = ("When", "What", "Who", "Details")


@dataclass(frozen=True)
class Event:
    at: datetime
    what: str
    who: str
    details: str


def timeline(file: LeadFile, zone: ZoneInfo) -> pd.DataFrame:
    """Every event of ``file`` newest first (``COLUMNS``; "When" in ``zone``). Events at the
    same moment keep the order a lead lives them: registered, assigned, starred, then the rest."""
    history = file.history
    their_zone = lead_zone(file.profile["time_zone"])
    events = [
        *_registered(file.profile),
        *_assignments(history["lead_assignments"]),
        *_stars(file.profile, history["lead_audit"]),
        *_calls(history["lead_calls"], history["lead_audit"], their_zone),
        *_notes(history["lead_notes"]),
        *_deposits(history["lead_deposits"]),
        *_emails(history["lead_emails"]),
        *_sessions(history["lead_sessions"], zone),
        *_tickets(history["lead_tickets"]),
    ]
    # A stable sort on time alone keeps same-moment events in the order listed above.
    events.sort(key=lambda event: _utc(event.at), reverse=True)
    frame = pd.DataFrame(
        [(_utc(e.at), e.what, e.who, e.details) for e in events], columns=list(COLUMNS)
    )
    frame["When"] = pd.to_datetime(frame["When"], utc=True).dt.tz_convert(zone)
    return frame


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def lead_zone(name: str | None) -> ZoneInfo:
    """The lead's time zone; UTC when it is blank or unknown."""
    try:
        return ZoneInfo((name or "").strip() or "UTC")
    except (ValueError, OSError):
        return ZoneInfo("UTC")


def _span(first: datetime, last: datetime) -> str:
    return duration((_utc(last) - _utc(first)).total_seconds())


def _name(name: str | None, none: str = "") -> str:
    return name if name else none


def _registered(lead: dict) -> list[Event]:
    source = [f"from {lead['source']}"] if lead.get("source") else []
    if lead.get("campaign"):
        source.append(f"campaign {lead['campaign']}")
    if lead.get("affiliate"):
        source.append(f"affiliate {lead['affiliate']}")
    return [Event(lead["registered_at"], "Registered", "", ", ".join(source))]


def _assignments(rows: list[dict]) -> list[Event]:
    events = []
    for row in rows:
        details = f"{_name(row['from_am_name'], 'nobody')} → {_name(row['to_am_name'])}"
        if row["from_desk"] and row["from_desk"] != row["to_desk"]:
            details += f" (from the {row['from_desk']} desk to the {row['to_desk']} desk)"
        if row["reason"] == "auto":
            # The distribution rules' one-line explanation of their choice (issue 25).
            details += "; by the distribution rules"
            details += f": {row['note']}" if row["note"] else ""
        else:
            details += f"; reason: {words(row['reason'])}"
            if row["note"]:
                details += f"; note: {row['note']}"
        events.append(Event(row["assigned_at"], "Assigned", _name(row["by_name"]), details))
    return events


def _stars(lead: dict, audit: list[dict]) -> list[Event]:
    events = []
    for row in audit:
        before, after = row["before"] or {}, row["after"] or {}
        if row["action"] == "end_of_shift" and before.get("is_starred") and after.get("starred_at"):
            # A lead starred already and starred again: due next, or a missed callback.
            events.append(
                Event(row["at"], "Starred", _name(row["actor_name"]), "again at end of shift")
            )
            continue
        if "is_starred" not in after or bool(before.get("is_starred")) == bool(after["is_starred"]):
            continue
        starred = bool(after["is_starred"])
        how = "at end of shift" if row["action"] == "end_of_shift" else ""
        if row["action"] not in ("star", "unstar", "end_of_shift"):
            how = f"with {words(row['action'])}"
        what = "Starred" if starred else "Unstarred"
        events.append(Event(row["at"], what, _name(row["actor_name"]), how))
    # A star the audit does not hold (set before Starboard, or by an import) still shows.
    starred_at = lead.get("starred_at")
    held = starred_at is not None and any(
        e.what == "Starred" and _utc(e.at) == _utc(starred_at) for e in events
    )
    if lead.get("is_starred") and starred_at is not None and not held:
        events.append(Event(starred_at, "Starred", _name(lead["starred_by_name"]), ""))
    return events


def _calls(rows: list[dict], audit: list[dict], lead_zone: ZoneInfo) -> list[Event]:
    callbacks = {}
    for row in audit:
        after = row["after"] or {}
        if row["action"] == "log_call" and after.get("call_id") is not None:
            callbacks[after["call_id"]] = after.get("callback_at")
    events = []
    for row in rows:
        details = words(row["outcome"])
        if row["duration_s"]:
            details += f", {duration(row['duration_s'])}"
        callback = callbacks.get(row["call_id"])
        if callback:
            local = datetime.fromisoformat(callback).astimezone(lead_zone)
            details += f"; callback set for {local:%a %d %b %H:%M} (lead's time)"
        events.append(Event(row["started_at"], "Call", _name(row["am_name"]), details))
    return events


def _notes(rows: list[dict]) -> list[Event]:
    return [
        Event(row["created_at"], "Note", _name(row["author_name"]), row["body"] or "")
        for row in rows
    ]


def _deposits(rows: list[dict]) -> list[Event]:
    events = []
    for row in rows:
        details = money(row["amount"], row["currency"])
        if row["currency"] != "USD":
            details += f" ({money(row['amount_usd'], 'USD')})"
        details += f" by {words(row['method'])} via {row['provider']}: {words(row['status'])}"
        if row["decline_reason"]:
            details += f" ({words(row['decline_reason'])})"
        extras = [
            label
            for label, flag in (("FTD", row["is_ftd"]), ("self deposit", row["is_self_deposit"]))
            if flag
        ]
        if row["am_name"]:
            extras.append(f"credited to {row['am_name']}")
        if extras:
            details += "; " + ", ".join(extras)
        events.append(Event(row["created_at"], "Deposit attempt", "", details))
        if row["board_recorded_at"] is not None:
            amount = money(row["amount_usd"], "USD")
            events.append(
                Event(
                    row["board_recorded_at"],
                    "Target board",
                    _name(row["board_recorded_by_name"]),
                    f"deposit {row['deposit_id']} of {amount} on {row['board_am_name']}'s board",
                )
            )
    return events


def _emails(rows: list[dict]) -> list[Event]:
    events = []
    for row in rows:
        details = f"{words(row['template'])} mail: {words(row['status'])}"
        if row["status"] == "sent" and row["sent_at"] is not None:
            details += f" after {_span(row['created_at'], row['sent_at'])}"
        if row["status"] == "failed" or row["last_error"]:
            tries = row["attempts"] or 0
            details += f" after {tries} attempt{'' if tries == 1 else 's'}"
            if row["last_error"]:
                details += f": {row['last_error']}"
        events.append(Event(row["created_at"], "E-mail", "", details))
    return events


def _sessions(rows: list[dict], zone: ZoneInfo) -> list[Event]:
    """One line per day (in the viewer's zone): how many logins, time online, devices."""
    days: dict = defaultdict(list)
    for row in rows:
        days[_utc(row["login_at"]).astimezone(zone).date()].append(row)
    events = []
    for sessions in days.values():
        seconds = sum(
            max(
                0.0,
                (_utc(s["logout_at"] or s["last_seen_at"]) - _utc(s["login_at"])).total_seconds(),
            )
            for s in sessions
        )
        devices = sorted({s["device"] for s in sessions if s["device"]})
        count = len(sessions)
        details = f"{count} session{'' if count == 1 else 's'}, {duration(seconds)} online"
        if devices:
            details += f" ({', '.join(devices)})"
        if any(s["logout_at"] is None for s in sessions):
            details += "; not logged out"
        latest = max(_utc(s["last_seen_at"]) for s in sessions)
        events.append(Event(latest, "Platform", "", details))
    return events


def _tickets(rows: list[dict]) -> list[Event]:
    events = []
    for row in rows:
        details = f"{row['subject']} ({words(row['priority'])} priority, {words(row['status'])}"
        if row["closed_at"] is not None:
            details += f" after {_span(row['opened_at'], row['closed_at'])}"
        details += ")"
        if row["owner_name"]:
            details += f"; owner: {row['owner_name']}"
        events.append(Event(row["opened_at"], "Support ticket", "", details))
    return events
