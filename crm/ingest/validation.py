"""The checks of the fields of each record that comes in: shared by the ingest API and
the imports, so a lead refused by one is refused by the other with the same words.

``clean_<kind>(raw, context)`` takes a mapping of raw values (a JSON body, a file's row) and
returns the clean record, or raises ``Invalid`` naming each bad field with its reason. The
fields themselves, which the checks go by, are listed in ``crm.ingest.fields``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm.ingest import mappings
from crm.ingest import values as check
from crm.ingest.fields import FIELDS, field_names
from crm.ingest.values import BadValue
from crm.models import DEPOSIT_METHODS

MAX_CALL_S = 24 * 3600
EVENT_ID_MAX_CHARS = 80
SOURCE_MAX_CHARS = 40
DEVICES = ("web", "ios", "android")
DEFAULT_LANGUAGE = "en"
DEFAULT_CURRENCY = "USD"
# A PSP's event: "created" is the attempt before the provider decides (pending).
DEPOSIT_EVENT_STATUSES = {
    "created": "pending",
    "pending": "pending",
    "approved": "approved",
    "declined": "declined",
    "refunded": "refunded",
    "charged_back": "charged_back",
    "chargeback": "charged_back",
}
PLATFORM_EVENT_TYPES = ("login", "heartbeat", "logout", "balance")
METHODS = {
    **{method: method for method in DEPOSIT_METHODS},
    "credit_card": "card",
    "debit_card": "card",
    "bank_transfer": "wire",
    "ewallet": "e_wallet",
    "wallet": "e_wallet",
}


class Invalid(ValueError):
    """A record with bad fields: ``errors`` maps each field to its reason."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__(self.line())

    def line(self) -> str:
        return "; ".join(f"{name}: {reason}" for name, reason in self.errors.items())

    def words(self, kind: str) -> str:
        """The line in the users' words, for a person (an import's report)."""
        return in_words(kind, self.errors)


@dataclass(frozen=True)
class Context:
    """What the checks need besides the record: the time, the CRM's currencies, and the source
    (or provider) a record without one gets: the integration's, or the import's ``--source``."""

    now: datetime
    currencies: frozenset[str]
    source: str | None = None


class _Checker:
    """Collects every bad field of one record instead of stopping at the first."""

    def __init__(self, kind: str, raw: Mapping):
        self.raw = {name: value for name, value in raw.items() if not _blank(value)}
        self.errors: dict[str, str] = {}
        known = set(field_names(kind))
        for name in raw:
            if name not in known:
                self.errors[str(name)[:40]] = "is not a field of this record"
        for field in FIELDS[kind]:
            if field.required and field.name not in self.raw:
                self.errors[field.name] = "is missing"

    def get(self, name: str, convert: Callable[[Any], Any], default=None):
        if name not in self.raw or name in self.errors:
            return default
        try:
            return convert(self.raw[name])
        except BadValue as error:
            self.errors[name] = str(error)
            return default

    def done(self, clean: dict) -> dict:
        if self.errors:
            raise Invalid(self.errors)
        return clean


def clean_lead(raw: Mapping, context: Context) -> dict:
    """A registration as lead columns: phone in E.164, zone known or inferred, email lowered."""
    c = _Checker("lead", raw)
    country = c.get("country", check.country)
    number = c.get("phone", lambda value: check.phone(value, country))
    if country is None and number is not None and "country" not in c.errors:
        country = check.region_of(number)
        if country is None:
            c.errors["country"] = "is missing and the phone number does not tell it"
    zone = c.get("time_zone", check.time_zone)
    if zone is None and "time_zone" not in c.errors and country is not None:
        try:
            zone = check.infer_time_zone(country, number)
        except BadValue as error:
            c.errors["time_zone"] = str(error)
    source = c.get("source", lambda v: check.text(v, SOURCE_MAX_CHARS)) or context.source
    if source is None and "source" not in c.errors:
        c.errors["source"] = "is missing"
    clean = {
        "external_id": c.get("external_id", lambda v: check.text(v, EVENT_ID_MAX_CHARS)),
        "source": source,
        "affiliate": c.get("affiliate", check.text),
        "campaign": c.get("campaign", check.text),
        "first_name": c.get("first_name", check.person_name),
        "last_name": c.get("last_name", check.person_name),
        "email": c.get("email", check.email),
        "phone": None if number is None else check.e164(number),
        "country": country,
        "time_zone": zone,
        "language": c.get("language", check.language, DEFAULT_LANGUAGE),
        "currency": c.get(
            "currency", lambda v: check.currency(v, context.currencies), DEFAULT_CURRENCY
        ),
        "registered_at": c.get("registered_at", lambda v: check.moment(v, context.now)),
    }
    if clean["registered_at"] is None:
        clean.pop("registered_at")
    return c.done(clean)


def clean_deposit_event(raw: Mapping, context: Context) -> dict:
    c = _Checker("deposit", raw)
    status = c.get("status", lambda v: check.choice(v, DEPOSIT_EVENT_STATUSES, "status"))
    provider = c.get("provider", lambda v: check.text(v, 40)) or context.source
    if provider is None and "provider" not in c.errors:
        c.errors["provider"] = "is missing"
    code = c.get("decline_code", lambda v: check.text(v, 40))
    if code is not None and status not in (None, "declined"):
        c.errors["decline_code"] = "is only for a declined deposit"
    clean = {
        "event_id": c.get("event_id", lambda v: check.text(v, EVENT_ID_MAX_CHARS)),
        "transaction_id": c.get("transaction_id", lambda v: check.text(v, EVENT_ID_MAX_CHARS)),
        "provider": provider,
        "status": status,
        "amount": c.get("amount", check.amount),
        "currency": c.get("currency", lambda v: check.currency(v, context.currencies)),
        "method": c.get("method", lambda v: check.choice(v, METHODS, "deposit method")),
        "raw_decline_code": code,
        "decline_reason": None if provider is None else mappings.decline_reason(provider, code),
        "occurred_at": c.get("occurred_at", lambda v: check.moment(v, context.now), context.now),
        "lead": _lead_ref(c),
    }
    if status == "declined" and clean["decline_reason"] is None:
        clean["decline_reason"] = "no reason given"
    return c.done(clean)


