"""The table of leads every lead page shows (All leads, Online, Last logged in, the deposit
reviews): written once so that each lead row carries the same context.

Every row shows the lead's local time and whether it is inside the calling hours now (so no one
is called at 3 a.m.), the last contact, and why the lead ranks where it does. The page's query
computes the local time in SQL from the parameters ``clock()`` gives (the snapshot macros
``local_time`` and ``inside_calling_hours``) and returns at most ``ROW_LIMIT`` rows, each with
``matched``: how many rows passed the filters.

**Actions** (``dashboard.actions``): ``show(...)`` returns the rows the user selected, as
the page showed them (every column, not only the shown ones): at least ``lead_id`` and
``version`` (the lead's change counter as the page showed it; an action sends it back so the
CRM refuses a lead that changed since), and ``deposit_id`` on the deposit reviews. The rows
shown carry this session's own changes that the warehouse does not hold yet
(``actions.overlay``). Put the action widgets right under the ``show`` call::

    selected = lead_table.show(rows, COLUMNS, key="all_leads.table", ...)
    actions.assign_form(selected, key="all_leads.assign")

The selection is cleared whenever the shown rows change (a filter, a refresh of the Online
pages), so an action never applies to rows that moved under the user's selection.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm import models
from dashboard import actions, exports, formats, navigation, periods, widgets
from dashboard.data import calling_hours, query, viewer_time_zone

ROW_LIMIT = 1000
# The filters' choices, as the CRM defines them.
DESKS = models.DESKS
STATUSES = models.LEAD_STATUSES

MONEY_WIDTH = 130  # px: "183,779.35 USD" whole; sized to fit, a column clipped it ("1403.3")
# Every column a lead page may show, with how it is shown. Money in the account's or the
# deposit's own currency is written with its code ("500.00 BRL"); the USD beside it sorts.
COLUMNS = {
    "deposit_id": st.column_config.NumberColumn("Deposit #", format="%d"),
    "created_at": st.column_config.DatetimeColumn("Attempted", format="YYYY-MM-DD HH:mm"),
    "lead_id": st.column_config.NumberColumn("Lead #", format="%d"),
    "lead_name": st.column_config.TextColumn("Lead", pinned=True),
    "lead_page": st.column_config.LinkColumn(
        "Lead page",
        display_text="Open",
        help="the lead's page: contacts, history, actions",
        pinned=True,
    ),
    "country": st.column_config.TextColumn("Country"),
    "time_zone": st.column_config.TextColumn("Time zone"),
    "local_time": st.column_config.DatetimeColumn(
        "Local time", format="ddd HH:mm", help="the lead's wall clock now"
    ),
    "inside_calling_hours": st.column_config.CheckboxColumn("Callable now"),
    "status": st.column_config.TextColumn("Status"),
    "desk": st.column_config.TextColumn("Desk"),
    "am_name": st.column_config.TextColumn("AM", help="the AM who owns the lead"),
    "on_list": st.column_config.TextColumn(
        "On the AM's list",
        help="an AM works only their starred leads: one assigned but not starred waits",
    ),
    "team_name": st.column_config.TextColumn("Team"),
    "why_assigned": st.column_config.TextColumn(
        "Why assigned",
        help="why the distribution rules gave the lead to its AM; blank when a person did",
        width="large",
    ),
    "credited_am_name": st.column_config.TextColumn(
        "Credited to", help="the AM the deposit is attributed to"
    ),
    "registered_at": st.column_config.DatetimeColumn("Registered", format="YYYY-MM-DD HH:mm"),
    "last_login_at": st.column_config.DatetimeColumn("Last login", format="YYYY-MM-DD HH:mm"),
    "days_since_login": st.column_config.NumberColumn("Days since login", format="%d"),
    "came_back_after_days": st.column_config.NumberColumn(
        "Came back after (days)", format="%d", help="days away before the latest login"
    ),
    "online_since": st.column_config.DatetimeColumn("Online since", format="HH:mm"),
    "online_seconds": st.column_config.NumberColumn("Time online", format="duration"),
    "decline_reason": st.column_config.TextColumn("Decline reason"),
    "provider": st.column_config.TextColumn("Provider"),
    "method": st.column_config.TextColumn("Method"),
    "amount": st.column_config.TextColumn("Amount", help="in the deposit's currency"),
    "amount_usd": st.column_config.NumberColumn(
        "Amount USD", format=formats.USD_COLUMN, width=MONEY_WIDTH
    ),
    "is_ftd": st.column_config.CheckboxColumn("FTD"),
    "is_reviewed": st.column_config.CheckboxColumn(
        "Reviewed", help="assigned as a failed deposit, or noted, since the attempt"
    ),
    "reviewed_at": st.column_config.DatetimeColumn("Reviewed at", format="YYYY-MM-DD HH:mm"),
    "on_target_board": st.column_config.CheckboxColumn("On target board"),
    "is_upsale_assigned": st.column_config.CheckboxColumn("Assigned for upsale"),
    "balance": st.column_config.TextColumn("Balance", help="in the account's currency"),
    "balance_usd": st.column_config.NumberColumn(
        "Balance USD", format=formats.USD_COLUMN, width=MONEY_WIDTH
    ),
    "deposits": st.column_config.NumberColumn("Deposits", format=formats.COUNT_COLUMN),
    "deposit_usd": st.column_config.NumberColumn(
        "Deposit USD", format=formats.USD_COLUMN, width=MONEY_WIDTH
    ),
    "last_deposit_at": st.column_config.DatetimeColumn("Last deposit", format="YYYY-MM-DD HH:mm"),
    "last_call_at": st.column_config.DatetimeColumn("Last call", format="YYYY-MM-DD HH:mm"),
    "callback_local": st.column_config.DatetimeColumn(
        "Callback (lead's time)", format="YYYY-MM-DD HH:mm", help="on the lead's own clock"
    ),
    "priority": st.column_config.TextColumn("Priority", help="high: an upsale"),
    "last_contacted_at": st.column_config.DatetimeColumn(
        "Last contact", format="YYYY-MM-DD HH:mm", help="the latest call, note or e-mail"
    ),
    "priority_score": st.column_config.NumberColumn("Score", format="%d"),
    "priority_reasons": st.column_config.TextColumn(
        "Why here", help="the ranking rules that hold, highest first"
    ),
    # My leads: what the AM needs to make the call.
    "phone": st.column_config.TextColumn("Phone"),
    "email": st.column_config.TextColumn("E-mail"),
    "starred_because": st.column_config.TextColumn(
        "Why starred", help="the reason of the lead's latest assignment to this AM"
    ),
    "manager_note": st.column_config.TextColumn(
        "Manager's note", help="the latest note on the lead written by someone else than its AM"
    ),
}
# What every lead row shows, wherever the page puts the rest.
FIRST = ("lead_page", "lead_name", "local_time", "inside_calling_hours")
LAST = ("last_contacted_at", "priority_score", "priority_reasons")
MONEY = {"balance": "currency", "amount": "amount_currency"}
# The CRM's stored choices, shown in people's words ("follow-up", "e-wallet").
CHOICES = ("status", "desk", "priority", "method", "decline_reason")
SELECTED_NAMED = 5
EMPTY_SELECTION = {"selection": {"rows": [], "columns": [], "cells": []}}


def clock() -> dict:
    """The query parameters of the lead's local time: ``now`` (to the minute, so that results
    stay cached for the minute) and the calling hours as minutes of the lead's day."""
    hours = calling_hours()
    return dict(
        now=periods.now().replace(second=0, microsecond=0),
        first_minute=hours.start_minute,
        end_minute=hours.end_minute,
    )


