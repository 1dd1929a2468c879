"""The demo brokerage driven through the ingest API: ``python -m crm simulate --via-api``.

The same draws as the direct simulator (``crm.demo.simulate``: who registers, logs in and
deposits; the AMs on shift calling one lead after another, ``crm.demo.floor``), but nothing is
written here: each event goes to the API as the
brokerage's own systems would send it (the website's registrations, the platform's logins and
logouts, the dialer's calls and the PSPs' deposit events, signed), so the whole path from the
API through the actions to the dashboard runs in the live demo. The simulator's integrations
("Simulator website", ...) get fresh keys at every start.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from datetime import datetime

import httpx
import numpy as np
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from crm import integrations
from crm.db import describe
from crm.demo import reference as ref
from crm.demo.draws import (
    EVENT_SHARES,
    HEARTBEAT,
    LOGIN_PICKS,
    MEAN_SESSION_S,
    PROVIDER_P,
    SESSIONS_PER_EVENT,
    STAFF,
    _pick,
    _shares,
)
from crm.demo.tick import _Tick
from crm.errors import UserError
from crm.ingest.mappings import PROVIDER_CODES
from crm.models import utcnow
from crm.signals import sigterm_interrupts

KINDS = {
    "website": "Simulator website",
    "platform": "Simulator platform",
    "psp": "Simulator PSP",
    "dialer": "Simulator dialer",
}
# The dialer's words for the simulator's outcomes (crm.ingest.mappings reads them back).
DISPOSITION_OF = {
    "connected": "ANSWERED",
    "no_answer": "NA",
    "voicemail": "AM",
    "busy": "B",
    "wrong_number": "DC",
}
DECLINE_SHARE = 0.15
REPORT_EVERY_S = 10.0
API_START_S = 120.0


def run_via_api(
    engine: sa.Engine,
    *,
    api_url: str,
    rate: float,
    seed: int | None,
    seconds: float | None,
    tick: float,
) -> Counter:
    """Send the demo's events to the API at ``api_url`` until ``seconds`` pass (or Ctrl-C)."""
    keys = {kind: _credentials(engine, kind, name) for kind, name in KINDS.items()}
    client = httpx.Client(base_url=api_url, timeout=30)
    try:
        client.get("/health").raise_for_status()
    except httpx.HTTPError as error:
        raise UserError(
            f"the ingest API at {api_url} does not answer ({error}): start it with `python -m api`"
        ) from None
    print(
        f"simulate: {rate:g} events a second through the ingest API at {api_url}, on the CRM "
        f"({describe(engine)}); Ctrl-C stops it.",
        flush=True,
    )
    sender = _Sender(client, keys)
    rng = np.random.default_rng(seed)
    # The sessions this simulator opened: id → (lead, last reported).
    sessions: dict[str, tuple[int, datetime]] = {}
    totals, window, since = Counter(), Counter(), time.monotonic()
    started = time.monotonic()
    with sigterm_interrupts(), engine.connect() as connection:
        try:
            while seconds is None or time.monotonic() - started < seconds:
                began = time.monotonic()
                with connection.begin():  # reads only: who to pick
                    done = _tick(connection, rng, sender, sessions, rate, tick)
                window.update(done)
                totals.update(done)
                if time.monotonic() - since >= REPORT_EVERY_S:
                    _report(window, time.monotonic() - since)
                    window, since = Counter(), time.monotonic()
                time.sleep(max(0.0, tick - (time.monotonic() - began)))
        finally:
            _report(window, time.monotonic() - since)
            client.close()
    return totals