def clean_call(raw: Mapping, context: Context) -> dict:
    c = _Checker("call", raw)
    agent_email = c.get("agent_email", check.email)
    agent_extension = c.get("agent_extension", lambda v: check.text(v, 20))
    if (
        agent_email is None
        and agent_extension is None
        and not ({"agent_email", "agent_extension"} & set(c.errors))
    ):
        c.errors["agent_email"] = "is missing: name the AM by agent_email or agent_extension"
    lead = _lead_ref(c, phone_allowed=True)
    clean = {
        "call_id": c.get("call_id", lambda v: check.text(v, EVENT_ID_MAX_CHARS)),
        "agent_email": agent_email,
        "agent_extension": agent_extension,
        "started_at": c.get("started_at", lambda v: check.moment(v, context.now)),
        "duration_s": c.get("duration_s", lambda v: check.seconds(v, MAX_CALL_S)),
        "outcome": c.get(
            "disposition", lambda v: check.choice(v, mappings.DISPOSITIONS, "disposition")
        ),
        "lead": lead,
    }
    return c.done(clean)


def clean_platform_event(raw: Mapping, context: Context) -> dict:
    c = _Checker("platform", raw)
    kind = c.get("type", lambda v: check.choice(v, _same(PLATFORM_EVENT_TYPES), "event type"))
    if "account_id" in c.raw and "lead_external_id" not in c.raw:
        c.raw["lead_external_id"] = c.raw["account_id"]
    lead = _lead_ref(c, names={"lead_external_id": "account_id"})
    session = c.get("session_id", lambda v: check.text(v, EVENT_ID_MAX_CHARS))
    balance = c.get("balance", lambda v: check.amount(v, positive=False))
    if (
        kind in ("login", "heartbeat", "logout")
        and session is None
        and "session_id" not in c.errors
    ):
        c.errors["session_id"] = f"is missing: a {kind} names its session"
    if kind == "balance" and balance is None and "balance" not in c.errors:
        c.errors["balance"] = "is missing: a balance event carries the balance"
    clean = {
        "event_id": c.get("event_id", lambda v: check.text(v, EVENT_ID_MAX_CHARS)),
        "type": kind,
        "lead": lead,
        "session_id": session,
        "occurred_at": c.get("occurred_at", lambda v: check.moment(v, context.now), context.now),
        "device": c.get("device", lambda v: check.choice(v, _same(DEVICES), "device"), "web"),
        "balance": balance,
        "currency": c.get("currency", lambda v: check.currency(v, context.currencies)),
    }
    return c.done(clean)


def field_words(kind: str) -> dict[str, str]:
    """Each field of ``kind`` by what a person calls it: the Import page's column mapping and
    its report say the same (``{"agent_email": "AM's e-mail", ...}``)."""
    return {field.name: field.words for field in FIELDS[kind]}


def in_words(kind: str, errors: Mapping[str, str]) -> str:
    """``errors`` (field name → reason) as one line in the users' words, the fields a reason
    names too ("AM's e-mail: is missing: name the AM by AM's e-mail or AM's extension")."""
    words = field_words(kind)
    # Only names with an underscore are replaced inside a reason: "phone" or "email" there is
    # a plain word of the sentence.
    named = re.compile(r"\b(" + "|".join(n for n in words if "_" in n) + r")\b")
    return "; ".join(
        f"{words.get(name, name)}: {named.sub(lambda m: words[m.group(1)], reason)}"
        for name, reason in errors.items()
    )


CLEANERS: dict[str, Callable[[Mapping, Context], dict]] = {
    "lead": clean_lead,
    "deposit": clean_deposit_event,
    "call": clean_call,
    "platform": clean_platform_event,
}


def _lead_ref(c: _Checker, *, phone_allowed: bool = False, names: Mapping = {}) -> dict | None:
    """Which lead a record is about: ``{"id"}``, ``{"external_id", "source"}`` or ``{"phone"}``."""
    lead_id = c.get("lead_id", _lead_id)
    external = c.get("lead_external_id", lambda v: check.text(v, EVENT_ID_MAX_CHARS))
    source = c.get("lead_source", lambda v: check.text(v, SOURCE_MAX_CHARS))
    phone = None
    if phone_allowed:
        phone = c.get("lead_phone", lambda v: check.e164(check.phone(v, None)))
    if lead_id is not None:
        return {"id": lead_id}
    if external is not None:
        return {"external_id": external, "source": source}
    if phone is not None:
        return {"phone": phone}
    if not {"lead_id", "lead_external_id", "lead_phone", "account_id"} & set(c.errors):
        name = names.get("lead_external_id", "lead_external_id")
        also = ", lead_phone" if phone_allowed else ""
        c.errors[name] = f"is missing: name the lead by {name}, lead_id{also}"
    return None


def _lead_id(value) -> int:
    if isinstance(value, bool):
        raise BadValue("must be a whole number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadValue("must be a whole number") from None
    if number <= 0 or str(number) != str(value).strip():
        raise BadValue("must be a whole number")
    return number


def _same(words: tuple[str, ...]) -> dict[str, str]:
    return {word: word for word in words}


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