def lead_links(lead_ids: pd.Series) -> list[str | None]:
    """A link per row to the lead's page (made here: no query returns it), for the
    ``lead_page`` column (``COLUMNS["lead_page"]``) of any table whose rows are a lead's: a
    lead table, the deposit attempts of the payment options log."""
    return [None if pd.isna(lead_id) else navigation.lead_url(lead_id) for lead_id in lead_ids]


def _displayed(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The shown columns as the user reads them (and the export writes them): money with its
    currency, UTC times in the viewer's zone."""
    made = ("lead_page", "on_list")
    shown = rows[[column for column in columns if column not in made]].copy()
    shown.insert(0, "lead_page", lead_links(rows["lead_id"]))
    if "on_list" in columns:
        # Made here from the owner and the star, so that an action's overlay shows in it too.
        on_list = [
            formats.on_list(am, starred, beside_the_am=True)
            for am, starred in zip(rows["am_name"], rows["is_starred"], strict=True)
        ]
        shown.insert(shown.columns.get_loc("am_name") + 1, "on_list", on_list)
    for column, currency in MONEY.items():
        if column in shown:
            shown[column] = [
                "–" if pd.isna(amount) else f"{amount:,.2f} {code}"
                for amount, code in zip(rows[column], rows[currency], strict=True)
            ]
    for column in CHOICES:
        if column in shown:
            shown[column] = shown[column].map(formats.words)
    zone = viewer_time_zone()
    for column in shown:
        if isinstance(shown[column].dtype, pd.DatetimeTZDtype):
            shown[column] = shown[column].dt.tz_convert(zone)
        elif pd.api.types.is_string_dtype(shown[column]):  # text, or Python objects
            # Nothing to say reads blank, not "None" (a lead nobody owns has no AM).
            values = shown[column].astype(object)
            shown[column] = values.where(values.notna(), "")
    return shown


def _order(columns: list[str], rows: pd.DataFrame) -> list[str]:
    middle = [column for column in columns if column not in FIRST + LAST]
    if "am_name" in middle and "is_starred" in rows and "on_list" not in middle:
        # Wherever a lead's AM shows, whether the lead is on that AM's list shows beside it.
        middle.insert(middle.index("am_name") + 1, "on_list")
    return [*FIRST, *middle, *LAST]


def _keep_selection_only_on_the_same_rows(rows: pd.DataFrame, key: str) -> None:
    ids = rows["deposit_id"] if "deposit_id" in rows else rows["lead_id"]
    identity = tuple(ids.tolist())
    seen = f"{key}.rows"
    if st.session_state.get(seen) != identity and key in st.session_state:
        st.session_state[key] = EMPTY_SELECTION
    st.session_state[seen] = identity


def show(
    rows: pd.DataFrame,
    columns: list[str],
    *,
    key: str,
    file_name: str,
    shows: str,
    noun: str = "leads",
    selectable: bool = True,
    filters: actions.Filters | None = None,
    export_to: exports.Latest | None = None,
) -> pd.DataFrame:
    """Show ``rows`` (a lead query's result) as a table of ``columns`` (names from
    ``COLUMNS``; the lead, local time, calling hours, last contact and ranking reasons are
    always shown), with CSV and Excel export of exactly that table.

    Returns the selected rows with every column of ``rows`` (empty when ``selectable`` is
    False or nothing is selected). With no rows it says why: an empty warehouse (and what the
    page, which ``shows`` this, will show), or filters that match nothing.

    The rows show the changes this session's actions made that the warehouse does not hold
    yet (``actions.overlay``); a row so changed that it no longer passes the page's
    ``filters`` (``actions.Filters``) leaves the list and its count.
    In a self-refreshing fragment, ``export_to`` takes the table for export buttons drawn
    outside it (``exports.latest_buttons``) instead of drawing them here at every refresh.
    """
    rows = actions.overlay(rows, filters)
    if export_to is not None:
        export_to.frame = None
    if rows.empty:
        if int(query("lead_total").iloc[0, 0]) == 0:
            st.info(f"Nothing to show yet: the warehouse holds no leads. This page shows {shows}.")
            st.markdown(widgets.GET_DATA)
        else:
            st.info(f"No {noun} match these filters.")
        return rows

    matched = int(rows["matched"].iloc[0])
    if matched > len(rows):
        st.caption(f"{len(rows):,} of {matched:,} {noun} shown, the first by this page's order")
    else:
        st.caption(f"{matched:,} {noun}")

    order = _order(columns, rows)
    shown = _displayed(rows, order)
    config = {column: COLUMNS[column] for column in order}
    hours = calling_hours()
    config["inside_calling_hours"] = st.column_config.CheckboxColumn(
        "Callable now", help=f"inside the calling hours ({hours}) of the lead's own day"
    )
    selected: list[int] = []
    if selectable:
        _keep_selection_only_on_the_same_rows(rows, key)
        event = st.dataframe(
            shown,
            height=widgets.table_height(len(shown)),
            column_config=config,
            hide_index=True,
            placeholder="",
            key=key,
            on_select="rerun",
            selection_mode="multi-row",
        )
        selected = list(event.selection.rows)
        if selected:
            names = rows["lead_name"].iloc[selected].tolist()
            more = (
                f" and {len(names) - SELECTED_NAMED:,} more" if len(names) > SELECTED_NAMED else ""
            )
            st.caption(formats.plain(f"Selected: {', '.join(names[:SELECTED_NAMED])}{more}"))
    else:
        st.dataframe(
            shown,
            column_config=config,
            hide_index=True,
            placeholder="",
            key=key,
            height=widgets.table_height(len(shown)),
        )

    labels = {column: config[column]["label"] for column in order if column != "lead_page"}
    exported = shown.drop(columns="lead_page").rename(columns=labels)
    if export_to is not None:
        export_to.frame = exported
    else:
        exports.buttons(exported, file_name, key=f"{key}.export")
    return rows.iloc[selected]