def _tick(
    connection,
    rng,
    sender: _Sender,
    sessions: dict,
    rate: float,
    dt: float,
    now: datetime | None = None,
) -> Counter:
    """One tick's events, sent; ``now`` is the clock's (a test's fixed one)."""
    now = now or utcnow()
    draw = _Tick(connection, rng, now)
    done = Counter()
    leave = rng.random(len(sessions)) < dt / MEAN_SESSION_S
    for (session, (lead_id, seen)), gone in zip(list(sessions.items()), leave, strict=True):
        if gone or now - seen >= HEARTBEAT:
            kind = "logout" if gone else "heartbeat"
            done[sender.platform(kind, lead_id, session, now)] += 1
            sessions[session] = (lead_id, now)
        if gone:
            del sessions[session]
    draw.online = {lead_id for lead_id, _ in sessions.values()}
    drawn = rng.poisson(rate / (1 + SESSIONS_PER_EVENT) * dt)
    registrations, logins, _calls, deposits = (
        int(n) for n in rng.multinomial(drawn, _shares(list(EVENT_SHARES.values())))
    )
    rates = draw._usd_rates()
    for _ in range(registrations):
        person = draw._new_lead(rates)
        answer = sender.lead(person)
        done[answer] += 1
        if answer == "registered":
            session = f"sim-{uuid.uuid4().hex[:16]}"
            done[sender.platform("login", sender.last_lead_id, session, now)] += 1
            sessions[session] = (sender.last_lead_id, now)
    for lead_id in draw._choose(
        logins, lambda: draw._probe(_pick(rng, LOGIN_PICKS)), exclude=draw.online
    ):
        session = f"sim-{uuid.uuid4().hex[:16]}"
        done[sender.platform("login", lead_id, session, now)] += 1
        sessions[session] = (lead_id, now)
    # The AMs on shift dial one call after another, as the direct simulator has them; the
    # dialer reports each call, stamped with when it started.
    planned = draw.plan_calls(dt)
    if planned:
        ids = sorted({c["am_id"] for c in planned})
        emails = sa.select(STAFF.c.id, STAFF.c.email).where(STAFF.c.id.in_(ids))
        agents = dict(connection.execute(emails).all())
        for c in planned:
            done[
                sender.call(
                    c["lead_id"],
                    agents[c["am_id"]],
                    DISPOSITION_OF[c["outcome"]],
                    c["duration_s"],
                    c["started_at"],
                )
            ] += 1
    for lead_id in draw._choose(deposits, lambda: draw._probe("recent_login")):
        method, provider, _ = ref.PROVIDERS[rng.choice(len(ref.PROVIDERS), p=PROVIDER_P)]
        declined = rng.random() < DECLINE_SHARE
        codes = list(PROVIDER_CODES.get(provider, {"05": ""})) or ["05"]
        code = codes[rng.integers(len(codes))] if declined else None
        amount = f"{int(rng.choice([100, 250, 500, 1000]))}.00"
        done[sender.deposit(lead_id, method, provider, amount, code, now)] += 1
    return done


