"""The state a page shows before the ETL catches up: each action's changes, kept in session
state and laid over the warehouse's rows (``overlay``, ``with_newly_starred``) until a
snapshot holds them.

A changed row is then held to the page's filters again (``Filters``): a lead assigned from the
new leads, or to another AM than the one filtered on, or a failed deposit reviewed under "open
only", leaves the list and its count at once, as the next ETL run would make it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from crm import actions as crm_actions
from crm import reads
from crm.live import SharedReads
from dashboard import formats, periods
from dashboard.data import query
from dashboard.viewer import crm_engine

CHANGES_KEY = "starboard.changed_leads"
CAUGHT_UP_KEY = "starboard.caught_up_at"
# How often a session reads the CRM's changed leads; a page run reads them once.
CATCH_UP_S = 2.0
# A lead written this shortly before the snapshot's read may have been missed by it (a
# transaction that committed after the read began); its version tells whether it was.
CATCH_UP_MARGIN = pd.Timedelta(seconds=60)
# More changed leads than this between two ETL runs: the newest only.
CATCH_UP_LIMIT = 5000
_CHANGED_LEADS = SharedReads(CATCH_UP_S)


@dataclass(frozen=True)
class Filters:
    """What a page's filters ask of each row, as the CRM's values of a lead (and of a deposit
    row) name it; None or False: anything. ``nobodys``: the new leads (no AM); ``open_only``:
    the failed deposits nobody reviewed yet; ``starred``: the leads on their AM's list."""

    am_id: int | None = None
    team_id: int | None = None
    desk: str | None = None
    status: str | None = None
    nobodys: bool = False
    starred: bool = False
    open_only: bool = False

    def hold(self, row: dict) -> bool:
        """Whether a row, with this session's changes laid over it, still passes them (a
        column the row does not carry is not held against it)."""
        asked = {
            "desk": self.desk,
            "status": self.status,
            **({} if self.nobodys else {"am_id": self.am_id, "team_id": self.team_id}),
        }
        for column, value in asked.items():
            if value is not None and column in row and row[column] != value:
                return False
        if self.nobodys and not _missing(row.get("am_id")):
            return False
        if self.starred and "is_starred" in row and not bool(row["is_starred"]):
            return False
        return not (self.open_only and bool(row.get("is_reviewed")))


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


STARRED = Filters(starred=True)


@dataclass(frozen=True)
class Change:
    """New values of a lead (or of a deposit row) since the warehouse's snapshot.

    A lead's change carries the lead's ``version`` after it: the snapshot holds it once its
    row has that version or a later one. A change that bumps no version (a note, a target
    board entry) is held by the first snapshot whose CRM read came after it (``at``).
    """

    at: datetime
    version: int | None
    values: dict

    def covered(self, row_version, as_of: pd.Timestamp | None) -> bool:
        if self.version is not None:
            return not pd.isna(row_version) and int(row_version) >= self.version
        return as_of is not None and as_of > pd.Timestamp(self.at)


def _changes() -> dict[str, dict[int, list[Change]]]:
    return st.session_state.setdefault(CHANGES_KEY, {"lead_id": {}, "deposit_id": {}})


def catch_up() -> None:
    """Take in the leads anyone changed since the warehouse's snapshot read the CRM (a star set
    in a manager's session shows at once on the AM's list), as this session's own actions are:
    one read by the leads' indexed ``updated_at``, at most once per ``CATCH_UP_S``."""
    state = st.session_state
    moment = time.monotonic()
    if moment - state.get(CAUGHT_UP_KEY, -CATCH_UP_S) < CATCH_UP_S:
        return
    state[CAUGHT_UP_KEY] = moment
    as_of = _snapshot_as_of()
    if as_of is None:
        return
    runs = query("freshness")
    lag = runs.iloc[0].get("replica_lag_s") if "replica_lag_s" in runs else None
    # A replica that lagged was read as of that much earlier.
    lag = 0.0 if lag is None or pd.isna(lag) else float(lag)
    since = as_of - pd.Timedelta(seconds=lag) - CATCH_UP_MARGIN
    engine = crm_engine()

    def read() -> list[dict]:
        with engine.connect() as connection:
            return reads.leads_changed_since(connection, since.to_pydatetime(), CATCH_UP_LIMIT)

    try:
        # Every session on this snapshot asks the same: one read per tick serves them all.
        rows, _ = _CHANGED_LEADS.get((str(engine.url), since), read)
    except sa.exc.SQLAlchemyError:
        return  # no CRM to read: the warehouse's rows, as of its run
    by_lead = _changes()["lead_id"]
    at = periods.now()
    for lead_id, values in _states(rows).items():
        known = by_lead.get(lead_id)
        if known and known[-1].version is not None and known[-1].version >= values["version"]:
            continue
        by_lead.setdefault(lead_id, []).append(Change(at, values["version"], values))


def _snapshot_as_of() -> pd.Timestamp | None:
    runs = query("freshness")
    if runs.empty:
        return None
    return utc(runs.iloc[0]["as_of"])


