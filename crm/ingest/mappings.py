"""Providers' and dialers' own words in Starboard's: decline codes and call dispositions.

README.md ("Connecting your systems") shows these tables; a change here is a change there.

Decline codes: a provider's raw code maps to one of Starboard's decline reasons, looked up in
the provider's own table first, then in the card networks' ISO 8583 response codes that most
card acquirers pass through. A code in neither is kept verbatim as the decline reason (and in
``deposit_attempts.raw_decline_code``), and ``unmapped_decline_codes`` lists it for mapping.
"""

from __future__ import annotations

import sqlalchemy as sa

from crm.models import DepositAttempt

# Starboard's decline reasons (crm/demo/reference.py speaks the same words).
INSUFFICIENT_FUNDS = "insufficient funds"
THREE_D_SECURE = "3-D Secure failed"
DO_NOT_HONOUR = "do not honour"
CARD_EXPIRED = "card expired"
LIMIT_EXCEEDED = "limit exceeded"
PROVIDER_TIMEOUT = "provider timeout"
SUSPECTED_FRAUD = "suspected fraud"
INVALID_CARD = "invalid card details"
DECLINE_REASONS = (
    INSUFFICIENT_FUNDS,
    THREE_D_SECURE,
    DO_NOT_HONOUR,
    CARD_EXPIRED,
    LIMIT_EXCEEDED,
    PROVIDER_TIMEOUT,
    SUSPECTED_FRAUD,
    INVALID_CARD,
)

# ISO 8583 response codes (field 39), as card acquirers pass them on.
ISO_8583: dict[str, str] = {
    "05": DO_NOT_HONOUR,
    "14": INVALID_CARD,
    "51": INSUFFICIENT_FUNDS,
    "54": CARD_EXPIRED,
    "59": SUSPECTED_FRAUD,
    "61": LIMIT_EXCEEDED,
    "65": LIMIT_EXCEEDED,
    "91": PROVIDER_TIMEOUT,
    "96": PROVIDER_TIMEOUT,
}

# Per provider, as each names its declines in its API (codes compared without case).
PROVIDER_CODES: dict[str, dict[str, str]] = {
    "Stripe": {
        "insufficient_funds": INSUFFICIENT_FUNDS,
        "authentication_required": THREE_D_SECURE,
        "do_not_honor": DO_NOT_HONOUR,
        "generic_decline": DO_NOT_HONOUR,
        "expired_card": CARD_EXPIRED,
        "card_velocity_exceeded": LIMIT_EXCEEDED,
        "withdrawal_count_limit_exceeded": LIMIT_EXCEEDED,
        "processing_error": PROVIDER_TIMEOUT,
        "fraudulent": SUSPECTED_FRAUD,
        "incorrect_number": INVALID_CARD,
        "incorrect_cvc": INVALID_CARD,
    },
    "Checkout.com": {
        "20051": INSUFFICIENT_FUNDS,
        "20005": DO_NOT_HONOUR,
        "20054": CARD_EXPIRED,
        "20061": LIMIT_EXCEEDED,
        "20065": LIMIT_EXCEEDED,
        "20091": PROVIDER_TIMEOUT,
        "20059": SUSPECTED_FRAUD,
        "20014": INVALID_CARD,
        "20150": THREE_D_SECURE,
        "20151": THREE_D_SECURE,
    },
    "Nuvei": {
        "-1": DO_NOT_HONOUR,
        "1": INSUFFICIENT_FUNDS,
        "2": CARD_EXPIRED,
        "3": LIMIT_EXCEEDED,
        "4": THREE_D_SECURE,
        "5": PROVIDER_TIMEOUT,
    },
    "Skrill": {
        "insufficient_balance": INSUFFICIENT_FUNDS,
        "limit_exceeded": LIMIT_EXCEEDED,
        "timeout": PROVIDER_TIMEOUT,
        "declined": DO_NOT_HONOUR,
    },
    "Neteller": {
        "insufficient_funds": INSUFFICIENT_FUNDS,
        "limit_exceeded": LIMIT_EXCEEDED,
        "declined": DO_NOT_HONOUR,
    },
    "PayPal": {
        "INSTRUMENT_DECLINED": DO_NOT_HONOUR,
        "PAYER_ACTION_REQUIRED": THREE_D_SECURE,
        "TRANSACTION_LIMIT_EXCEEDED": LIMIT_EXCEEDED,
        "INSUFFICIENT_FUNDS": INSUFFICIENT_FUNDS,
    },
}
_LOWER = {
    provider.lower(): {code.lower(): reason for code, reason in codes.items()}
    for provider, codes in PROVIDER_CODES.items()
}

# Dialer dispositions → Starboard's call outcomes (crm.models.CALL_OUTCOMES). Keys compared
# without case, blanks or dashes; the short codes are the common dialers' (VICIdial and alike).
DISPOSITIONS: dict[str, str] = {
    "connected": "connected",
    "answered": "connected",
    "human_answered": "connected",
    "sale": "connected",
    "callbk": "connected",
    "callback": "connected",
    "ni": "connected",
    "not_interested": "connected",
    "xfer": "connected",
    "no_answer": "no_answer",
    "noanswer": "no_answer",
    "n": "no_answer",
    "na": "no_answer",
    "drop": "no_answer",
    "busy": "busy",
    "b": "busy",
    "voicemail": "voicemail",
    "answering_machine": "voicemail",
    "a": "voicemail",
    "aa": "voicemail",
    "am": "voicemail",
    "al": "voicemail",
    "wrong_number": "wrong_number",
    "dc": "wrong_number",
    "disconnected": "wrong_number",
    "invalid_number": "wrong_number",
    "wn": "wrong_number",
}


def decline_reason(provider: str, raw_code: str | None) -> str | None:
    """Starboard's reason for ``provider``'s raw decline code; the code itself when unmapped."""
    if raw_code is None:
        return None
    code = raw_code.strip()
    own = _LOWER.get(provider.strip().lower(), {})
    return own.get(code.lower()) or ISO_8583.get(code) or code


def is_mapped(provider: str, raw_code: str) -> bool:
    return decline_reason(provider, raw_code) != raw_code.strip()


def unmapped_decline_codes(connection: sa.Connection) -> list[tuple[str, str, int]]:
    """(provider, raw code, attempts) for every code kept verbatim, the most frequent first."""
    deposits = DepositAttempt.__table__
    rows = connection.execute(
        sa.select(deposits.c.provider, deposits.c.raw_decline_code, sa.func.count())
        .where(deposits.c.raw_decline_code.is_not(None))
        .group_by(deposits.c.provider, deposits.c.raw_decline_code)
    ).all()
    found = [(p, code, n) for p, code, n in rows if not is_mapped(p, code)]
    return sorted(found, key=lambda row: (-row[2], row[0], row[1]))
