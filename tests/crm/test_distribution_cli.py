"""``python -m crm distribution``: rules, shifts and the backlog from the command line, and one
``error:`` line with nothing written on bad input (issue 25)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.crm.distribution_floor import T, add_staff, person, register
from tests.crm.test_cli_errors import assert_one_line_error


def counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.scalar(sa.select(sa.func.count()).select_from(T[name]))
            for name in (
                "distribution_rules",
                "distribution_pool",
                "am_shifts",
                "am_leave",
                "applied_actions",
            )
        }


@pytest.mark.slow
def test_a_rule_added_switched_on_and_the_backlog_run_from_the_command_line(run_crm, crm_engine):
    url = crm_engine.url
    ravi = add_staff(crm_engine, "Ravi", zone="Asia/Nicosia")
    (lead_id,) = register(crm_engine, [person(1)]).details["lead_ids"]
    every_day = "Mon-Sun 00:00-24:00"
    assert run_crm("distribution", "set-shifts", "ravi@starboard.test", every_day, url=url).stdout
    added = run_crm(
        "distribution",
        "add-rule",
        "EU-EN",
        "--pool",
        "ravi@starboard.test:3",
        "--language",
        "en",
        "--daily-cap",
        "40",
        url=url,
    )
    assert added.stdout == (
        "rule EU-EN added (switched off: replay it, then switch it on): pool of 1.\n"
    )
    listed = run_crm("distribution", "rules", url=url).stdout
    assert listed == "1. EU-EN [off] languages: en → Ravi×3; caps 40 a day\n"
    assert run_crm("distribution", "switch", "EU-EN", "on", url=url).stdout == (
        "rule EU-EN switched on.\n"
    )
    ran = run_crm("distribution", "run-backlog", "--include-new", url=url)
    assert ran.stdout == "1 leads assigned; 0 still waiting.\n", ran.stderr
    with crm_engine.connect() as connection:
        owner = connection.scalar(sa.select(T["leads"].c.am_id).where(T["leads"].c.id == lead_id))
    assert owner == ravi


@pytest.mark.slow
@pytest.mark.parametrize("crm_url", ["sqlite"], indirect=True)
def test_the_optional_runs_shown_and_switched_from_the_command_line(run_crm, crm_engine):
    url = crm_engine.url
    said = "the rules also run for: "
    assert run_crm("distribution", "runs", url=url).stdout == (
        f"{said}returning leads off (would be after 14 days away); failed deposits off.\n"
    )
    switched = run_crm("distribution", "runs", "--returning", "on", "--days", "12", url=url)
    assert switched.stdout == f"{said}returning leads after 12 days away; failed deposits off.\n"
    # An option left out keeps its value.
    assert run_crm("distribution", "runs", "--failed-deposits", "on", url=url).stdout == (
        f"{said}returning leads after 12 days away; failed deposits on.\n"
    )
    with crm_engine.connect() as connection:
        kept = dict(
            connection.execute(
                sa.text("SELECT key, value FROM crm_settings WHERE key LIKE 'distribution_%'")
            ).all()
        )
    assert kept == {
        "distribution_returning": "on",
        "distribution_returning_days": "12",
        "distribution_failed_deposits": "on",
    }


@pytest.mark.slow
@pytest.mark.parametrize("crm_url", ["sqlite"], indirect=True)
def test_leave_added_refused_when_it_overlaps_and_cancelled_from_the_command_line(
    run_crm, crm_engine
):
    url = crm_engine.url
    add_staff(crm_engine, "Ravi")
    added = run_crm(
        "distribution", "leave", "ravi@starboard.test", "2099-03-02", "2099-03-06", url=url
    )
    assert added.stdout == "Ravi is on leave from 2099-03-02 to 2099-03-06.\n"
    again = run_crm(
        "distribution", "leave", "ravi@starboard.test", "2099-03-06", "2099-03-09", url=url
    )
    assert assert_one_line_error(again) == (
        "error: Ravi is on leave from 2099-03-02 to 2099-03-06 already: cancel that leave "
        "first, or pick days around it."
    )
    cancelled = run_crm(
        "distribution", "cancel-leave", "ravi@starboard.test", "2099-03-04", url=url
    )
    assert cancelled.stdout == "Ravi's leave from 2099-03-02 to 2099-03-06 is cancelled.\n"
    assert counts(crm_engine)["am_leave"] == 0


# The input is checked before or without the database's dialect mattering: SQLite only.
@pytest.mark.parametrize("crm_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (("set-shifts", "ravi@starboard.test", "Mon-Fry 09:00-18:00"), "is not a shift"),
        (("set-shifts", "ravi@starboard.test", "Mon 25:00-26:00"), "is not a shift"),
        (("set-shifts", "nobody@starboard.test", "Mon 09:00-18:00"), "no staff member"),
        (("add-rule", "X", "--pool", "ravi@starboard.test:abc"), "not a whole number"),
        (("add-rule", "X", "--pool", "ravi@starboard.test:0"), "weight 0 is not 1 to 100"),
        (("add-rule", "X", "--pool", "ravi@starboard.test", "--hours", "5"), "8-20"),
        (("add-rule", "X", "--pool", "ravi@starboard.test", "--desk", "sales"), "a desk is"),
        (("add-rule", "X", "--pool", "maria@starboard.test"), "not an account manager"),
        (("switch", "Nope", "on"), "there is no rule 'Nope'"),
        (("leave", "ravi@starboard.test", "2026-13-01", "2026-12-02"), "is not a day"),
        (("leave", "ravi@starboard.test", "2026-03-05", "2026-03-01"), "ends"),
        (("leave", "ravi@starboard.test", "2026-03-05", "2027-03-06"), "longer than 366"),
        (("cancel-leave", "ravi@starboard.test", "2026-03-05"), "has no leave on 2026-03-05"),
        (("cancel-leave", "ravi@starboard.test", "5 March"), "is not a day"),
        (("replay", "--from", "2026-03-05", "--to", "2026-03-01"), "before"),
        (("replay", "--from", "2026-03-01", "--to", "2026-03-05"), "no rule to replay"),
        (("runs", "--returning", "on", "--days", "0"), "0 days away is not 1 to 3,650"),
    ],
)
def test_bad_input_is_one_error_line_and_nothing_is_written(run_crm, crm_engine, arguments, words):
    add_staff(crm_engine, "Ravi")
    add_staff(crm_engine, "Maria", role="lead_manager")
    before = counts(crm_engine)
    message = assert_one_line_error(run_crm("distribution", *arguments, url=crm_engine.url))
    assert words in message
    assert counts(crm_engine) == before