def overlay(rows: pd.DataFrame, filters: Filters | None = None) -> pd.DataFrame:
    """``rows`` (a lead or deposit query's result) with the changes this session made that the
    warehouse does not hold yet; a changed row that no longer passes the page's ``filters``
    leaves, and ``matched`` (the count above the list) with it. Changes the warehouse now
    holds are forgotten."""
    if rows.empty:
        return rows
    catch_up()
    changes = st.session_state.get(CHANGES_KEY)
    if not changes or not any(changes.values()):
        return rows
    as_of = _snapshot_as_of()
    rows = rows.copy()
    # Each changed row's values, with the changes' columns the rows lack (a lead's team).
    changed: dict[int, dict] = {}
    for id_column, by_id in changes.items():
        if id_column not in rows or not by_id:
            continue
        for position, row_id in enumerate(rows[id_column].tolist()):
            pending = by_id.get(int(row_id))
            if not pending:
                continue
            version = rows["version"].iloc[position] if "version" in rows else None
            pending[:] = [change for change in pending if not change.covered(version, as_of)]
            for change in pending:
                changed.setdefault(position, {}).update(change.values)
                for column, value in change.values.items():
                    if column in rows:
                        _set(rows, position, column, value)
    if filters is None or not changed:
        return rows
    gone = [
        position
        for position, values in changed.items()
        if not filters.hold(rows.iloc[position].to_dict() | values)
    ]
    if not gone:
        return rows
    kept = rows.drop(index=rows.index[gone])
    if "matched" in kept and not kept.empty:
        # The count above the list ("N of M shown") counts the rows that left out too.
        kept = kept.assign(matched=kept["matched"] - len(gone))
    return kept


def _set(rows: pd.DataFrame, position: int, column: str, value) -> None:
    values = rows[column].tolist()
    values[position] = value
    try:
        rows[column] = pd.Series(values, index=rows.index, dtype=rows[column].dtype)
    except (TypeError, ValueError):
        # e.g. an owner given to a column of ids that held no missing value: any dtype will do.
        rows[column] = pd.Series(values, index=rows.index)


def with_newly_starred(
    starred: pd.DataFrame, clock: dict, *, team_id: int | None, am_id: int | None
) -> pd.DataFrame:
    """``starred`` (a ``starred_leads`` result) with the leads this session starred since the
    warehouse's snapshot, of the team or AM the page shows (None: any), read with the same
    ``clock`` (``lead_table.clock()``): a star or an end of shift shows at once."""
    catch_up()
    missing = _newly_starred(starred, team_id=team_id, am_id=am_id)
    if not missing:
        return starred
    extra = query("leads_by_id", **clock, lead_ids=missing)
    rows = pd.concat([starred, extra], ignore_index=True) if not starred.empty else extra
    rows["matched"] = len(rows)
    return rows


def newly_starred(am_id: int) -> list[int]:
    """The leads starred for the AM ``am_id`` since the warehouse's snapshot, by this session
    or anyone (``catch_up``): what My leads lists beside the snapshot's."""
    catch_up()
    return _newly_starred(pd.DataFrame(), team_id=None, am_id=am_id)


def with_calls_now(totals: dict, am_id: int, day: date) -> dict:
    """``totals`` (a ``sales_totals`` row of the AM ``am_id`` for ``day``) with the calls, the
    connected calls and their ratio counted in the CRM now when ``day`` is today: a call just
    logged (or one replaced) counts at once, as on the list below it."""
    if day != periods.today():
        return totals
    first = datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc)
    # Up to now: a call stamped in the future is one the warehouse leaves out too.
    last = min(first + timedelta(days=1), periods.now() + timedelta(microseconds=1))
    try:
        with crm_engine().connect() as connection:
            calls, connected = reads.am_calls(connection, am_id, first, last)
    except sa.exc.SQLAlchemyError:
        return totals  # no CRM to read: the warehouse's figures, as of its run
    ratio = round(connected / calls, 4) if calls else None
    return {**totals, "calls": calls, "connected_calls": connected, "call_ratio": ratio}


