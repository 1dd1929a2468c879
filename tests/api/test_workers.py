"""The ingest API with two Uvicorn worker processes: each worker keeps the keys it has
verified, and still a revoked or rotated key is refused from the very next request, whichever
worker takes it; concurrent clients still end with each event once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from crm import integrations
from tests.api.test_ingest_api import deposit, lead, money

API_WORKERS = 2
# Enough requests that both workers serve (and remember) the key: Uvicorn's workers share
# one listening socket, and the kernel spreads connections between them.
WARM_UP = 12


def _each_on_its_own_connection(ingest, api_key: str, bodies: list[dict]) -> list[int]:
    """Each body on a new connection (so that the requests reach both workers)."""
    codes = []
    for body in bodies:
        with httpx.Client(
            base_url=ingest.url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
        ) as client:
            codes.append(client.post("/v1/leads", json=body).status_code)
    return codes


def test_a_revoked_key_is_refused_at_once_by_every_worker(ingest):
    _, credentials = integrations.add_integration(
        ingest.engine, actor_id=None, command_line=True, name="Revoked site", kind="website"
    )
    warm = _each_on_its_own_connection(
        ingest, credentials.api_key, [lead(f"REV-{n}") for n in range(WARM_UP)]
    )
    assert warm == [201] * WARM_UP
    integrations.revoke_integration(
        ingest.engine, actor_id=None, command_line=True, name="Revoked site"
    )
    before = ingest.counts()
    after_revoke = _each_on_its_own_connection(
        ingest, credentials.api_key, [lead(f"REV-late-{n}") for n in range(WARM_UP)]
    )
    assert after_revoke == [401] * WARM_UP
    assert ingest.counts() == before


def test_a_rotated_key_is_refused_at_once_and_the_new_one_works(ingest):
    _, old = integrations.add_integration(
        ingest.engine, actor_id=None, command_line=True, name="Rotated site", kind="website"
    )
    warm = _each_on_its_own_connection(
        ingest, old.api_key, [lead(f"ROTW-{n}") for n in range(WARM_UP)]
    )
    assert warm == [201] * WARM_UP
    _, new = integrations.rotate_integration(
        ingest.engine, actor_id=None, command_line=True, name="Rotated site"
    )
    old_codes = _each_on_its_own_connection(
        ingest, old.api_key, [lead(f"ROTW-old-{n}") for n in range(WARM_UP)]
    )
    new_codes = _each_on_its_own_connection(
        ingest, new.api_key, [lead(f"ROTW-new-{n}") for n in range(WARM_UP)]
    )
    assert (old_codes, new_codes) == ([401] * WARM_UP, [201] * WARM_UP)
    assert ingest.scalar("SELECT count(*) FROM leads WHERE external_id LIKE 'ROTW-old-%'") == 0
    assert ingest.scalar("SELECT count(*) FROM leads WHERE external_id LIKE 'ROTW-new-%'") == 12


def test_a_rotated_psp_secret_is_refused_at_once(ingest):
    """A PSP's webhook secret changes with its key: a message signed with the old secret and
    sent with the old key is refused even by a worker that verified both before."""
    _, old = integrations.add_integration(
        ingest.engine, actor_id=None, command_line=True, name="Rotated PSP", kind="psp"
    )
    ingest.keys["Rotated PSP"] = old
    ingest.post("Website", "/v1/leads", lead("ROTP-1"))
    first = [
        ingest.post(
            "Rotated PSP",
            "/v1/deposits",
            deposit(f"ROTP-t{n}", "ROTP-1", "pending", "2026-01-01T10:00:00Z"),
            signed=True,
        ).status_code
        for n in range(WARM_UP)
    ]
    assert first == [201] * WARM_UP
    integrations.rotate_integration(
        ingest.engine, actor_id=None, command_line=True, name="Rotated PSP"
    )
    before = ingest.counts()
    late = [
        ingest.post(
            "Rotated PSP",
            "/v1/deposits",
            deposit(f"ROTP-late{n}", "ROTP-1", "pending", "2026-01-01T10:00:00Z"),
            signed=True,
        ).status_code
        for n in range(WARM_UP)
    ]
    assert late == [401] * WARM_UP
    assert ingest.counts() == before


def test_eight_clients_on_two_workers_send_the_same_events_once_each(ingest):
    people = [lead(f"W2-{n}") for n in range(6)]
    payments = [
        deposit(f"W2-t{n}", f"W2-{n}", "approved", "2026-01-01T10:00:00Z", event_id=f"W2-d{n}")
        for n in range(6)
    ]
    before = ingest.counts()

    def client_sends(_client: int) -> set[int]:
        codes = set()
        for person, payment in zip(people, payments, strict=True):
            codes.add(ingest.post("Website", "/v1/leads", person).status_code)
            codes.add(ingest.post("Stripe", "/v1/deposits", payment).status_code)
        return codes

    with ThreadPoolExecutor(8) as pool:
        codes = set().union(*pool.map(client_sends, range(8)))
    assert codes <= {200, 201}, codes
    after = ingest.counts()
    assert after["leads"] - before["leads"] == 6
    assert after["deposit_attempts"] - before["deposit_attempts"] == 6
    assert after["email_outbox"] - before["email_outbox"] == 6
    balances = ingest.rows("SELECT balance FROM leads WHERE external_id LIKE 'W2-%'")
    assert [money(b) for (b,) in balances] == [money("250.00")] * 6
