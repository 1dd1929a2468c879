"""The deposit reviews in bulk (Failed deposits, New deposits): many declined deposits assigned
at once, each lead to its own AM with its own decline reason, and many owned deposits recorded
on their AMs' target boards, each with a preview of what happens to it;
``crm.actions.reviews`` does the writing."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import streamlit as st

from crm import actions as crm_actions
from crm import reads
from crm.actions.deposits import decline_note
from crm.errors import UserError
from dashboard import formats
from dashboard.actions.changes import remember_rows
from dashboard.actions.common import act, am_choice, header, show_error, star_choice, submit
from dashboard.viewer import crm_engine, current_viewer

NOBODY = "the AM you choose below"
# Up to this many deposits, each gets a box for words of its own.
OWN_WORDS_UP_TO = 10


def failed_deposits_form(selected: pd.DataFrame, *, key: str) -> None:
    """Assign the leads of the selected declined deposits (``deposit_id``, ``lead_id``,
    ``lead_name``, ``version``, ``decline_reason``, ``desk``) at once: each to the active AM
    who owns it, the others to one AM chosen here; each note states its own decline."""
    viewer = current_viewer()
    count = len(selected)
    why_not = None
    if count > crm_actions.BULK_LIMIT:
        why_not = f"{count:,} deposits selected: assign at most {crm_actions.BULK_LIMIT:,}."
    with st.container(border=True):
        disabled = header(f"Assign {count:,} failed deposits", viewer, why_not)
        owners = _owners(selected) if not disabled else {}
        unowned = selected[~selected["lead_id"].astype(int).isin(owners)]
        desks = set(unowned["desk"].dropna()) if "desk" in unowned else set()
        desk = desks.pop() if len(desks) == 1 else None
        am_id = None
        if not unowned.empty:
            am_id = am_choice(f"{key}.bulk.am", desk, viewer, disabled)
        state = st.session_state
        star = bool(state.get(f"{key}.bulk.star", True))
        preview = pd.DataFrame(
            {
                "deposit_id": selected["deposit_id"].astype(int).tolist(),
                "lead_name": selected["lead_name"].tolist(),
                "decline_reason": selected["decline_reason"].fillna("no reason given").tolist(),
                "to": [owners.get(int(lead_id), NOBODY) for lead_id in selected["lead_id"]],
                "starred": [star] * count,
                "note": [
                    _note(row, _words(key, int(row["deposit_id"])) or state.get(f"{key}.bulk.note"))
                    for _, row in selected.iterrows()
                ],
            }
        )
        st.caption(
            "What happens to each: its lead goes to the active AM who owns it, the others to the "
            "AM you choose; each note states its own decline first, then the words for it."
        )
        st.dataframe(
            preview,
            column_config={
                "deposit_id": st.column_config.NumberColumn("Deposit #", format="%d"),
                "lead_name": st.column_config.TextColumn("Lead"),
                "decline_reason": st.column_config.TextColumn("Decline reason"),
                "to": st.column_config.TextColumn("Assigned to"),
                "starred": st.column_config.CheckboxColumn("On the AM's list now"),
                "note": st.column_config.TextColumn("The note", width="large"),
            },
            hide_index=True,
            placeholder="",
            key=f"{key}.preview",
        )
        st.text_area(
            "Your words after each decline (optional)",
            key=f"{key}.bulk.note",
            max_chars=crm_actions.NOTE_MAX_CHARS,
            disabled=disabled,
        )
        if count <= OWN_WORDS_UP_TO:
            for _, row in selected.iterrows():
                st.text_input(
                    formats.plain(
                        f"Words for {row['lead_name']} only (deposit {int(row['deposit_id'])})"
                    ),
                    key=f"{key}.bulk.words.{int(row['deposit_id'])}",
                    max_chars=crm_actions.NOTE_MAX_CHARS,
                    placeholder="instead of the words for all",
                    disabled=disabled,
                )
        star_choice(f"{key}.bulk", True, disabled)
        seen = {
            int(deposit_id): int(version)
            for deposit_id, version in zip(selected["deposit_id"], selected["version"], strict=True)
        }
        submit(
            f"Assign {count:,} failed deposits",
            f"{key}.bulk",
            _assign_all,
            seen,
            type="primary",
            disabled=disabled or (not unowned.empty and am_id is None),
        )
        show_error(f"{key}.bulk")


def _words(key: str, deposit_id: int) -> str | None:
    """The words the manager wrote for this deposit only, if any."""
    words = st.session_state.get(f"{key}.bulk.words.{deposit_id}")
    return words.strip() if words and words.strip() else None


def _note(row: pd.Series, words: str | None) -> str:
    """The note the CRM will write for this deposit (``decline_note``), from the row shown."""
    deposit = SimpleNamespace(
        decline_reason=None if pd.isna(row.get("decline_reason")) else row["decline_reason"],
        amount=f"{row['amount']:.2f}" if not pd.isna(row.get("amount")) else "",
        currency=row.get("amount_currency") or "",
        method=row.get("method") or "",
        provider=row.get("provider") or "",
    )
    try:
        return decline_note(deposit, words.strip() if words else None)
    except UserError as error:
        return str(error)


def _owners(selected: pd.DataFrame) -> dict[int, str]:
    """``{lead id: AM name}`` of the selected leads an active AM owns, read from the CRM now."""
    with crm_engine().connect() as connection:
        owners = reads.lead_owners(connection, [int(i) for i in selected["lead_id"]])
    return {lead_id: owner.am_name for lead_id, owner in owners.items() if owner.am_active}


def _assign_all(key: str, action_id: str, seen: dict[int, int]) -> None:
    state = st.session_state

    def perform(engine, **who):
        return crm_actions.assign_failed_deposits(
            engine,
            **who,
            deposits=seen,
            am_id=state.get(f"{key}.am"),
            note=state.get(f"{key}.note"),
            star=bool(state.get(f"{key}.star")),
            notes={deposit_id: words for deposit_id in seen if (words := _words_of(deposit_id))},
        )

    def _words_of(deposit_id: int) -> str | None:
        words = state.get(f"{key}.words.{deposit_id}")
        return words if words and words.strip() else None

    now = act(key, action_id, perform)
    if now is not None:
        remember_rows(
            "deposit_id", list(seen), now, {"is_reviewed": True, "reviewed_at": pd.Timestamp(now)}
        )
        state[f"{key}.note"] = ""
        for deposit_id in seen:
            state.pop(f"{key}.words.{deposit_id}", None)


def target_boards_form(selected: pd.DataFrame, *, key: str) -> None:
    """Record the selected owned deposits (``deposit_id``, ``lead_name``, ``credited_am_name``,
    ``amount_usd``) at once, each on the target board of the AM it is credited to."""
    viewer = current_viewer()
    count = len(selected)
    with st.container(border=True):
        disabled = header(f"Record {count:,} deposits on the target boards", viewer, None)
        preview = pd.DataFrame(
            {
                "deposit_id": selected["deposit_id"].astype(int).tolist(),
                "lead_name": selected["lead_name"].tolist(),
                "credited_am_name": selected["credited_am_name"].tolist(),
                "amount_usd": selected["amount_usd"].tolist(),
            }
        )
        total = pd.to_numeric(preview["amount_usd"], errors="coerce").sum()
        st.caption(f"Each goes on its own AM's target board: {formats.usd(total)} in all.")
        st.dataframe(
            preview,
            column_config={
                "deposit_id": st.column_config.NumberColumn("Deposit #", format="%d"),
                "lead_name": st.column_config.TextColumn("Lead"),
                "credited_am_name": st.column_config.TextColumn("On the board of"),
                "amount_usd": st.column_config.NumberColumn(
                    "Amount USD", format=formats.USD_COLUMN
                ),
            },
            hide_index=True,
            placeholder="",
            key=f"{key}.preview",
        )
        submit(
            f"Record {count:,} deposits on their AMs' target boards",
            f"{key}.bulk",
            _record_all,
            preview["deposit_id"].tolist(),
            type="primary",
            disabled=disabled,
        )
        show_error(f"{key}.bulk")


def _record_all(key: str, action_id: str, deposit_ids: list[int]) -> None:
    now = act(
        key,
        action_id,
        lambda engine, **who: crm_actions.record_on_target_boards(
            engine, **who, deposit_ids=deposit_ids
        ),
    )
    if now is not None:
        remember_rows("deposit_id", deposit_ids, now, {"on_target_board": True})