def per_am_with_changes(
    per_am: pd.DataFrame, clock: dict, *, team_id: int | None, am_id: int | None
) -> pd.DataFrame:
    """``per_am`` (a ``starred_per_am`` result) with the stars this session changed since the
    warehouse's snapshot counted in: each changed lead leaves its AM's counts as the snapshot
    had it and joins them as the CRM holds it now, so the counts agree with the list below."""
    catch_up()
    pending = {
        lead_id: changes[-1] for lead_id, changes in _changes()["lead_id"].items() if changes
    }
    if not pending:
        return per_am
    snapshot = query("leads_by_id", **clock, lead_ids=sorted(pending))
    if snapshot.empty:
        return per_am
    as_of = _snapshot_as_of()
    due_by = pd.Timestamp(clock["now"]) + pd.Timedelta(days=1)
    counts = {_am_key(row["am_id"]): dict(row) for row in per_am.to_dict("records")}

    def due(callback) -> int:
        return int(not pd.isna(callback) and utc(callback) <= utc(due_by))

    for row in snapshot.to_dict("records"):
        change = pending[int(row["lead_id"])]
        if change.covered(row["version"], as_of):
            continue
        callable_now = int(bool(row["inside_calling_hours"]))
        before = counts.get(_am_key(row["am_id"]))
        if bool(row["is_starred"]) and before is not None:
            before["starred"] -= 1
            before["callable_now"] -= callable_now
            before["callbacks_due"] -= due(row["callback_at"])
        now = change.values
        in_scope = (am_id is None or now.get("am_id") == am_id) and (
            team_id is None or now.get("team_id") == team_id
        )
        if now.get("is_starred") and in_scope:
            after = counts.setdefault(
                _am_key(now.get("am_id")),
                {
                    "am_id": now.get("am_id"),
                    "am_name": now.get("am_name"),
                    "team_name": now.get("team_name"),
                    "starred": 0,
                    "callable_now": 0,
                    "callbacks_due": 0,
                },
            )
            after["starred"] += 1
            after["callable_now"] += callable_now
            after["callbacks_due"] += due(now.get("callback_at"))
    rows = [row for row in counts.values() if row["starred"] > 0]
    if not rows:
        return per_am.iloc[0:0]
    result = pd.DataFrame(rows, columns=per_am.columns)
    result["_name"] = result["am_name"].fillna("\uffff")
    result = result.sort_values(["starred", "_name"], ascending=[False, True], kind="stable")
    return result.drop(columns="_name").reset_index(drop=True)


def _am_key(am_id) -> int:
    # The starred leads without an AM form one row, as in the warehouse's query.
    return -1 if am_id is None or pd.isna(am_id) else int(am_id)


def _newly_starred(shown: pd.DataFrame, *, team_id: int | None, am_id: int | None) -> list[int]:
    listed = set(shown["lead_id"].tolist()) if not shown.empty else set()
    found = []
    for lead_id, pending in _changes()["lead_id"].items():
        if lead_id in listed or not pending:
            continue
        state = pending[-1].values
        if not state.get("is_starred"):
            continue
        if am_id is not None and state.get("am_id") != am_id:
            continue
        if team_id is not None and state.get("team_id") != team_id:
            continue
        found.append(lead_id)
    return sorted(found)


def remember(engine: sa.Engine, result: crm_actions.ActionResult, at: datetime) -> None:
    """Keep the new state of the leads ``result`` changed, as the CRM holds it now."""
    if not result.versions:
        return
    global _CHANGED_LEADS
    # Every session of this server reads the CRM's changes afresh: the next one opened (the
    # AM's list) shows this action at once, not up to a tick later.
    _CHANGED_LEADS = SharedReads(CATCH_UP_S)
    by_lead = _changes()["lead_id"]
    for lead_id, values in _lead_state(engine, list(result.versions)).items():
        by_lead.setdefault(lead_id, []).append(Change(at, values["version"], values))


def remember_rows(column: str, ids: list[int], at: datetime, values: dict) -> None:
    by_id = _changes()[column]
    for row_id in ids:
        by_id.setdefault(int(row_id), []).append(Change(at, None, values))


def _lead_state(engine: sa.Engine, lead_ids: list[int]) -> dict[int, dict]:
    with engine.connect() as connection:
        return _states(reads.lead_states(connection, lead_ids))


def _states(rows: list[dict]) -> dict[int, dict]:
    """``{lead id: the values a page's rows take}`` of ``reads.lead_states`` rows."""
    state = {}
    for row in rows:
        callback_at = row["callback_at"]
        callback = pd.Timestamp(callback_at) if callback_at is not None else pd.NaT
        local = pd.NaT
        if callback_at is not None:
            local = pd.Timestamp(callback_at.astimezone(lead_zone(row["time_zone"])))
            local = local.tz_localize(None)
        state[row["lead_id"]] = {
            "am_id": row["am_id"],
            "am_name": row["am_name"],
            "team_id": row["team_id"],
            "team_name": row["team_name"],
            "desk": row["desk"],
            "status": row["status"],
            "is_starred": bool(row["is_starred"]),
            "priority": row["priority"],
            "callback_at": callback,
            "callback_local": local,
            "version": row["version"],
            # The distribution's explanation holds while its assignment is the lead's latest
            # and gave the lead its AM (mart_lead_priority.why_assigned's rule).
            "why_assigned": row["assignment_note"]
            if row["assignment_reason"] == "auto" and row["assigned_to_id"] == row["am_id"]
            else None,
        }
        if row["am_id"] is not None and row["assignment_reason"] is not None:
            # What My leads shows on the row: why the lead is the AM's, the manager's note.
            state[row["lead_id"]]["starred_because"] = formats.words(row["assignment_reason"])
            if row["assignment_note"] and row["assigned_by_id"] != row["am_id"]:
                state[row["lead_id"]]["manager_note"] = row["assignment_note"]
    return state


def lead_zone(name: str | None) -> ZoneInfo:
    """The lead's zone; UTC for an empty or unknown one."""
    try:
        return ZoneInfo((name or "").strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


def utc(moment) -> pd.Timestamp:
    """``moment`` as an aware UTC timestamp (a naive one is UTC)."""
    moment = pd.Timestamp(moment)
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment
