"""F11 Payment options log: every deposit attempt, approved or failed, by method and provider,
newest first, each linked to its lead's page; counts and approval rate per method and provider.
Live: refreshes itself every few seconds with the attempts the CRM took since the ETL's last
run."""

import streamlit as st

from dashboard import definitions, exports, formats, lead_table, widgets
from dashboard.data import LIVE_REFRESH_S, live_payments, query

REFRESH_S = LIVE_REFRESH_S
ALL = "All"
METHODS = ("card", "wire", "e_wallet", "crypto")
STATUSES = ("approved", "declined", "pending", "refunded", "charged_back")
LIMIT = 1000
MONEY_WIDTH = 130  # px: "183,779.35 USD" whole (sized to fit, a column clipped it)
# The CRM's stored choices these tables show, in people's words ("e-wallet", "charged back").
CHOICES = ("method", "status", "decline_reason")
METHOD_COLUMNS = {
    "method": st.column_config.TextColumn("Method"),
    "provider": st.column_config.TextColumn("Provider"),
    "attempts": st.column_config.NumberColumn("Attempts", format=formats.COUNT_COLUMN),
    "approved": st.column_config.NumberColumn("Approved", format=formats.COUNT_COLUMN),
    "declined": st.column_config.NumberColumn("Declined", format=formats.COUNT_COLUMN),
    "pending": st.column_config.NumberColumn("Pending", format=formats.COUNT_COLUMN),
    "approval_rate": st.column_config.NumberColumn(
        "Approval rate", format=formats.PERCENT_COLUMN, help="approved / (approved + declined)"
    ),
    "approved_usd": st.column_config.NumberColumn(
        "Approved USD", format=formats.USD_COLUMN, width=MONEY_WIDTH
    ),
}
ATTEMPT_COLUMNS = {
    "lead_page": lead_table.COLUMNS["lead_page"],
    "created_at": st.column_config.DatetimeColumn("Time", format="YYYY-MM-DD HH:mm:ss"),
    "lead_name": st.column_config.TextColumn("Lead"),
    "am_name": st.column_config.TextColumn("AM"),
    "method": st.column_config.TextColumn("Method"),
    "provider": st.column_config.TextColumn("Provider"),
    "status": st.column_config.TextColumn("Status"),
    "decline_reason": st.column_config.TextColumn("Decline reason"),
    "amount": st.column_config.NumberColumn("Amount", format=formats.AMOUNT_COLUMN),
    "currency": st.column_config.TextColumn("Currency"),
    "amount_usd": st.column_config.NumberColumn(
        "Amount USD", format=formats.USD_COLUMN, width=MONEY_WIDTH
    ),
    "is_ftd": st.column_config.CheckboxColumn("FTD", help=definitions.HELP["ftds"]),
    "deposit_id": st.column_config.NumberColumn("Deposit", format="%d"),
}
DISAGREEMENT_COLUMNS = {
    "lead_page": lead_table.COLUMNS["lead_page"],
    "counted_at": st.column_config.DatetimeColumn("Decided", format="YYYY-MM-DD HH:mm:ss"),
    "deposit_id": st.column_config.NumberColumn("Deposit", format="%d"),
    "lead_name": st.column_config.TextColumn("Lead"),
    "am_name": st.column_config.TextColumn("AM"),
    "status": st.column_config.TextColumn("Status"),
    "amount_usd": st.column_config.NumberColumn(
        "Amount USD", format=formats.USD_COLUMN, width=MONEY_WIDTH
    ),
    "is_ftd": st.column_config.CheckboxColumn("FTD"),
    "crm_is_ftd": st.column_config.CheckboxColumn("CRM's FTD flag"),
    "reason": st.column_config.TextColumn("Why they differ"),
}

st.title("Payment options log")
widgets.require_warehouse()
left, middle, right = st.columns(3)
with left:
    period = widgets.date_range_picker("payments.range")
with middle:
    method = st.selectbox(
        "Method", [ALL, *METHODS], key="payments.method", format_func=formats.words
    )
with right:
    status = st.selectbox(
        "Status", [ALL, *STATUSES], key="payments.status", format_func=formats.words
    )

scope = dict(first_day=period.first, last_day=period.last, method=None if method == ALL else method)


