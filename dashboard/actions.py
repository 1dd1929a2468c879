"""The action widgets the pages share, and the only code of the dashboard that calls
``crm.actions``: assign, star and unstar, note, the failed- and new-deposit reviews, end of
shift, call outcome, and undo of a bulk assignment.

How every widget acts:

- It writes from an ``on_click`` callback, which runs before the page is drawn again, so the
  page that follows already shows the change.
- Its action id lives in session state (``<key>.action_id``) and is bound to the button when
  the button is drawn; it is renewed only after a success. A double click, or a rerun that
  sends the click again, carries the same id, and the CRM answers with the first result
  without writing again.
- The versions it sends are those of the rows the page showed (the selected rows), never
  re-read before the write: a lead someone changed meanwhile is refused (``LeadChanged``).
- Success: a toast with the action's message, and the changed leads' new state (read back
  from the CRM) kept in session state. ``overlay`` lays that state over the rows a page shows
  until a warehouse snapshot holds it, so the page shows the change at once, without waiting
  for the ETL. A refusal: its one line under the widget, whose inputs stay as they were.
- Nobody signed in: the widgets are shown disabled, with "Sign in to act.".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from crm import actions as crm_actions
from crm import settings as crm_settings
from crm.errors import UserError
from crm.models import Lead, Staff, Team
from crm.shift import ShiftPlan, plan_end_of_shift
from dashboard import formats, periods
from dashboard.data import query, viewer_time_zone
from dashboard.viewer import Viewer, crm_engine, current_viewer

SIGN_IN = "Sign in to act."
CHANGES_KEY = "starboard.changed_leads"
# The reasons the lead pages assign for; failed deposits and upsales have their own reviews.
LEAD_REASONS = ("new_lead", "follow_up", "reassignment", "retention")
CALL_OUTCOMES = {
    "connected": "Connected",
    "no_answer": "No answer (set a callback)",
    "wrong_number": 'Wrong number (sends the "reach you" mail)',
}
CALLBACK_HOUR = time(10, 0)
PREVIEW_ROWS = 200

LEADS = Lead.__table__
STAFF = Staff.__table__
TEAMS = Team.__table__


# The state shown before the ETL catches up ----------------------------------------------------


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


def _snapshot_as_of() -> pd.Timestamp | None:
    runs = query("freshness")
    if runs.empty:
        return None
    return _utc(runs.iloc[0]["as_of"])


def overlay(rows: pd.DataFrame, *, starred_only: bool = False) -> pd.DataFrame:
    """``rows`` (a lead or deposit query's result) with the changes this session made that the
    warehouse does not hold yet; ``starred_only`` leaves out the leads unstarred since (the
    star board, My leads). Changes the warehouse now holds are forgotten."""
    changes = st.session_state.get(CHANGES_KEY)
    if rows.empty or not changes or not any(changes.values()):
        return rows
    as_of = _snapshot_as_of()
    rows = rows.copy()
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
                for column, value in change.values.items():
                    if column in rows:
                        _set(rows, position, column, value)
    if starred_only and "is_starred" in rows:
        rows = rows[rows["is_starred"].fillna(False).astype(bool)]
    return rows


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
    missing = _newly_starred(starred, team_id=team_id, am_id=am_id)
    if not missing:
        return starred
    extra = query("leads_by_id", **clock, lead_ids=missing)
    rows = pd.concat([starred, extra], ignore_index=True) if not starred.empty else extra
    rows["matched"] = len(rows)
    return rows


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


def _remember(engine: sa.Engine, result: crm_actions.ActionResult, at: datetime) -> None:
    """Keep the new state of the leads ``result`` changed, as the CRM holds it now."""
    if not result.versions:
        return
    by_lead = _changes()["lead_id"]
    for lead_id, values in _lead_state(engine, list(result.versions)).items():
        by_lead.setdefault(lead_id, []).append(Change(at, values["version"], values))


def _remember_rows(column: str, ids: list[int], at: datetime, values: dict) -> None:
    by_id = _changes()[column]
    for row_id in ids:
        by_id.setdefault(int(row_id), []).append(Change(at, None, values))


def _lead_state(engine: sa.Engine, lead_ids: list[int]) -> dict[int, dict]:
    statement = (
        sa.select(
            LEADS.c.id,
            LEADS.c.am_id,
            STAFF.c.name.label("am_name"),
            STAFF.c.team_id,
            TEAMS.c.name.label("team_name"),
            LEADS.c.desk,
            LEADS.c.status,
            LEADS.c.is_starred,
            LEADS.c.priority,
            LEADS.c.callback_at,
            LEADS.c.time_zone,
            LEADS.c.version,
        )
        .select_from(
            LEADS.outerjoin(STAFF, STAFF.c.id == LEADS.c.am_id).outerjoin(
                TEAMS, TEAMS.c.id == STAFF.c.team_id
            )
        )
        .where(LEADS.c.id.in_(lead_ids))
    )
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    state = {}
    for row in rows:
        callback = pd.Timestamp(row.callback_at) if row.callback_at is not None else pd.NaT
        local = pd.NaT
        if row.callback_at is not None:
            local = pd.Timestamp(row.callback_at.astimezone(_zone(row.time_zone))).tz_localize(None)
        state[row.id] = {
            "am_id": row.am_id,
            "am_name": row.am_name,
            "team_id": row.team_id,
            "team_name": row.team_name,
            "desk": row.desk,
            "status": row.status,
            "is_starred": bool(row.is_starred),
            "priority": row.priority,
            "callback_at": callback,
            "callback_local": local,
            "version": row.version,
        }
    return state


# How a widget acts ----------------------------------------------------------------------------


def _action_id(key: str) -> str:
    return st.session_state.setdefault(f"{key}.action_id", crm_actions.new_action_id())


def _submit(label: str, key: str, callback: Callable, *args, **options) -> None:
    """The button that runs ``callback(key, action_id, *args)`` with this widget's action id.

    The button's key holds the id. Once a success renews the id, the page is drawn with a new
    button: the second click of a double click, sent from the page drawn before, then finds no
    button and does nothing; if it arrives before the page is drawn again, it still carries the
    first click's id, and the CRM answers with the first result without writing again.
    """
    action_id = _action_id(key)
    st.button(
        label,
        key=f"{key}.submit.{action_id}",
        on_click=callback,
        args=(key, action_id, *args),
        **options,
    )


def _act(
    key: str, action_id: str, perform: Callable[..., crm_actions.ActionResult]
) -> datetime | None:
    """Run ``perform(engine, actor_id=..., action_id=..., now=...)`` for the signed-in person:
    the callback behind every widget's button. Returns the action's moment when it applied."""
    st.session_state.pop(f"{key}.error", None)
    now = periods.now()
    try:
        viewer = current_viewer()
        if viewer is None:
            raise UserError(SIGN_IN)
        engine = crm_engine()
        result = perform(engine, actor_id=viewer.staff_id, action_id=action_id, now=now)
        _remember(engine, result, now)
    except UserError as error:
        st.session_state[f"{key}.error"] = str(error)
        return None
    except sa.exc.DBAPIError as error:
        st.session_state[f"{key}.error"] = (
            f"the CRM did not take the change ({type(error.orig).__name__}): nothing was "
            "saved; try again in a moment."
        )
        return None
    st.session_state[f"{key}.action_id"] = crm_actions.new_action_id()
    st.toast(formats.plain(result.message))
    return now


def _show_error(key: str) -> None:
    error = st.session_state.get(f"{key}.error")
    if error:
        st.error(formats.plain(error))


def _words(reason: str) -> str:
    return reason.replace("_", " ")


def _seen(rows: pd.DataFrame) -> dict[int, int]:
    """``{lead id: version}`` as the page showed them."""
    pairs = rows[["lead_id", "version"]].drop_duplicates()
    return {int(lead): int(version) for lead, version in pairs.itertuples(index=False)}


def _leads(count: int) -> str:
    return f"{count:,} lead" + ("" if count == 1 else "s")


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo((name or "").strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


def _account_managers(desk: str | None) -> dict[int, str]:
    """The active AMs (of ``desk``; any desk when None), read from the CRM now: the choice an
    action will accept, not the one of the last ETL run."""
    statement = (
        sa.select(STAFF.c.id, STAFF.c.name)
        .where(STAFF.c.role == "account_manager", STAFF.c.is_active.is_(True))
        .order_by(STAFF.c.name, STAFF.c.id)
    )
    if desk is not None:
        statement = statement.where(STAFF.c.desk == desk)
    with crm_engine().connect() as connection:
        rows = connection.execute(statement).all()
    labels: dict[int, str] = {}
    names = [row.name for row in rows]
    for row in rows:
        labels[row.id] = f"{row.name} (#{row.id})" if names.count(row.name) > 1 else row.name
    return labels


def _am_choice(
    key: str, desk: str | None, viewer: Viewer | None, disabled: bool, default: int | None = None
) -> int | None:
    ams = _account_managers(desk) if viewer is not None else {}
    options = list(ams)
    index = options.index(default) if default in ams else None
    where = f" of the {desk} desk" if desk else ""
    return st.selectbox(
        "Account manager",
        options,
        index=index,
        format_func=lambda am_id: ams.get(am_id, str(am_id)),
        placeholder=f"Choose an active AM{where}",
        key=key,
        disabled=disabled,
    )


def _one_row(selected: pd.DataFrame, noun: str) -> str | None:
    """Why a one-row widget cannot act on ``selected``, or None."""
    if selected.empty:
        return f"Select a {noun} in the table."
    if len(selected) > 1:
        return f"Select one {noun} at a time ({len(selected):,} are selected)."
    return None


def _header(title: str, viewer: Viewer | None, why_not: str | None) -> bool:
    """The widget's title and why it cannot act now; True when it is disabled."""
    st.markdown(f"**{title}**")
    if viewer is None:
        st.caption(SIGN_IN)
        return True
    if why_not:
        st.caption(why_not)
        return True
    return False


# The widgets ----------------------------------------------------------------------------------


def assign_form(
    selected: pd.DataFrame, *, key: str, reasons: tuple[str, ...] = LEAD_REASONS
) -> None:
    """Assign the selected leads (``lead_id``, ``version``, ``desk``) to an active AM of their
    desk (the retention desk for the retention reason), with a reason and an optional note; up
    to ``crm.actions.BULK_LIMIT`` at once. Undo of the viewer's bulk assignments below it."""
    viewer = current_viewer()
    count = len(selected)
    why_not = None
    if selected.empty:
        why_not = "Select leads in the table to assign them."
    elif count > crm_actions.BULK_LIMIT:
        why_not = f"{count:,} leads selected: assign at most {crm_actions.BULK_LIMIT:,} at once."
    with st.container(border=True):
        disabled = _header("Assign", viewer, why_not)
        reason_column, am_column = st.columns(2)
        with reason_column:
            reason = st.selectbox(
                "Reason", reasons, format_func=_words, key=f"{key}.reason", disabled=disabled
            )
        desks = set(selected["desk"].dropna()) if "desk" in selected else set()
        desk = "retention" if reason == "retention" else (desks.pop() if len(desks) == 1 else None)
        with am_column:
            _am_choice(f"{key}.am", desk, viewer, disabled)
        st.text_input(
            "Note (optional)",
            key=f"{key}.note",
            max_chars=crm_actions.NOTE_MAX_CHARS,
            disabled=disabled,
        )
        _submit(
            f"Assign {_leads(count)}" if count else "Assign",
            key,
            _assign,
            _seen(selected) if count else {},
            type="primary",
            disabled=disabled,
        )
        _show_error(key)
        with st.expander("Undo a bulk assignment of this shift"):
            undo_form(key=f"{key}.undo", viewer=viewer)


def _assign(key: str, action_id: str, seen: dict[int, int]) -> None:
    state = st.session_state

    def perform(engine, **who):
        return crm_actions.assign(
            engine,
            **who,
            leads=seen,
            am_id=state.get(f"{key}.am"),
            reason=state.get(f"{key}.reason"),
            note=state.get(f"{key}.note"),
        )

    if _act(key, action_id, perform) is not None:
        state[f"{key}.note"] = ""


def star_buttons(selected: pd.DataFrame, *, key: str) -> None:
    """Star or unstar the selected leads (``lead_id``, ``version``)."""
    viewer = current_viewer()
    count = len(selected)
    why_not = "Select leads in the table to star or unstar them." if selected.empty else None
    with st.container(border=True):
        disabled = _header("Star", viewer, why_not)
        seen = _seen(selected) if count else {}
        star_column, unstar_column = st.columns(2)
        with star_column:
            _submit(
                f"Star {_leads(count)}" if count else "Star",
                f"{key}.star",
                _star,
                seen,
                crm_actions.star,
                icon="⭐",
                disabled=disabled,
            )
        with unstar_column:
            _submit(
                f"Unstar {_leads(count)}" if count else "Unstar",
                f"{key}.unstar",
                _star,
                seen,
                crm_actions.unstar,
                disabled=disabled,
            )
        _show_error(f"{key}.star")
        _show_error(f"{key}.unstar")


def _star(key: str, action_id: str, seen: dict[int, int], action) -> None:
    _act(key, action_id, lambda engine, **who: action(engine, **who, leads=seen))


def note_form(selected: pd.DataFrame, *, key: str) -> None:
    """A note on the one selected lead."""
    viewer = current_viewer()
    with st.container(border=True):
        disabled = _header("Note", viewer, _one_row(selected, "lead"))
        lead_id = int(selected["lead_id"].iloc[0]) if len(selected) == 1 else None
        st.text_area(
            "Note",
            key=f"{key}.body",
            max_chars=crm_actions.NOTE_MAX_CHARS,
            placeholder="what happened, what to do next",
            disabled=disabled,
        )
        _submit("Add note", key, _note, lead_id, disabled=disabled)
        _show_error(key)


def _note(key: str, action_id: str, lead_id: int) -> None:
    state = st.session_state
    applied = _act(
        key,
        action_id,
        lambda engine, **who: crm_actions.add_note(
            engine, **who, lead_id=lead_id, body=state.get(f"{key}.body")
        ),
    )
    if applied is not None:
        state[f"{key}.body"] = ""


def failed_deposit_review(selected: pd.DataFrame, *, key: str) -> None:
    """Assign the lead of the one selected declined deposit (``deposit_id``, ``lead_id``,
    ``version``, ``decline_reason``, ``am_id``, ``desk``) to an AM of its desk, its owner
    first, with a note that states the decline reason."""
    viewer = current_viewer()
    with st.container(border=True):
        disabled = _header("Assign with the decline reason", viewer, _one_row(selected, "deposit"))
        row = selected.iloc[0] if len(selected) == 1 else None
        owner = None
        if row is not None and not pd.isna(row.get("am_id")):
            owner = int(row["am_id"])
        desk = row.get("desk") if row is not None else None
        deposit_id = int(row["deposit_id"]) if row is not None else None
        # One choice per deposit: each starts on its own lead's owner.
        _am_choice(f"{key}.{deposit_id}.am", desk, viewer, disabled, default=owner)
        if row is not None:
            reason = row.get("decline_reason")
            reason = "no reason given" if pd.isna(reason) else reason
            # The CRM writes the decline (amount, method, provider, reason) as the note's first
            # sentence; the manager's words follow it.
            st.caption(formats.plain(f"The note states the decline first: declined: {reason}."))
        st.text_area(
            "Your words after it (optional)",
            key=f"{key}.note",
            max_chars=crm_actions.NOTE_MAX_CHARS,
            placeholder="how the AM can help the client deposit",
            disabled=disabled,
        )
        _submit(
            "Assign with the decline reason",
            key,
            _failed_deposit,
            _deposit(row),
            type="primary",
            disabled=disabled,
        )
        _show_error(key)


def _deposit(row) -> tuple[int, int] | None:
    if row is None:
        return None
    return int(row["deposit_id"]), int(row["version"])


def _failed_deposit(key: str, action_id: str, deposit: tuple[int, int]) -> None:
    state = st.session_state
    deposit_id, version = deposit

    def perform(engine, **who):
        return crm_actions.assign_failed_deposit(
            engine,
            **who,
            deposit_id=deposit_id,
            am_id=state.get(f"{key}.{deposit_id}.am"),
            version=version,
            note=state.get(f"{key}.note"),
        )

    now = _act(key, action_id, perform)
    if now is not None:
        _remember_rows(
            "deposit_id", [deposit_id], now, {"is_reviewed": True, "reviewed_at": pd.Timestamp(now)}
        )
        state[f"{key}.note"] = ""


def new_deposit_review(selected: pd.DataFrame, *, kind: str, key: str) -> None:
    """The one selected new deposit (``deposit_id``, ``lead_id``, ``version``, ``desk``):
    ``kind`` "self" assigns its lead for upsale, as a high-priority lead, to an AM of its desk;
    "owned" records it on the target board of the AM it is credited to."""
    viewer = current_viewer()
    with st.container(border=True):
        title = "Assign for upsale" if kind == "self" else "Record on the target board"
        disabled = _header(title, viewer, _one_row(selected, "deposit"))
        row = selected.iloc[0] if len(selected) == 1 else None
        if kind == "self":
            desk = row.get("desk") if row is not None else None
            _am_choice(f"{key}.am", desk, viewer, disabled)
            st.text_input(
                "Note (optional)",
                key=f"{key}.note",
                max_chars=crm_actions.NOTE_MAX_CHARS,
                disabled=disabled,
            )
            _submit(
                "Assign for upsale, high priority",
                key,
                _upsale,
                _deposit(row),
                type="primary",
                disabled=disabled,
            )
        else:
            credited = row.get("credited_am_name") if row is not None else None
            label = "Record on the AM's target board"
            if isinstance(credited, str) and credited:
                label = f"Record on {credited}'s target board"
            _submit(label, key, _target_board, _deposit(row), type="primary", disabled=disabled)
        _show_error(key)


def _upsale(key: str, action_id: str, deposit: tuple[int, int]) -> None:
    state = st.session_state
    deposit_id, version = deposit

    def perform(engine, **who):
        return crm_actions.assign_for_upsale(
            engine,
            **who,
            deposit_id=deposit_id,
            am_id=state.get(f"{key}.am"),
            version=version,
            note=state.get(f"{key}.note"),
        )

    now = _act(key, action_id, perform)
    if now is not None:
        _remember_rows(
            "deposit_id",
            [deposit_id],
            now,
            {"is_upsale_assigned": True, "upsale_assigned_at": pd.Timestamp(now)},
        )
        state[f"{key}.note"] = ""


def _target_board(key: str, action_id: str, deposit: tuple[int, int]) -> None:
    deposit_id, _ = deposit
    now = _act(
        key,
        action_id,
        lambda engine, **who: crm_actions.record_on_target_board(
            engine, **who, deposit_id=deposit_id
        ),
    )
    if now is not None:
        _remember_rows("deposit_id", [deposit_id], now, {"on_target_board": True})


def end_of_shift_form(*, key: str) -> None:
    """End of shift for the whole floor: a preview of the plan (the viewer's day, now, the
    CRM's calling hours), then a confirm that applies exactly that plan in one transaction."""
    viewer = current_viewer()
    with st.container(border=True):
        disabled = _header("End of shift", viewer, None)
        st.caption(
            "Unstars the leads starred now and stars the leads whose callback falls tomorrow "
            "inside the calling hours of the lead's own day. Preview it, then confirm."
        )
        preview_column, confirm_column, cancel_column = st.columns(3)
        preview_column.button(
            "Preview end of shift",
            key=f"{key}.preview",
            disabled=disabled,
            on_click=_preview_shift,
            args=(key,),
        )
        plan: ShiftPlan | None = st.session_state.get(f"{key}.plan")
        with confirm_column:
            _submit(
                "Confirm end of shift",
                key,
                _end_of_shift,
                plan,
                type="primary",
                disabled=disabled or plan is None,
            )
        cancel_column.button(
            "Cancel",
            key=f"{key}.cancel",
            disabled=disabled or plan is None,
            on_click=lambda: st.session_state.pop(f"{key}.plan", None),
        )
        _show_error(key)
        if plan is not None and viewer is not None:
            _show_plan(plan, st.session_state.get(f"{key}.hours"))


def _preview_shift(key: str) -> None:
    st.session_state.pop(f"{key}.error", None)
    try:
        viewer = current_viewer()
        if viewer is None:
            raise UserError(SIGN_IN)
        with crm_engine().connect() as connection:
            hours = crm_settings.calling_hours(connection)
            plan = plan_end_of_shift(connection, _zone(viewer.time_zone), periods.now(), hours)
    except UserError as error:
        st.session_state[f"{key}.error"] = str(error)
        return
    st.session_state[f"{key}.plan"] = plan
    st.session_state[f"{key}.hours"] = str(hours)


def _show_plan(plan: ShiftPlan, hours: str | None) -> None:
    st.caption(
        f"End of shift of {plan.day:%a %d %b}, calling hours {hours}: "
        f"{_leads(len(plan.unstar))} to unstar, {_leads(len(plan.star))} to star, "
        f"{_leads(len(plan.skipped))} skipped."
    )
    callback = st.column_config.DatetimeColumn(
        "Callback (lead's time)", format="ddd YYYY-MM-DD HH:mm"
    )
    config = {
        "lead_id": st.column_config.NumberColumn("Lead #", format="%d"),
        "lead_name": st.column_config.TextColumn("Lead"),
        "time_zone": st.column_config.TextColumn("Time zone"),
        "callback_local": callback,
        "reason": st.column_config.TextColumn("Why not", width="large"),
    }
    for title, leads, key in (
        ("To star for tomorrow", plan.star, "star"),
        ("To unstar", plan.unstar, "unstar"),
    ):
        st.markdown(f"{title}: {len(leads):,}")
        if leads:
            st.dataframe(
                _plan_rows([(lead, None) for lead in leads[:PREVIEW_ROWS]]),
                column_config=config,
                hide_index=True,
                key=f"shift.{key}",
            )
    if plan.skipped:
        st.markdown(f"Skipped: {len(plan.skipped):,}")
        st.dataframe(
            _plan_rows(plan.skipped[:PREVIEW_ROWS]),
            column_config=config,
            hide_index=True,
            key="shift.skipped",
        )


def _plan_rows(leads) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "lead_id": lead.lead_id,
                "lead_name": lead.name,
                "time_zone": lead.time_zone,
                # The lead's own wall clock, as its zone reads it: no viewer's zone applies.
                "callback_local": (
                    pd.Timestamp(lead.local_callback.replace(tzinfo=None))
                    if lead.local_callback is not None
                    else pd.NaT
                ),
                **({"reason": reason} if reason is not None else {}),
            }
            for lead, reason in leads
        ]
    )


