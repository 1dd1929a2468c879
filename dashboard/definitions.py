"""The one-sentence rule behind each figure the pages show, for their help tooltips.

Written once here, for a reader in finance; warehouse/README.md's "Definitions" table says the
same at more length. A page passes ``help=definitions.HELP[...]`` and never words a rule itself.
"""

from __future__ import annotations

COHORT_DAYS = 7  # keep in step with mart_daily_kpa.sql and kpa_window.sql

# "Behind today" (the sales dashboard): the thresholds, written here once; BEHIND words the rule
# and warehouse/README.md's Definitions table says the same.
IDLE_LIMIT_S = 2 * 3600  # working time without a call
RATIO_MIN_CALLS = 10  # fewer calls than this say nothing about a ratio
RATIO_SHARE_OF_TEAM = 0.5  # behind below half the team's call ratio
PACE_SHARE_OF_EXPECTED = 0.75  # behind below three quarters of the target share expected by now
# ... once this share of the target's period has gone: early in a month one deposit more or less
# swings the share reached, and every AM would be "behind" on its first days.
PACE_FROM_EXPECTED = 0.25
# The floor's working hours, in minutes from the start of the reporting day, Monday to Friday:
# an AM's working time when they have no shifts (the target pace counts 09:00-18:00 too).
FLOOR_HOURS = (9 * 60, 18 * 60)
TYPICAL_WEEKS = 4  # a typical day: the same weekday of this many weeks before; calls_by_hour.sql

HELP = {
    "registrations": "Leads who registered in the period (by their registration time).",
    "deposits": (
        "Approved deposits, each counted on the day (and at the moment) the provider approved "
        "it; refunded and charged-back deposits no longer count."
    ),
    "deposit_usd": (
        "The approved deposits' amounts in US dollars at the CRM's book rate, on the day each "
        "was approved."
    ),
    "net_deposit_usd": "Approved deposits less refunds and chargebacks, in US dollars.",
    "ftds": (
        "First-time deposits: each lead's first approved deposit by approval time, at most one "
        "per lead ever; if it is reversed, the lead's next approved deposit becomes the FTD."
    ),
    "self_deposits": (
        "Deposits credited to no account manager: the lead had no owning AM when it deposited."
    ),
    "credit": (
        "A deposit is credited to the account manager who owned the lead at the time of the "
        "deposit; the sales dashboard counts only credited deposits."
    ),
    "calls": "Calls the account managers made, whatever their outcome.",
    "connected_calls": "Calls that reached the lead (outcome connected).",
    "call_ratio": "Connected calls divided by calls.",
    "talk_seconds": "The time spent on connected calls.",
    "cohort_conversion": (
        f"Of the leads registered in the period, the share whose FTD came within "
        f"{COHORT_DAYS} days of registering (a cohort younger than {COHORT_DAYS} days is still "
        "open)."
    ),
    "conversion_rate": (
        "FTDs of the period (whoever's) divided by the registrations of the same period: a "
        "same-day ratio that can pass 100 %, not a conversion."
    ),
    "failed_deposits": "Deposit attempts the provider declined, on the day it declined them.",
    "board": (
        "A deposit on an AM's target board counts as it is now: only while approved, at its "
        "current USD amount, against the target whose period holds the day it was approved."
    ),
    "expected_progress": (
        "The share of the target expected by now: the period's working days (Monday to "
        "Friday) and working hours (09:00-18:00 on the floor's clock) gone, over all of them."
    ),
    "reporting_day": (
        "A reporting day is a calendar day of the floor's time zone (STARBOARD_TIME_ZONE, "
        "default UTC), from its midnight to the next."
    ),
    "behind": (
        f"An AM is behind when any of these holds: {IDLE_LIMIT_S // 3600} h or more of "
        "working time without a call; a call ratio under "
        f"{RATIO_SHARE_OF_TEAM * 100:.0f} % of the team's (from {RATIO_MIN_CALLS} calls a day "
        f"on); less than {PACE_SHARE_OF_EXPECTED * 100:.0f} % of the share of the target "
        f"expected by now reached, once {PACE_FROM_EXPECTED * 100:.0f} % of its period has gone."
    ),
    "idle": (
        "Working time since the start of the AM's last call today (since the day began when "
        "none): only the AM's shifts count, in their own time zone and not on leave, or the "
        f"floor's hours ({FLOOR_HOURS[0] // 60:02d}:00-{FLOOR_HOURS[1] // 60:02d}:00 of the "
        "reporting day, Monday to Friday) for an AM without shifts."
    ),
    "starred_not_called": (
        "The AM's leads starred now that nobody has called since the reporting day began."
    ),
    "typical_day": (
        f"The mean of the same weekday in each of the {TYPICAL_WEEKS} weeks before, hour by hour."
    ),
    "so_far": (
        "A day still running is compared with the days before it up to the same minute, "
        "never with whole days."
    ),
}