# Only this part reruns on the timer: the filters above keep their state, and each rerun reads
# the newest snapshot with the attempts the CRM took since (read once a tick for everyone).
@st.fragment(run_every=REFRESH_S)
def live_log() -> None:
    exported = exports.latest("payments.export")
    exported.frame = None
    totals, read_at = live_payments("payment_totals", **scope)
    widgets.live_freshness_line("every deposit attempt and decision", read_at)
    st.caption(f"refreshes every {REFRESH_S} s")
    totals = totals.iloc[0].to_dict()
    if not totals["attempts"]:
        widgets.empty_state(
            "every deposit attempt, approved or failed, newest first, by method and provider, "
            "with the approval rate of each"
        )
        return
    tiles = [
        ("Attempts", formats.count(totals["attempts"])),
        ("Approved", formats.count(totals["approved"])),
        ("Declined", formats.count(totals["declined"])),
        ("Pending", formats.count(totals["pending"])),
        ("Approval rate", formats.percent(totals["approval_rate"])),
        ("Approved USD", formats.usd(totals["approved_usd"])),
    ]
    for column, (label, value) in zip(widgets.tile_columns(len(tiles)), tiles, strict=True):
        column.metric(label, value)
    credit = query("deposit_credit", first_day=period.first, last_day=period.last)
    st.caption(
        "Approved deposits by credit, each on the day it was approved (as of the ETL's last "
        "run): "
        + "; ".join(
            f"{row['credit']}: {formats.things(row['deposits'], 'deposit')}, "
            f"{formats.usd(row['deposit_usd'])}, {formats.things(row['ftds'], 'FTD')}"
            for row in credit.to_dict("records")
        )
        + f". {definitions.HELP['credit']}"
    )

    st.subheader("By method and provider")
    methods = live_payments("payment_methods", **scope)[0][list(METHOD_COLUMNS)]
    st.dataframe(
        formats.points(formats.in_words(methods, CHOICES), ["approval_rate"]),
        column_config=METHOD_COLUMNS,
        hide_index=True,
        placeholder="",
        key="payments.methods",
    )

    st.subheader("Attempts, newest first")
    attempts, _ = live_payments(
        "payment_attempts", **scope, status=None if status == ALL else status, limit=LIMIT
    )
    if attempts.empty:
        st.info(f"No {formats.words(status)} attempt in these days: choose another status above.")
        return
    shown = widgets.in_viewer_zone(attempts, "created_at")
    shown["lead_page"] = lead_table.lead_links(shown["lead_id"])
    shown = shown[list(ATTEMPT_COLUMNS)]
    st.dataframe(
        formats.in_words(shown, CHOICES),
        column_config=ATTEMPT_COLUMNS,
        hide_index=True,
        placeholder="",
        key="payments.attempts",
        height=widgets.table_height(len(shown)),
    )
    if len(attempts) == LIMIT:
        st.caption(f"the newest {LIMIT:,} attempts; choose fewer days, a method or a status")
    # A relative link opens nothing in a file; the file keeps the stored codes and numbers,
    # under the headers people read.
    exported.frame = exports.headed(shown.drop(columns="lead_page"), ATTEMPT_COLUMNS)


live_log()
# Outside the fragment: drawn once per page run, they export the attempts shown at the click.
exports.latest_buttons("payments.export", f"payments-{period.first}-{period.last}.csv")

st.subheader("Data quality: FTD flags")
disagreements = query("ftd_disagreements", first_day=period.first, last_day=period.last)
st.caption(
    f"{definitions.HELP['ftds']} The CRM flags FTDs itself; where its flag and this rule "
    "disagree (a double submit flagged twice, a reversed FTD, an FTD left unflagged), the "
    "figures follow the rule and the attempt is listed here."
)
if disagreements.empty:
    st.success("The CRM's FTD flags agree with the rule in these days.")
else:
    disagreements = widgets.in_viewer_zone(disagreements, "counted_at")
    disagreements["lead_page"] = lead_table.lead_links(disagreements["lead_id"])
    st.dataframe(
        formats.in_words(disagreements[list(DISAGREEMENT_COLUMNS)], CHOICES),
        column_config=DISAGREEMENT_COLUMNS,
        hide_index=True,
        placeholder="",
        key="payments.ftd_disagreements",
    )