def _end_of_shift(key: str, action_id: str, plan: ShiftPlan) -> None:
    applied = _act(
        key,
        action_id,
        lambda engine, **who: crm_actions.end_of_shift(engine, **who, plan=plan),
    )
    if applied is not None:
        st.session_state.pop(f"{key}.plan", None)


def call_outcome_form(selected: pd.DataFrame, *, key: str, am_id: int) -> None:
    """The AM ``am_id``, signed in, logs a call to the one selected lead of their list
    (``lead_id``, ``version``, ``time_zone``): connected, no answer with a callback in the
    lead's own time, or wrong number."""
    viewer = current_viewer()
    why_not = _one_row(selected, "lead")
    if viewer is not None and viewer.staff_id != am_id:
        why_not = "Calls are logged by the AM who made them, from their own list."
    with st.container(border=True):
        disabled = _header("Log a call", viewer, why_not)
        row = selected.iloc[0] if len(selected) == 1 else None
        outcome = st.radio(
            "Outcome",
            list(CALL_OUTCOMES),
            format_func=CALL_OUTCOMES.get,
            horizontal=True,
            key=f"{key}.outcome",
            disabled=disabled,
        )
        st.number_input(
            "Minutes talked",
            min_value=0,
            max_value=24 * 60,
            value=0,
            step=1,
            key=f"{key}.minutes",
            disabled=disabled or outcome != "connected",
        )
        lead_id = int(row["lead_id"]) if row is not None else None
        wants_callback = outcome == "no_answer"
        if outcome == "connected":
            wants_callback = st.checkbox("Set a callback", key=f"{key}.later", disabled=disabled)
        if wants_callback:
            zone_name = row["time_zone"] if row is not None else "UTC"
            zone = _zone(zone_name)
            tomorrow = periods.now().astimezone(zone).date() + timedelta(days=1)
            day_column, time_column = st.columns(2)
            # One pair of inputs per lead: each lead's default is its own tomorrow morning.
            day_column.date_input(
                f"Callback day ({zone_name})",
                value=tomorrow,
                key=f"{key}.{lead_id}.day",
                disabled=disabled,
            )
            time_column.time_input(
                "Callback time (the lead's own clock)",
                value=CALLBACK_HOUR,
                step=timedelta(minutes=15),
                key=f"{key}.{lead_id}.time",
                disabled=disabled,
            )
        _submit(
            "Log call",
            key,
            _log_call,
            (lead_id, int(row["version"])) if row is not None else None,
            type="primary",
            disabled=disabled,
        )
        _show_error(key)


