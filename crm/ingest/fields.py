"""The fields of each record that comes in: the API's documented request bodies
(``json_schema``) and the import's guess of which column is which (``Field.aliases``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
