"""Arrays of events on every endpoint (api/batch.py), on the real Uvicorn server and both
databases: each item checked and answered on its own, each applied exactly once, a bad item
named and not written, a repeat writing nothing.

Expected counts are worked out by hand from what each test sends.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from tests.api.test_ingest_api import ago, deposit, lead, money


def call(call_id: str, lead_external_id: str) -> dict:
    return {
        "call_id": call_id,
        "agent_email": "alan@b.example",
        "lead_external_id": lead_external_id,
        "started_at": ago(9),
        "duration_s": 30,
        "disposition": "NA",
    }


def test_an_array_of_leads_applies_the_good_ones_and_names_the_bad_one(ingest):
    before = ingest.counts()
    people = [lead("ARR-1"), {**lead("ARR-2"), "email": "not-an-email"}, lead("ARR-3")]
    answer = ingest.post("Website", "/v1/leads", people)
    assert answer.status_code == 207, answer.text
    body = answer.json()
    assert (body["applied"], body["unchanged"], body["waiting"], body["refused"]) == (2, 0, 0, 1)
    results = body["results"]
    assert [(r["index"], r["code"]) for r in results] == [(0, 201), (1, 422), (2, 201)]
    assert results[1]["fields"] == {"[1].email": "is not an email address"}
    assert [r.get("external_id") for r in results] == ["ARR-1", None, "ARR-3"]
    after = ingest.counts()
    # two leads, each with its welcome mail; the bad one nowhere
    assert after["leads"] - before["leads"] == 2
    assert after["email_outbox"] - before["email_outbox"] == 2
    assert ingest.scalar("SELECT count(*) FROM leads WHERE external_id = 'ARR-2'") == 0
    ids = {
        external: lead_id
        for external, lead_id in ingest.rows(
            "SELECT external_id, id FROM leads WHERE external_id LIKE 'ARR-%'"
        )
    }
    assert (results[0]["lead_id"], results[2]["lead_id"]) == (ids["ARR-1"], ids["ARR-3"])

    # The same array again: the two are duplicates, nothing is written.
    again = ingest.post("Website", "/v1/leads", people)
    assert again.status_code == 207
    assert [(r["code"], r.get("duplicate")) for r in again.json()["results"]] == [
        (200, True),
        (422, None),
        (200, True),
    ]
    assert ingest.counts() == after


def test_a_whole_array_of_bad_items_is_refused_422_naming_each(ingest):
    before = ingest.counts()
    answer = ingest.post(
        "Platform",
        "/v1/platform/events",
        [
            {"event_id": "ARB-e1", "type": "teleport", "account_id": "x", "session_id": "s"},
            {"event_id": "ARB-e2", "type": "login", "account_id": "x"},
        ],
    )
    assert answer.status_code == 422
    assert answer.json()["fields"] == {
        "[0].type": "is not a known event type",
        "[1].session_id": "is missing: a login names its session",
    }
    too_many = ingest.post("Website", "/v1/leads", [lead(f"ARB-{n}") for n in range(101)])
    assert (too_many.status_code, too_many.json()["fields"]) == (
        422,
        {"body": "holds 101 events"},
    )
    assert ingest.counts() == before


def test_arrays_on_each_endpoint_are_applied_once_and_resent_write_nothing(ingest):
    assert ingest.post("Website", "/v1/leads", [lead("ARE-1"), lead("ARE-2")]).status_code == 201
    platform = [
        {
            "event_id": f"ARE-l{n}",
            "type": "login",
            "account_id": f"ARE-{n}",
            "session_id": f"ARE-s{n}",
            "occurred_at": ago(30),
        }
        for n in (1, 2)
    ]
    payments = [
        deposit(f"ARE-t{n}", f"ARE-{n}", "approved", ago(5), event_id=f"ARE-d{n}") for n in (1, 2)
    ]
    # the second deposit names a currency the CRM does not take: refused, the first kept
    payments[1]["currency"] = "JPY"
    calls = [call(f"ARE-c{n}", f"ARE-{n}") for n in (1, 2)]
    before = ingest.counts()
    answers = [
        ingest.post("Platform", "/v1/platform/events", platform),
        ingest.post("Stripe", "/v1/deposits", payments),
        ingest.post("Dialer", "/v1/calls", calls),
    ]
    assert [a.status_code for a in answers] == [201, 207, 201], [a.text for a in answers]
    assert [r["code"] for r in answers[1].json()["results"]] == [201, 422]
    assert answers[1].json()["results"][1]["fields"] == {
        "[1].currency": "is not a currency the brokerage takes (BRL, EUR, USD)"
    }
    after = ingest.counts()
    assert after["platform_sessions"] - before["platform_sessions"] == 2
    assert after["deposit_attempts"] - before["deposit_attempts"] == 1
    assert after["calls"] - before["calls"] == 2
    balance = ingest.scalar("SELECT balance FROM leads WHERE external_id = 'ARE-1'")
    assert money(balance) == Decimal("250.00")
    assert (
        ingest.scalar(
            "SELECT count(*) FROM deposit_attempts WHERE provider_transaction_id = 'ARE-t2'"
        )
        == 0
    )

    # Sent again in new messages (fresh webhook-ids): each item is a duplicate, nothing written.
    again = [
        ingest.post("Platform", "/v1/platform/events", platform),
        ingest.post("Stripe", "/v1/deposits", payments[:1]),
        ingest.post("Dialer", "/v1/calls", calls),
    ]
    assert [a.status_code for a in again] == [200, 200, 200], [a.text for a in again]
    for answer in again:
        assert {r["status"] for r in answer.json()["results"]} == {"duplicate"}
    assert ingest.counts() == after


def test_eight_clients_sending_the_same_arrays_end_with_each_item_once(ingest):
    people = [lead(f"ARC-{n}") for n in range(10)]
    payments = [
        deposit(f"ARC-t{n}", f"ARC-{n}", "approved", ago(5), event_id=f"ARC-d{n}")
        for n in range(10)
    ]
    calls = [call(f"ARC-c{n}", f"ARC-{n}") for n in range(10)]
    logins = [
        {
            "event_id": f"ARC-l{n}",
            "type": "login",
            "account_id": f"ARC-{n}",
            "session_id": f"ARC-s{n}",
            "occurred_at": ago(4),
        }
        for n in range(10)
    ]
    before = ingest.counts()

    def client_sends(client: int) -> list[int]:
        # each client in its own order, so that the arrays cross each other's locks
        order = people if client % 2 else people[::-1]
        return [
            ingest.post("Website", "/v1/leads", order).status_code,
            ingest.post("Stripe", "/v1/deposits", payments[:: 1 if client % 2 else -1]).status_code,
            ingest.post("Dialer", "/v1/calls", calls[:: 1 if client % 2 else -1]).status_code,
            ingest.post(
                "Platform", "/v1/platform/events", logins[:: 1 if client % 2 else -1]
            ).status_code,
        ]

    with ThreadPoolExecutor(8) as pool:
        codes = [code for client in pool.map(client_sends, range(8)) for code in client]
    assert set(codes) <= {200, 201, 202}, codes
    after = ingest.counts()
    assert after["leads"] - before["leads"] == 10
    assert after["email_outbox"] - before["email_outbox"] == 10
    assert after["deposit_attempts"] - before["deposit_attempts"] == 10
    assert after["calls"] - before["calls"] == 10
    assert after["platform_sessions"] - before["platform_sessions"] == 10
    balances = ingest.rows("SELECT balance FROM leads WHERE external_id LIKE 'ARC-%'")
    assert [money(b) for (b,) in balances] == [Decimal("250.00")] * 10
    assert (
        ingest.scalar(
            "SELECT count(*) FROM ingest_inbox WHERE status = 'waiting' AND event_id LIKE 'ARC-%'"
        )
        == 0
    )


def test_an_item_its_action_refuses_leaves_nothing_and_the_others_are_applied(ingest):
    # An array is applied in one go first; the unknown agent is found by the action, midway,
    # so the array is applied again item by item: the two good calls are kept, once each.
    assert ingest.post("Website", "/v1/leads", [lead("ARF-1"), lead("ARF-2")]).status_code == 201
    before = ingest.counts()
    calls = [
        call("ARF-c1", "ARF-1"),
        {**call("ARF-c2", "ARF-2"), "agent_email": "nobody@b.example"},
        call("ARF-c3", "ARF-2"),
    ]
    answer = ingest.post("Dialer", "/v1/calls", calls)
    assert answer.status_code == 207, answer.text
    results = answer.json()["results"]
    assert [r["code"] for r in results] == [201, 422, 201]
    assert results[1]["fields"] == {"agent_email": "names no staff member of this CRM"}
    after = ingest.counts()
    # two calls, each with its claim and its audit row; nothing of the refused one
    assert {t: after[t] - before[t] for t in ("calls", "applied_actions", "audit_log")} == {
        "calls": 2,
        "applied_actions": 2,
        "audit_log": 2,
    }
    assert ingest.rows(
        "SELECT external_id FROM calls WHERE external_id LIKE 'ARF-%' ORDER BY 1"
    ) == [
        ("ARF-c1",),
        ("ARF-c3",),
    ]


def test_the_same_event_twice_in_one_array_is_applied_once(ingest):
    assert ingest.post("Website", "/v1/leads", [lead("ARD-1")]).status_code == 201
    before = ingest.counts()
    login = {
        "event_id": "ARD-l1",
        "type": "login",
        "account_id": "ARD-1",
        "session_id": "ARD-s1",
        "occurred_at": ago(3),
    }
    answer = ingest.post("Platform", "/v1/platform/events", [login, login])
    assert answer.status_code == 201, answer.text
    results = answer.json()["results"]
    assert [(r["code"], r["status"]) for r in results] == [(201, "applied"), (200, "duplicate")]
    assert results[1]["duplicate"] is True
    assert results[1]["session_id"] == results[0]["session_id"]
    after = ingest.counts()
    assert {t: after[t] - before[t] for t in ("platform_sessions", "applied_actions")} == {
        "platform_sessions": 1,
        "applied_actions": 1,
    }


def test_events_of_one_lead_in_one_array_each_see_the_ones_before(ingest):
    # A USD account, two approved EUR deposits of 250 in one array: each credited at EUR 1.1 /
    # USD 1, the second on top of the first (250 x 1.1 = 275.00, twice: 550.00); only the
    # first is the FTD. A login, a heartbeat and a balance of the same account in one array.
    assert ingest.post("Website", "/v1/leads", [lead("ARB-1", currency="USD")]).status_code == 201
    payments = [
        deposit(f"ARB-t{n}", "ARB-1", "approved", ago(6 - n), event_id=f"ARB-d{n}") for n in (1, 2)
    ]
    answer = ingest.post("Stripe", "/v1/deposits", payments)
    assert answer.status_code == 201, answer.text
    assert money(ingest.scalar("SELECT balance FROM leads WHERE external_id = 'ARB-1'")) == (
        Decimal("550.00")
    )
    assert ingest.rows(
        "SELECT provider_transaction_id, is_ftd FROM deposit_attempts "
        "WHERE provider_transaction_id LIKE 'ARB-%' ORDER BY 1"
    ) == [("ARB-t1", True), ("ARB-t2", False)]

    platform = [
        {"type": "login", "occurred_at": ago(4)},
        {"type": "heartbeat", "occurred_at": ago(2)},
        {"type": "balance", "occurred_at": ago(1), "balance": "80.25", "currency": "USD"},
    ]
    for n, event in enumerate(platform):
        event.update(event_id=f"ARB-p{n}", account_id="ARB-1")
        if event["type"] != "balance":
            event["session_id"] = "ARB-s1"
    answer = ingest.post("Platform", "/v1/platform/events", platform)
    assert answer.status_code == 201, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["applied"] * 3
    assert ingest.scalar("SELECT count(*) FROM platform_sessions WHERE external_id = 'ARB-s1'") == 1
    assert money(ingest.scalar("SELECT balance FROM leads WHERE external_id = 'ARB-1'")) == (
        Decimal("80.25")
    )