def _log_call(key: str, action_id: str, lead: tuple[int, int]) -> None:
    state = st.session_state
    lead_id, version = lead
    outcome = state.get(f"{key}.outcome")
    callback = None
    if outcome == "no_answer" or (outcome == "connected" and state.get(f"{key}.later")):
        day: date | None = state.get(f"{key}.{lead_id}.day")
        clock: time | None = state.get(f"{key}.{lead_id}.time")
        if day is not None and clock is not None:
            # The lead's wall-clock time: the CRM places it in the lead's zone.
            callback = datetime.combine(day, clock)
    minutes = int(state.get(f"{key}.minutes") or 0) if outcome == "connected" else 0
    _act(
        key,
        action_id,
        lambda engine, **who: crm_actions.log_call(
            engine,
            **who,
            lead_id=lead_id,
            version=version,
            outcome=outcome,
            duration_s=minutes * 60,
            callback_at=callback,
        ),
    )


def undo_form(*, key: str, viewer: Viewer | None) -> None:
    """Undo one of the viewer's own bulk assignments of this shift (the last
    ``crm.actions.UNDO_WINDOW``), not undone yet, from the audit log."""
    if viewer is None:
        st.caption(SIGN_IN)
        return
    choices = _my_bulk_assignments(viewer.staff_id)
    if not choices:
        st.caption(
            "No bulk assignment of yours to undo in the last "
            f"{crm_actions.UNDO_WINDOW.total_seconds() / 3600:.0f} hours."
        )
        return
    chosen = st.selectbox(
        "Your bulk assignment", list(choices), format_func=choices.get, key=f"{key}.chosen"
    )
    _submit("Undo it", key, _undo, chosen)
    _show_error(key)


def _my_bulk_assignments(staff_id: int) -> dict[str, str]:
    """The viewer's assignments of more than one lead in the undo window, newest first, as
    ``{action id: label}``; the ones undone already left out."""
    with crm_engine().connect() as connection:
        assignments = crm_actions.undoable_assignments(
            connection, staff_id, periods.now().astimezone(timezone.utc)
        )
    zone = viewer_time_zone()
    return {
        row.action_id: f"{_utc(row.at).tz_convert(zone):%H:%M} · "
        f"{(row.result or {}).get('message', _leads(row.leads))}"
        for row in assignments
    }


def _utc(moment) -> pd.Timestamp:
    moment = pd.Timestamp(moment)
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment


def _undo(key: str, action_id: str, assignment_action_id: str) -> None:
    _act(
        key,
        action_id,
        lambda engine, **who: crm_actions.undo_assignment(
            engine, **who, assignment_action_id=assignment_action_id
        ),
    )
