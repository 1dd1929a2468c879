"""The fields of each record that comes in, and their checks: shared by the ingest API and
the imports, so a lead refused by one is refused by the other with the same words.

``clean_<kind>(raw, context)`` takes a mapping of raw values (a JSON body, a file's row) and
returns the clean record, or raises ``Invalid`` naming each bad field with its reason. The
field lists also give the API's documented request bodies (``json_schema``) and the import's
guess of which column is which (``Field.aliases``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm.ingest import mappings
from crm.ingest import values as check
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


@dataclass(frozen=True)
class Field:
    name: str
    doc: str
    required: bool = False
    type: str = "string"  # its JSON type in the API's documentation
    example: Any = None
    aliases: tuple[str, ...] = ()  # column headers an import may call it by
    # What a person calls it (the Import page's column mapping); ``name`` is the API's and a
    # mapping file's. Without one, the name in words ("first_name" → "First name").
    label: str = ""

    @property
    def words(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


LEAD_REF = (
    Field(
        "lead_id",
        "Starboard's own lead id (as the CRM gave it to you)",
        type="integer",
        label="Starboard lead #",
    ),
    Field(
        "lead_external_id",
        "the lead's id at its source",
        example="WEB-100234",
        aliases=("external_id", "client_id", "account_id", "customer_id"),
        label="Lead's external id",
    ),
    Field(
        "lead_source",
        "the lead's source, when its external id is not unique without it",
        example="website",
        label="Lead's source",
    ),
)

FIELDS: dict[str, tuple[Field, ...]] = {
    "lead": (
        Field(
            "external_id",
            "your id of the lead; each is registered once per source",
            required=True,
            example="WEB-100234",
            aliases=("id", "lead_id", "client_id"),
        ),
        Field(
            "source",
            "where the lead came from (default: the integration's name)",
            example="website",
            aliases=("lead_source", "channel"),
        ),
        Field(
            "affiliate",
            "the affiliate who brought the lead",
            example="aff_tradepro",
            aliases=("affiliate_id", "partner"),
        ),
        Field(
            "campaign",
            "the marketing campaign",
            example="search_brand",
            aliases=("campaign_name", "utm_campaign"),
        ),
        Field(
            "first_name",
            "first name",
            required=True,
            example="Ana",
            aliases=("firstname", "first", "given_name", "name"),
        ),
        Field(
            "last_name",
            "last name",
            required=True,
            example="Souza",
            aliases=("lastname", "last", "surname", "family_name"),
        ),
        Field(
            "email",
            "email address",
            required=True,
            example="ana.souza@example.com",
            aliases=("e_mail", "mail", "email_address"),
            label="E-mail",
        ),
        Field(
            "phone",
            "phone number, international (+55...) or national with country",
            required=True,
            example="+55 11 98765-4321",
            aliases=("phone_number", "mobile", "telephone", "tel", "msisdn"),
        ),
        Field(
            "country",
            "ISO 3166 country code (default: the phone number's)",
            example="BR",
            aliases=("country_code", "country_iso"),
        ),
        Field("language", "language code (default en)", example="pt", aliases=("lang", "locale")),
        Field(
            "time_zone",
            "IANA time zone (default: from the country and phone)",
            example="America/Sao_Paulo",
            aliases=("timezone", "tz", "zone"),
        ),
        Field(
            "currency",
            "account currency (default USD)",
            example="BRL",
            aliases=("account_currency",),
        ),
        Field(
            "registered_at",
            "registration time, ISO 8601 with zone (default: now)",
            example="2026-11-27T09:30:00Z",
            aliases=("registration_date", "created_at", "signup_date", "registered"),
            label="Registered",
        ),
    ),
    "deposit": (
        Field(
            "event_id", "your id of this status event (default: the webhook-id)", example="evt_3Q9"
        ),
        Field(
            "transaction_id",
            "the provider's transaction id of the deposit attempt",
            required=True,
            example="pi_3Q9xYz",
            aliases=("transaction", "txn_id", "psp_id"),
        ),
        Field(
            "provider",
            "the payment provider (default: the integration's name)",
            example="Stripe",
            aliases=("psp", "gateway"),
        ),
        Field(
            "status",
            "created, pending, approved, declined, refunded or charged_back",
            required=True,
            example="declined",
            aliases=("state", "result"),
        ),
        Field(
            "amount",
            "amount in its currency, at most two decimals",
            required=True,
            type="number",
            example="250.00",
        ),
        Field("currency", "ISO 4217 currency code", required=True, example="EUR"),
        Field(
            "method",
            "card, wire, e_wallet or crypto",
            required=True,
            example="card",
            aliases=("payment_method", "type"),
        ),
        Field(
            "decline_code",
            "the provider's raw decline code",
            example="insufficient_funds",
            aliases=("reason_code", "error_code", "decline_reason"),
        ),
        Field(
            "occurred_at",
            "when the provider decided (or the attempt was made), ISO 8601",
            example="2026-11-27T09:31:00Z",
            aliases=("time", "created_at", "date"),
            label="Time",
        ),
        *LEAD_REF,
    ),
    "call": (
        Field(
            "call_id",
            "the dialer's call id",
            required=True,
            example="CALL-88812",
            aliases=("id", "uniqueid", "call"),
        ),
        Field(
            "agent_email",
            "the AM's work email",
            example="alan@brokerage.example",
            aliases=("agent", "user", "agent_mail"),
            label="AM's e-mail",
        ),
        Field(
            "agent_extension",
            "the AM's extension on the dialer",
            example="2041",
            aliases=("extension", "ext"),
            label="AM's extension",
        ),
        Field(
            "started_at",
            "when the call started, ISO 8601 with zone",
            required=True,
            example="2026-11-27T10:02:00Z",
            aliases=("start", "call_date", "start_time"),
            label="Started",
        ),
        Field(
            "duration_s",
            "seconds on the line",
            required=True,
            type="integer",
            example=184,
            aliases=("duration", "length_in_sec", "seconds"),
            label="Duration (s)",
        ),
        Field(
            "disposition",
            "the dialer's disposition (see README)",
            required=True,
            example="NA",
            aliases=("status", "outcome", "result"),
        ),
        *LEAD_REF,
        Field(
            "lead_phone",
            "the number dialled, when the lead has no id you know",
            example="+5511987654321",
            aliases=("phone", "phone_number", "number"),
            label="Lead's phone",
        ),
    ),
    "platform": (
        Field("event_id", "your id of this event", required=True, example="plt-7781"),
        Field("type", "login, heartbeat, logout or balance", required=True, example="login"),
        Field("account_id", "the platform account: the lead's external id", example="WEB-100234"),
        Field("lead_id", "Starboard's own lead id, instead of account_id", type="integer"),
        Field("lead_source", "the lead's source, when its external id needs it"),
        Field(
            "session_id", "the platform's session id (login, heartbeat, logout)", example="s-5521"
        ),
        Field(
            "occurred_at",
            "when it happened, ISO 8601 with zone (default: now)",
            example="2026-11-27T09:35:00Z",
        ),
        Field("device", "web, ios or android (login; default web)", example="ios"),
        Field(
            "balance", "the account's balance (balance events)", type="number", example="1250.00"
        ),
        Field("currency", "the balance's currency (default: the account's)", example="EUR"),
    ),
}


def field_names(kind: str) -> tuple[str, ...]:
    return tuple(field.name for field in FIELDS[kind])


def json_schema(kind: str) -> dict:
    """The request body of ``kind`` as JSON Schema, for the API's documentation."""
    properties = {}
    for field in FIELDS[kind]:
        prop: dict[str, Any] = {"description": field.doc}
        prop["type"] = ["number", "string"] if field.type == "number" else field.type
        if field.example is not None:
            prop["example"] = field.example
        properties[field.name] = prop
    required = [field.name for field in FIELDS[kind] if field.required]
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


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
