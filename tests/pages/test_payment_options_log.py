"""The payment options log (F11) on the small hand-built CRM (tests/etl/small_crm.py).

Hand-worked deposit attempts (6 and 7 are quarantined):
  id  time (UTC)   lead  method    provider       status    USD
  3   02-03 10:00  Cara  wire      Wire transfer  approved  110.00 (FTD)
  5   03-09 12:00  Ben   card      Nuvei          declined  300.00 (3-D Secure failed)
  1   03-09 15:00  Ana   card      Stripe         approved  200.00 (FTD)
  2   03-10 09:00  Ana   card      Stripe         declined   50.00 (insufficient funds)
  4   03-10 09:30  Cara  e_wallet  Skrill         approved   55.00
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from tests.pages.conftest import captions, column_formats, metrics

PAGE = "pages/payment_options_log.py"


def tiles(at) -> dict[str, str]:
    return {label: value for label, (value, _) in metrics(at).items()}


def test_last_7_days_newest_first_with_approval_rates(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    assert not at.exception
    assert at.title[0].value == "Payment options log"
    assert tiles(at) == {
        "Attempts": "4",
        "Approved": "2",
        "Declined": "2",
        "Pending": "0",
        "Approval rate": "50.0 %",
        "Approved USD": "255.00 USD",
    }
    methods = at.dataframe[0].value
    assert methods[["method", "provider", "attempts", "approved", "declined"]].values.tolist() == [
        ["card", "Stripe", 2, 1, 1],
        ["card", "Nuvei", 1, 0, 1],
        ["e-wallet", "Skrill", 1, 1, 0],
    ]
    # In percentage points, written "50.0 %"; money "200.00 USD", as the tiles write them.
    assert methods["approval_rate"].tolist() == [50.0, 0.0, 100.0]
    assert methods["approved_usd"].tolist() == [200.0, 0.0, 55.0]
    method_formats = column_formats(at.dataframe[0])
    assert (method_formats["approval_rate"], method_formats["approved_usd"]) == (
        "%.1f %%",
        "%,.2f USD",
    )
    assert method_formats["attempts"] == "%,d"
    attempts = at.dataframe[1].value
    assert attempts["deposit_id"].tolist() == [4, 2, 1, 5]
    assert attempts["method"].tolist() == ["e-wallet", "card", "card", "card"]
    attempt_formats = column_formats(at.dataframe[1])
    # 29900.0 MXN is written "29,900.00", its USD "1,403.30 USD".
    assert (attempt_formats["amount"], attempt_formats["amount_usd"]) == ("%,.2f", "%,.2f USD")
    declined = attempts.iloc[1]
    assert (declined["status"], declined["decline_reason"], declined["amount"]) == (
        "declined",
        "insufficient funds",
        250.0,
    )
    assert (declined["currency"], declined["amount_usd"], declined["am_name"]) == (
        "BRL",
        50.0,
        "Alan Ames",
    )
    assert attempts.iloc[0]["created_at"] == pd.Timestamp("2026-03-10 09:30", tz="UTC")
    assert attempts["is_ftd"].tolist() == [False, False, True, False]
    assert "refreshes every 3 s" in captions(at)


def test_method_status_and_range_filters(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.selectbox(key="payments.method").select("card").run()
    assert tiles(at)["Attempts"] == "3"
    assert tiles(at)["Approval rate"] == "33.3 %"
    assert at.dataframe[1].value["deposit_id"].tolist() == [2, 1, 5]
    at.selectbox(key="payments.status").select("declined").run()
    # The status picks the list's rows; the tiles and the method table count every status.
    assert at.dataframe[1].value["deposit_id"].tolist() == [2, 5]
    assert tiles(at)["Attempts"] == "3"
    at.selectbox(key="payments.method").select("All").run()
    at.selectbox(key="payments.status").select("All").run()
    at.selectbox(key="payments.range").select("Today").run()
    assert tiles(at)["Attempts"] == "2"
    assert tiles(at)["Approved USD"] == "55.00 USD"
    at.selectbox(key="payments.range").select("Custom").run()
    at.date_input(key="payments.range.custom").set_value((date(2026, 2, 1), date(2026, 3, 10)))
    at.run()
    assert tiles(at) == {
        "Attempts": "5",
        "Approved": "3",
        "Declined": "2",
        "Pending": "0",
        "Approval rate": "60.0 %",
        "Approved USD": "365.00 USD",
    }
    assert at.dataframe[1].value["deposit_id"].tolist() == [4, 2, 1, 5, 3]
    at.selectbox(key="payments.status").select("pending").run()
    assert "No pending attempt in these days" in at.info[0].value
    assert not at.exception


def test_times_in_the_viewers_time_zone(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse, time_zone="Asia/Dubai")
    newest = at.dataframe[1].value.iloc[0]["created_at"]
    assert newest.tz_localize(None) == pd.Timestamp("2026-03-10 13:30")  # UTC+4


def test_empty_crm_says_what_the_page_shows_and_how_to_get_data(open_page, empty_warehouse):
    at = open_page(PAGE, empty_warehouse)
    assert not at.exception
    assert "Nothing to show yet" in at.info[0].value
    assert "every deposit attempt" in at.info[0].value
    assert "python -m crm demo" in at.markdown[0].value
    assert not at.metric


def test_ftd_flags_the_rule_does_not_follow_and_the_deposits_credited_to_no_am(
    open_page, ftd_warehouse
):
    """The FTD cases (tests/etl/ftd_crm.py), last 7 days (03-04..03-10). Approved: Ana's 200.00
    twice (03-09), Cara's 55.00 and 22.00, Ben's 60.00 (03-10) credited to AMs: 5 deposits,
    537.00 USD, 2 FTDs (Ana's first, Ben's 60.00); Dan's 40.00 self deposit, his FTD, to none.
    The CRM flags disagree on 8 (Ana's second), 9 (Ben's charged back) and 10 (Ben's FTD)."""
    at = open_page(PAGE, ftd_warehouse)
    assert not at.exception
    shown = captions(at)
    assert "credited to an AM: 5 deposits, 537.00 USD, 2 FTDs" in shown
    assert "not credited to an AM (no owning AM): 1 deposit, 40.00 USD, 1 FTD" in shown
    (flags,) = [frame.value for frame in at.dataframe if "reason" in frame.value.columns]
    assert flags[["deposit_id", "is_ftd", "crm_is_ftd"]].values.tolist() == [
        [9, False, True],  # charged back 03-10 08:00
        [10, True, False],  # approved 03-10 07:00
        [8, False, True],  # approved 03-09 15:01
    ]
    assert flags["reason"].tolist()[0] == "flagged by the CRM, but charged back"


def test_every_attempt_links_to_its_lead_page(open_page, small_warehouse):
    """Newest first: 4 Cara (lead 3), 2 and 1 Ana (lead 1), 5 Ben (lead 2). The link comes
    first, as in lead tables."""
    at = open_page(PAGE, small_warehouse)
    table = at.dataframe[1]
    attempts = table.value
    assert list(attempts.columns[:2]) == ["lead_page", "created_at"]
    assert dict(zip(attempts["deposit_id"], attempts["lead_page"], strict=True)) == {
        4: "lead?lead=3",
        2: "lead?lead=1",
        1: "lead?lead=1",
        5: "lead?lead=2",
    }
    # Drawn as the lead tables draw it: "Open", a link.
    shown_as = json.loads(table.proto.columns)["lead_page"]
    assert shown_as["type_config"] == {"type": "link", "display_text": "Open"}


def test_every_ftd_flag_links_to_its_lead_page(open_page, ftd_warehouse):
    """The FTD flags: 9 and 10 are Ben's (lead 2), 8 Ana's (lead 1)."""
    at = open_page(PAGE, ftd_warehouse)
    (flags,) = [frame.value for frame in at.dataframe if "reason" in frame.value.columns]
    assert dict(zip(flags["deposit_id"], flags["lead_page"], strict=True)) == {
        9: "lead?lead=2",
        10: "lead?lead=2",
        8: "lead?lead=1",
    }
