"""One checker per kind of value that comes in from outside: each returns the clean value or
raises ``BadValue`` with the reason, never the value itself (it may be personal data, and the
reason ends up in logs and reports).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from zoneinfo import available_timezones

import phonenumbers
from phonenumbers import timezone as phone_zones

from crm.types import CENT

NAME_MAX_CHARS = 80
EMAIL_MAX_CHARS = 254
# The warehouse's own check of an email (warehouse/models/staging/stg_leads.sql): a lead let in
# here must not be quarantined there.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,4})?")
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_AMOUNT = Decimal("10000000000000000")  # NUMERIC(18, 2)


class BadValue(ValueError):
    """A value that cannot be taken: the message says why and what to send instead."""


def text(value, max_chars: int = NAME_MAX_CHARS) -> str:
    """Printable text without outer blanks, at most ``max_chars``."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadValue("must be text")
    value = str(value).strip()
    if not value:
        raise BadValue("is empty")
    if len(value) > max_chars:
        raise BadValue(f"is longer than {max_chars} characters")
    # isprintable() (in C) is False for every control, format and line or paragraph separator
    # character, and for a few harmless ones (a non-breaking space): only those are looked at
    # one by one, which cost an event of the ingest API a tenth of its time.
    if not value.isprintable() and any(
        unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in value
    ):
        raise BadValue("holds control characters")
    return value


def person_name(value) -> str:
    """A person's first or last name: the one check every way in uses (ingest, imports)."""
    return text(value, NAME_MAX_CHARS)


def email(value) -> str:
    address = text(value, EMAIL_MAX_CHARS).lower()
    if not EMAIL.fullmatch(address):
        raise BadValue("is not an email address")
    return address


def country(value) -> str:
    code = text(value, 2).upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise BadValue("is not an ISO 3166 country code like GB or BR")
    return code


def phone(value, region: str | None) -> phonenumbers.PhoneNumber:
    """The number, parsed: international (+...) or national in ``region``'s format."""
    raw = text(value, 40)
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        hint = "" if region else " (a number without + needs the country)"
        raise BadValue(f"is not a phone number{hint}") from None
    if not phonenumbers.is_possible_number(number):
        raise BadValue("is not a possible phone number (too short or too long for its country)")
    return number


def e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_of(number: phonenumbers.PhoneNumber) -> str | None:
    """The number's country: by its full number, else its country code's main country."""
    region = phonenumbers.region_code_for_number(number)
    if region not in phonenumbers.SUPPORTED_REGIONS:
        region = phonenumbers.region_code_for_country_code(number.country_code)
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


def time_zone(value) -> str:
    """An IANA zone name as the tz database spells it; anything else is refused, never stored."""
    name = text(value, 64)
    if name not in _zones():
        raise BadValue("is not an IANA time zone like Europe/London")
    return name


def infer_time_zone(country_code: str, number: phonenumbers.PhoneNumber | None) -> str:
    """The lead's zone from its phone number and country: the number's zones within the
    country's; else the country's only zone; else the first the tz database lists for it."""
    in_country = _country_zones().get(country_code, ())
    from_phone = ()
    if number is not None:
        from_phone = tuple(z for z in phone_zones.time_zones_for_number(number) if z in _zones())
    both = [zone for zone in from_phone if zone in in_country] or list(from_phone)
    if len(both) == 1:
        return both[0]
    candidates = [zone for zone in in_country if not both or zone in both] or list(in_country)
    if candidates:
        return candidates[0]
    raise BadValue("cannot be told from the country and the phone: send time_zone")


def language(value) -> str:
    code = text(value, 8).lower()
    if not LANGUAGE.fullmatch(code):
        raise BadValue("is not a language code like en or pt-BR")
    return code


def currency(value, known: frozenset[str]) -> str:
    code = text(value, 3).upper()
    if code not in known:
        shown = ", ".join(sorted(known)) or "none"
        raise BadValue(f"is not a currency the brokerage takes ({shown})")
    return code


def amount(value, *, positive: bool = True) -> Decimal:
    """An exact amount with at most two decimals (a JSON number or a string)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise BadValue("must be a number")
    try:
        number = Decimal(str(value).strip().replace(",", "")) if value != "" else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise BadValue("is not a number")
    if number != number.quantize(CENT):
        raise BadValue("has more than two decimals")
    if positive and number <= 0:
        raise BadValue("must be more than 0")
    if not positive and number < 0:
        raise BadValue("must not be negative")
    if abs(number) >= MAX_AMOUNT:
        raise BadValue("is too large")
    return number.quantize(CENT)


def seconds(value, maximum: int) -> int:
    if isinstance(value, bool):
        raise BadValue("must be a whole number of seconds")
    try:
        number = int(str(value).strip()) if isinstance(value, str) else value
    except ValueError:
        number = None
    if not isinstance(number, int):
        if isinstance(value, float) and value.is_integer():
            number = int(value)
        else:
            raise BadValue("must be a whole number of seconds")
    if not 0 <= number <= maximum:
        raise BadValue(f"must be between 0 and {maximum:,} seconds")
    return number


def moment(value, now: datetime) -> datetime:
    """A point in time with its zone (ISO 8601, e.g. 2026-11-27T09:30:00Z), not in the future."""
    if isinstance(value, datetime):
        parsed = value
    else:
        raw = text(value, 40)
        try:
            parsed = datetime.fromisoformat(raw.replace("z", "Z"))
        except ValueError:
            raise BadValue("is not an ISO 8601 time like 2026-11-27T09:30:00Z") from None
    if parsed.tzinfo is None:
        raise BadValue("has no time zone: add Z for UTC, or an offset like +02:00")
    parsed = parsed.astimezone(timezone.utc)
    if parsed > now + FUTURE_TOLERANCE:
        raise BadValue("is in the future")
    return parsed


def choice(value, choices: dict[str, str], what: str) -> str:
    """One of ``choices`` (keys compared without case, blanks or dashes), in Starboard's word."""
    key = _normal(text(value, 40))
    if key not in choices:
        raise BadValue(f"is not a known {what}")
    return choices[key]


def normal_key(value: str) -> str:
    return _normal(value)


def _normal(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def _country_zones() -> dict[str, tuple[str, ...]]:
    """Each country's zones in the tz database's own order (zone.tab, shipped by tzdata)."""
    import tzdata

    table = Path(tzdata.__file__).parent / "zoneinfo" / "zone.tab"
    zones: dict[str, list[str]] = {}
    for line in table.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, zone, *_ = line.split("\t")
            zones.setdefault(code, []).append(zone)
    return {code: tuple(found) for code, found in zones.items()}