class _Sender:
    """Sends one event at a time and says what became of it (a word to count)."""

    def __init__(self, client: httpx.Client, keys: dict[str, integrations.Credentials]):
        self.client, self.keys = client, keys
        self.last_lead_id: int | None = None

    def _post(self, kind: str, path: str, body) -> httpx.Response:
        content = json.dumps(body, default=str)
        headers = {
            "Authorization": f"Bearer {self.keys[kind].api_key}",
            "Content-Type": "application/json",
        }
        secret = self.keys[kind].webhook_secret
        if secret:
            message_id, at = f"msg_{uuid.uuid4().hex}", utcnow()
            headers.update(
                {
                    "webhook-id": message_id,
                    "webhook-timestamp": str(int(at.timestamp())),
                    "webhook-signature": Webhook(secret).sign(message_id, at, content),
                }
            )
        return self.client.post(path, content=content, headers=headers)

    def lead(self, person: dict) -> str:
        body = {
            k: v
            for k, v in person.items()
            if k
            in (
                "first_name",
                "last_name",
                "email",
                "phone",
                "country",
                "time_zone",
                "language",
                "source",
                "campaign",
                "currency",
            )
            and v is not None
        }
        body["external_id"] = f"SIM-{uuid.uuid4().hex[:12]}"
        body["phone"] = _possible_phone(body["phone"], body["country"])
        reply = self._post("website", "/v1/leads", body)
        if reply.status_code == 201:
            self.last_lead_id = reply.json()["lead_id"]
            return "registered"
        return _refused("lead", reply)

    def platform(self, kind: str, lead_id: int, session: str, now: datetime) -> str:
        body = {
            "event_id": f"sim-{uuid.uuid4().hex}",
            "type": kind,
            "lead_id": lead_id,
            "session_id": session,
            "occurred_at": now.isoformat(),
        }
        reply = self._post("platform", "/v1/platform/events", body)
        return f"{kind}s" if reply.status_code in (200, 201) else _refused(kind, reply)

    def call(
        self, lead_id: int, agent: str, disposition: str, duration_s: int, started_at: datetime
    ) -> str:
        body = {
            "call_id": f"sim-{uuid.uuid4().hex}",
            "agent_email": agent,
            "lead_id": lead_id,
            "started_at": started_at.isoformat(),
            "disposition": disposition,
            "duration_s": int(duration_s),
        }
        reply = self._post("dialer", "/v1/calls", body)
        return "calls" if reply.status_code in (200, 201) else _refused("call", reply)

    def deposit(self, lead_id, method, provider, amount, code, now) -> str:
        currency = "USD"
        body = {
            "event_id": f"sim-{uuid.uuid4().hex}",
            "transaction_id": f"sim-{uuid.uuid4().hex}",
            "provider": provider,
            "lead_id": lead_id,
            "amount": amount,
            "currency": currency,
            "method": method,
            "status": "declined" if code else "approved",
            "occurred_at": now.isoformat(),
        }
        if code:
            body["decline_code"] = code
        reply = self._post("psp", "/v1/deposits", body)
        if reply.status_code in (200, 201):
            return "declined" if code else "deposits"
        return _refused("deposit", reply)


def _wait_for(client: httpx.Client, api_url: str) -> None:
    """The API may be starting beside the simulator (./start): give it two minutes."""
    deadline = time.monotonic() + API_START_S
    while True:
        try:
            client.get("/health").raise_for_status()
            return
        except httpx.HTTPError as error:
            if time.monotonic() > deadline:
                raise UserError(
                    f"the ingest API at {api_url} does not answer ({error}): start "
                    "it with `python -m api`"
                ) from None
            time.sleep(0.5)


def _possible_phone(phone: str, country: str) -> str:
    """The demo's made-up number, or one of the length the country's numbers have: the API
    refuses a number that cannot exist, as it would a real website's typo."""
    import phonenumbers

    try:
        if phonenumbers.is_possible_number(phonenumbers.parse(phone, None)):
            return phone
    except phonenumbers.NumberParseException:
        pass
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    national = str(example.national_number)
    tail = uuid.uuid4().int % 10 ** (len(national) - 2)
    return f"+{example.country_code}{national[:2]}{tail:0{len(national) - 2}d}"


def _refused(what: str, reply: httpx.Response) -> str:
    if reply.status_code >= 500:
        raise UserError(f"the ingest API answered {reply.status_code} to a {what}: {reply.text}")
    return f"refused {what}s"


def _credentials(engine: sa.Engine, kind: str, name: str) -> integrations.Credentials:
    existing = {row.name for row in integrations.integration_list(engine)}
    if name in existing:
        _, credentials = integrations.rotate_integration(
            engine, actor_id=None, command_line=True, name=name
        )
    else:
        _, credentials = integrations.add_integration(
            engine, actor_id=None, command_line=True, name=name, kind=kind, rate_per_second=10_000
        )
    return credentials


def _report(window: Counter, seconds: float) -> None:
    if window:
        shown = ", ".join(f"{n:,} {what}" for what, n in sorted(window.items()))
        print(f"simulate (via the API): {shown} in the last {seconds:.0f} s", flush=True)
