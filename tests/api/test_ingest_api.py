"""The ingest API end to end: real Uvicorn, real databases, httpx as the brokerage's systems.

Each test names its own leads (external ids with the test's prefix): the module shares one
CRM per database. Expected values are worked out by hand from what the test sends.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

from etl.extract import CrmSource
from etl.run import run_etl
from tests.api.conftest import sign
from warehouse import warehouse_paths
from warehouse.reader import Warehouse


def lead(external_id: str, **extra) -> dict:
    return {
        "external_id": external_id,
        "first_name": "Ana",
        "last_name": "Souza",
        "email": f"{external_id.lower()}@example.com",
        "currency": extra.pop("currency", "EUR"),
        "phone": extra.pop("phone", None) or f"+55 11 9{abs(hash(external_id)) % 10**8:08d}",
        **extra,
    }


def deposit(transaction: str, lead_external_id: str, status: str, at: str, **extra) -> dict:
    return {
        "transaction_id": transaction,
        "lead_external_id": lead_external_id,
        "status": status,
        "amount": "250.00",
        "currency": "EUR",
        "method": "card",
        "occurred_at": at,
        **extra,
    }


def money(value) -> Decimal:
    """An amount as read with plain SQL: text on SQLite, NUMERIC on PostgreSQL."""
    return Decimal(str(value))


def ago(minutes: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(minutes=minutes)).isoformat()


def test_each_endpoint_is_read_back_in_the_crm_and_in_the_warehouse(ingest, tmp_path):
    registered = ingest.post(
        "Website",
        "/v1/leads",
        lead(
            "HP-1",
            phone="020 7946 0018",
            country="GB",
            currency="EUR",
            affiliate="aff_fx",
            campaign="search_brand",
            source="google_ads",
        ),
    )
    assert registered.status_code == 201, registered.text
    lead_id = registered.json()["lead_id"]
    row = ingest.rows(
        "SELECT phone, time_zone, country, source, external_id, affiliate, status "
        "FROM leads WHERE id = :id",
        id=lead_id,
    )[0]
    assert tuple(row) == (
        "+442079460018",
        "Europe/London",
        "GB",
        "google_ads",
        "HP-1",
        "aff_fx",
        "new",
    )
    assert ingest.scalar("SELECT template FROM email_outbox WHERE lead_id = :id", id=lead_id) == (
        "welcome"
    )
    login_at, seen_at = ago(30), ago(1)
    events = [
        {
            "event_id": "HP-e1",
            "type": "login",
            "account_id": "HP-1",
            "session_id": "HP-s1",
            "occurred_at": login_at,
            "device": "ios",
        },
        {
            "event_id": "HP-e2",
            "type": "heartbeat",
            "account_id": "HP-1",
            "session_id": "HP-s1",
            "occurred_at": seen_at,
        },
        {
            "event_id": "HP-e3",
            "type": "balance",
            "account_id": "HP-1",
            "balance": "75.50",
            "occurred_at": seen_at,
        },
    ]
    platform = ingest.post("Platform", "/v1/platform/events", events)
    assert platform.status_code == 201, platform.text
    called = ingest.post(
        "Dialer",
        "/v1/calls",
        {
            "call_id": "HP-c1",
            "agent_extension": "2041",
            "lead_external_id": "HP-1",
            "started_at": ago(20),
            "duration_s": 184,
            "disposition": "ANSWERED",
        },
    )
    assert called.status_code == 201, called.text
    declined = ingest.post(
        "Stripe",
        "/v1/deposits",
        deposit("HP-t1", "HP-1", "declined", ago(10), decline_code="insufficient_funds"),
    )
    assert declined.status_code == 201, declined.text

    session = ingest.rows(
        "SELECT device, logout_at FROM platform_sessions WHERE external_id = 'HP-s1'"
    )[0]
    assert tuple(session) == ("ios", None)
    balance, status = ingest.rows("SELECT balance, status FROM leads WHERE id = :id", id=lead_id)[0]
    assert (money(balance), status) == (Decimal("75.50"), "contacted")
    assert ingest.rows(
        "SELECT am_id, duration_s, outcome FROM calls WHERE external_id = 'HP-c1'"
    ) == [(2, 184, "connected")]
    attempt = ingest.rows(
        "SELECT status, decline_reason, raw_decline_code, amount_usd "
        "FROM deposit_attempts WHERE provider_transaction_id = 'HP-t1'"
    )[0]
    assert (*attempt[:3], money(attempt[3])) == (
        "declined",
        "insufficient funds",
        "insufficient_funds",
        Decimal("275.00"),
    )
    audit = ingest.rows(
        "SELECT DISTINCT a.action, i.name FROM audit_log a JOIN integrations i "
        "ON i.id = a.integration_id WHERE a.lead_id = :id ORDER BY 1",
        id=lead_id,
    )
    assert [tuple(r) for r in audit] == [
        ("deposit_event", "Stripe"),
        ("dialer_call", "Dialer"),
        ("ingest_leads", "Website"),
        ("platform_event", "Platform"),
    ]

    paths = warehouse_paths(tmp_path / "warehouse.duckdb")
    source = CrmSource(ingest.crm_url)
    try:
        run_etl(source, paths)
    finally:
        source.close()
    reader = Warehouse(paths)
    try:
        leads = reader.sql(
            f"SELECT country, time_zone, balance FROM mart_lead_priority WHERE lead_id = {lead_id}"
        ).to_pylist()
        payments = reader.sql(
            f"SELECT status, decline_reason, provider FROM mart_payments WHERE lead_id = {lead_id}"
        ).to_pylist()
        calls = reader.sql(
            "SELECT am_id, detail, summary FROM mart_activity_log "
            f"WHERE kind = 'call' AND lead_id = {lead_id}"
        ).to_pylist()
    finally:
        reader.close()
    assert leads == [{"country": "GB", "time_zone": "Europe/London", "balance": Decimal("75.50")}]
    assert payments == [
        {"status": "declined", "decline_reason": "insufficient funds", "provider": "Stripe"}
    ]
    assert calls == [{"am_id": 2, "detail": "connected", "summary": "connected, 3:04"}]


def test_duplicates_and_replays_write_nothing(ingest):
    first = ingest.post("Website", "/v1/leads", lead("DUP-1"))
    assert first.status_code == 201
    before = ingest.counts()
    again = ingest.post("Website", "/v1/leads", lead("DUP-1"))
    same_email = ingest.post(
        "Affiliates", "/v1/leads", {**lead("DUP-OTHER"), "email": "dup-1@example.com"}
    )
    assert (again.status_code, again.json()["duplicate"], again.json()["lead_id"]) == (
        200,
        True,
        first.json()["lead_id"],
    )
    assert (same_email.json()["matched_on"], same_email.json()["lead_id"]) == (
        "email",
        first.json()["lead_id"],
    )
    assert ingest.counts() == before

    body = json.dumps(deposit("DUP-t1", "DUP-1", "approved", ago(5)))
    headers = sign(ingest.keys["Stripe"].webhook_secret, body, message_id="msg_dup_1")
    with ingest.client("Stripe") as client:
        applied = client.post("/v1/deposits", content=body, headers=headers)
        after_first = ingest.counts()
        replayed = client.post("/v1/deposits", content=body, headers=headers)
    assert applied.status_code == 201
    assert (replayed.status_code, replayed.json()["replayed"]) == (200, True)
    # The same event in a new message (the PSP's retry with a fresh webhook-id): its own id
    # is the same, so it is applied once.
    resent = ingest.post("Stripe", "/v1/deposits", body, message_id="msg_dup_2")
    assert resent.json()["status"] in ("duplicate", "ignored"), resent.text
    assert ingest.counts() == after_first
    assert money(ingest.scalar("SELECT balance FROM leads WHERE external_id = 'DUP-1'")) == Decimal(
        "250.00"
    )


@pytest.mark.parametrize("order", ["forward", "reversed"])
def test_out_of_order_deposit_statuses_end_right(ingest, order):
    prefix = f"OOO-{order}"
    ingest.post("Website", "/v1/leads", lead(prefix))
    # One attempt: created, declined (a soft decline), approved on retry, then refunded.
    events = [
        deposit(f"{prefix}-t", prefix, "created", ago(40), event_id=f"{prefix}-1"),
        deposit(
            f"{prefix}-t", prefix, "declined", ago(30), event_id=f"{prefix}-2", decline_code="51"
        ),
        deposit(f"{prefix}-t", prefix, "approved", ago(20), event_id=f"{prefix}-3"),
        deposit(f"{prefix}-t", prefix, "refunded", ago(10), event_id=f"{prefix}-4"),
    ]
    if order == "reversed":
        events.reverse()
    for event in [*events, events[1]]:  # and one sent twice
        assert ingest.post("Stripe", "/v1/deposits", event).status_code in (200, 201)
    row = ingest.rows(
        "SELECT status, decline_reason, created_at, decided_at, is_ftd FROM "
        f"deposit_attempts WHERE provider_transaction_id = '{prefix}-t'"
    )
    assert len(row) == 1
    status, reason, created, decided, is_ftd = row[0]
    assert (status, reason, bool(is_ftd)) == ("refunded", None, True)
    assert abs(
        _utc(created)
        - datetime.fromisoformat(events[0 if order == "forward" else 3]["occurred_at"])
    ) < timedelta(seconds=1)
    # Approved then refunded: the balance is back to nothing; the FTD stays the approval's.
    assert money(ingest.scalar(f"SELECT balance FROM leads WHERE external_id = '{prefix}'")) == 0


def _utc(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def test_a_declined_then_approved_pair_ends_approved_in_either_order(ingest):
    for order, events in (("a", ("declined", "approved")), ("b", ("approved", "declined"))):
        prefix = f"PAIR-{order}"
        ingest.post("Website", "/v1/leads", lead(prefix))
        times = {"declined": ago(20), "approved": ago(10)}
        for status in events:
            code = {"decline_code": "05"} if status == "declined" else {}
            ingest.post(
                "Stripe",
                "/v1/deposits",
                deposit(
                    f"{prefix}-t",
                    prefix,
                    status,
                    times[status],
                    event_id=f"{prefix}-{status}",
                    **code,
                ),
            )
        assert (
            ingest.scalar(
                f"SELECT status FROM deposit_attempts WHERE provider_transaction_id = '{prefix}-t'"
            )
            == "approved"
        )
        assert money(
            ingest.scalar(f"SELECT balance FROM leads WHERE external_id = '{prefix}'")
        ) == (Decimal("250.00"))


def test_bad_signature_expired_timestamp_wrong_key_and_wrong_kind_are_refused(ingest):
    ingest.post("Website", "/v1/leads", lead("AUTH-1"))
    body = deposit("AUTH-t", "AUTH-1", "approved", ago(1))
    before = ingest.counts()
    wrong_secret = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="
    bad = ingest.post("Stripe", "/v1/deposits", body, secret=wrong_secret)
    expired = ingest.post(
        "Stripe", "/v1/deposits", body, at=datetime.now(timezone.utc) - timedelta(minutes=6)
    )
    unsigned = ingest.post("Stripe", "/v1/deposits", body, signed=False)
    with httpx.Client(base_url=ingest.url) as client:
        wrong_key = client.post(
            "/v1/deposits",
            json=body,
            headers={"Authorization": "Bearer sbk_000000000000_not-a-key"},
        )
        no_key = client.post("/v1/leads", json=lead("AUTH-2"))
    wrong_kind = ingest.post("Dialer", "/v1/deposits", body)
    website_on_calls = ingest.post("Website", "/v1/calls", {})
    assert [r.status_code for r in (bad, expired, unsigned, wrong_key, no_key)] == [401] * 5
    assert bad.json()["fields"] == {"webhook-signature": "does not match"}
    assert "webhook-timestamp" in expired.json()["fields"]
    assert set(unsigned.json()["fields"]) == {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
    assert (wrong_kind.status_code, website_on_calls.status_code) == (403, 403)
    assert ingest.counts() == before


def test_a_revoked_key_is_refused_and_a_rotated_one_works(ingest):
    from crm import integrations

    integrations.add_integration(
        ingest.engine, actor_id=None, command_line=True, name="Old site", kind="website"
    )
    _, credentials = integrations.rotate_integration(
        ingest.engine, actor_id=None, command_line=True, name="Old site"
    )
    with httpx.Client(
        base_url=ingest.url, headers={"Authorization": f"Bearer {credentials.api_key}"}
    ) as client:
        assert client.post("/v1/leads", json=lead("ROT-1")).status_code == 201
        integrations.revoke_integration(
            ingest.engine, actor_id=None, command_line=True, name="Old site"
        )
        assert client.post("/v1/leads", json=lead("ROT-2")).status_code == 401


def test_eight_clients_sending_the_same_events_end_with_each_once(ingest):
    people = [lead(f"CONC-{n}") for n in range(10)]
    for person in people[:2]:  # two leads are there already
        ingest.post("Website", "/v1/leads", person)
    payments = [
        deposit(f"CONC-t{n}", f"CONC-{n}", "approved", ago(5), event_id=f"CONC-d{n}")
        for n in range(10)
    ]
    calls = [
        {
            "call_id": f"CONC-c{n}",
            "agent_email": "alan@b.example",
            "lead_external_id": f"CONC-{n}",
            "started_at": ago(9),
            "duration_s": 30,
            "disposition": "NA",
        }
        for n in range(10)
    ]
    before = ingest.counts()

    def client_sends(_client: int) -> list[int]:
        codes = []
        for person, payment, call in zip(people, payments, calls, strict=True):
            codes.append(ingest.post("Website", "/v1/leads", person).status_code)
            codes.append(ingest.post("Stripe", "/v1/deposits", payment).status_code)
            codes.append(ingest.post("Dialer", "/v1/calls", call).status_code)
        return codes

    with ThreadPoolExecutor(8) as pool:
        codes = [code for client in pool.map(client_sends, range(8)) for code in client]
    assert set(codes) <= {200, 201, 202}, codes
    after = ingest.counts()
    assert after["leads"] - before["leads"] == 8
    assert after["deposit_attempts"] - before["deposit_attempts"] == 10
    assert after["calls"] - before["calls"] == 10
    assert (
        ingest.scalar(
            "SELECT count(*) FROM deposit_attempts WHERE provider_transaction_id "
            "LIKE 'CONC-t%' AND status = 'approved'"
        )
        == 10
    )
    balances = ingest.rows("SELECT balance FROM leads WHERE external_id LIKE 'CONC-%'")
    assert [money(b) for (b,) in balances] == [Decimal("250.00")] * 10
    assert (
        ingest.scalar(
            "SELECT count(*) FROM ingest_inbox WHERE status = 'waiting' AND event_id LIKE 'CONC-%'"
        )
        == 0
    )


def test_a_malformed_body_names_each_bad_field_and_writes_nothing(ingest):
    before = ingest.counts()
    response = ingest.post(
        "Website",
        "/v1/leads",
        {
            "external_id": "BAD-1",
            "first_name": "Ana\u0007",
            "email": "not-an-email",
            "phone": "12",
            "country": "XX",
            "colour": "blue",
        },
    )
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert set(fields) == {"first_name", "last_name", "email", "phone", "country", "colour"}
    assert fields["last_name"] == "is missing"
    assert fields["first_name"] == "holds control characters"
    not_json = ingest.post("Website", "/v1/leads", "{not json")
    assert (not_json.status_code, not_json.json()["fields"]) == (400, {"body": "is not JSON"})
    batch = ingest.post(
        "Platform",
        "/v1/platform/events",
        [
            {"event_id": "BAD-e1", "type": "login", "account_id": "x"},
            {"event_id": "BAD-e2", "type": "teleport", "account_id": "x"},
        ],
    )
    # An array whose every item is bad is refused whole (one bad among good ones:
    # tests/api/test_batches.py).
    assert (batch.status_code, batch.json()["fields"]) == (
        422,
        {
            "[0].session_id": "is missing: a login names its session",
            "[1].type": "is not a known event type",
        },
    )
    assert ingest.counts() == before


def test_an_unknown_time_zone_is_refused_never_stored(ingest):
    response = ingest.post("Website", "/v1/leads", lead("TZ-1", time_zone="Europe/Atlantis"))
    assert response.status_code == 422
    assert response.json()["fields"] == {"time_zone": "is not an IANA time zone like Europe/London"}
    assert ingest.scalar("SELECT count(*) FROM leads WHERE external_id = 'TZ-1'") == 0


def test_an_event_before_its_lead_waits_in_the_inbox_and_is_applied_when_it_arrives(ingest):
    call = {
        "call_id": "INBOX-c1",
        "agent_email": "alan@b.example",
        "lead_external_id": "INBOX-1",
        "started_at": ago(3),
        "duration_s": 12,
        "disposition": "wrong number",
    }
    waiting = ingest.post("Dialer", "/v1/calls", call)
    assert waiting.status_code == 202, waiting.text
    assert ingest.scalar("SELECT status FROM ingest_inbox WHERE event_id = 'INBOX-c1'") == (
        "waiting"
    )
    assert ingest.scalar("SELECT count(*) FROM calls WHERE external_id = 'INBOX-c1'") == 0
    registered = ingest.post("Website", "/v1/leads", lead("INBOX-1"))
    lead_id = registered.json()["lead_id"]
    assert ingest.scalar("SELECT status FROM ingest_inbox WHERE event_id = 'INBOX-c1'") == (
        "applied"
    )
    assert ingest.rows("SELECT lead_id, outcome FROM calls WHERE external_id = 'INBOX-c1'") == [
        (lead_id, "wrong_number")
    ]
    templates = ingest.rows(
        "SELECT template FROM email_outbox WHERE lead_id = :id ORDER BY id", id=lead_id
    )
    assert [t for (t,) in templates] == ["welcome", "reach_you"]


def test_a_burst_over_the_rate_is_answered_429_with_retry_after(ingest):
    # "Slow PSP" may send 1 request a second, 2 at once: the first two of a burst pass (and are
    # refused for their empty body), a later one is limited. Up to ten are sent, as a busy
    # machine may take long enough over some for the bucket to refill a token between them.
    answers = []
    for _ in range(10):
        answers.append(ingest.post("Slow PSP", "/v1/deposits", {}))
        if answers[-1].status_code == 429:
            break
    assert [a.status_code for a in answers[:2]] == [422, 422]
    limited = answers[-1]
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1


def test_every_request_is_logged_without_the_payload(ingest):
    ingest.post("Website", "/v1/leads", lead("LOG-1", first_name="Zebediah"))
    import time

    time.sleep(1.2)  # the log is written in batches, every half second
    rows = ingest.rows(
        "SELECT i.name, r.endpoint, r.status, r.event_id, r.error FROM "
        "ingest_requests r JOIN integrations i ON i.id = r.integration_id "
        "WHERE r.event_id = 'LOG-1'"
    )
    assert [tuple(r) for r in rows] == [("Website", "leads", 201, "LOG-1", None)]
    everything = " ".join(
        str(v) for row in ingest.rows("SELECT * FROM ingest_requests") for v in row
    )
    assert "Zebediah" not in everything and "log-1@example.com" not in everything
