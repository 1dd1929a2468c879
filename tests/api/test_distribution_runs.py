"""The distribution's optional runs through the ingest API (issue 25, item 4): the platform's
login of an unowned lead back after days away, and a PSP's declined deposit of an unowned lead,
are assigned by the rules in the event's own transaction, the API's answer saying why."""

from __future__ import annotations

from crm.actions import distribution as dist
from crm.distribution.availability import Shift
from tests.api.test_ingest_api import ago, deposit, lead

ALAN = 2  # tests/api/conftest.py's account manager, on the conversion desk, in UTC
ALL_DAY = [Shift(day, 0, 1440) for day in range(7)]


def test_a_returning_login_and_a_declined_deposit_are_assigned_by_the_rules(ingest):
    for external_id in ("RUN-1", "RUN-2", "RUN-3"):
        posted = ingest.post(
            "Website", "/v1/leads", lead(external_id, registered_at=ago(30 * 24 * 60 + 60))
        )
        assert posted.status_code == 201, posted.text
    engine = ingest.engine
    dist.set_shifts(engine, actor_id=None, action_id="runs-shifts", am_id=ALAN, shifts=ALL_DAY)
    dist.save_rule(engine, actor_id=None, action_id="runs-rule", name="All", pool={ALAN: 1})
    dist.switch_rule(engine, actor_id=None, action_id="runs-on", name="All", on=True)
    dist.set_runs(
        engine,
        actor_id=1,
        action_id="runs-set",
        returning=True,
        returning_days=10,
        failed_deposits=True,
    )

    login = {"type": "login", "account_id": "RUN-1", "occurred_at": ago(0)}
    first = ingest.post(
        "Platform", "/v1/platform/events", {**login, "event_id": "RUN-e1", "session_id": "RUN-s1"}
    )
    assert first.status_code == 201, first.text
    why = "rule All → pool of 1; Alan Agent next in rotation; 1 today; on shift until 00:00 UTC"
    assert first.json()["distribution"] == f"returned after 30 days away; {why}"
    # A second login a moment later: the lead is Alan's now, nothing more happens.
    second = ingest.post(
        "Platform", "/v1/platform/events", {**login, "event_id": "RUN-e2", "session_id": "RUN-s2"}
    )
    assert second.status_code == 201 and "distribution" not in second.json()

    declined = ingest.post(
        "Stripe",
        "/v1/deposits",
        deposit("RUN-t1", "RUN-2", "declined", ago(0), decline_code="insufficient_funds"),
    )
    assert declined.status_code == 201, declined.text
    assert declined.json()["distribution"] == (
        "failed deposit 250.00 EUR declined: insufficient funds; "
        + why.replace("1 today", "2 today")
    )
    approved = ingest.post("Stripe", "/v1/deposits", deposit("RUN-t2", "RUN-3", "approved", ago(0)))
    assert approved.status_code == 201 and "distribution" not in approved.json()

    given = ingest.rows(
        "SELECT leads.external_id, to_am_id, reason FROM assignments "
        "JOIN leads ON leads.id = assignments.lead_id ORDER BY leads.external_id"
    )
    assert [tuple(row) for row in given] == [("RUN-1", ALAN, "auto"), ("RUN-2", ALAN, "auto")]
