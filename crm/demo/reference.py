"""The facts the demo brokerage is made of: markets, currencies, providers, names.

Shared by the history generator and the real-time simulator so both speak the same world.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

import numpy as np


@dataclass(frozen=True)
class Market:
    country: str  # ISO 3166-1 alpha-2
    weight: float  # share of registrations
    time_zones: tuple[str, ...]  # IANA zones, the first the most common
    language: str
    phone_prefix: str
    currency: str  # account currency of most clients there
    names: str  # key into NAMES
    # A mobile number in E.164 with each "#" a random digit: a range that is valid for the
    # country (a test checks it with the ``phonenumbers`` library, which knows each country's
    # lengths and ranges), so a demo phone parses and dials like a real one.
    mobile: str = ""


MARKETS: tuple[Market, ...] = (
    Market("GB", 0.09, ("Europe/London",), "en", "+44", "GBP", "en", "+44740#######"),
    Market("DE", 0.08, ("Europe/Berlin",), "de", "+49", "EUR", "de", "+491512#######"),
    Market("FR", 0.05, ("Europe/Paris",), "fr", "+33", "EUR", "fr", "+3361#######"),
    Market("IT", 0.05, ("Europe/Rome",), "it", "+39", "EUR", "it", "+39312#######"),
    Market(
        "ES", 0.05, ("Europe/Madrid", "Atlantic/Canary"), "es", "+34", "EUR", "es", "+3461#######"
    ),
    Market("PL", 0.04, ("Europe/Warsaw",), "pl", "+48", "EUR", "pl", "+4851#######"),
    Market(
        "BR",
        0.08,
        ("America/Sao_Paulo", "America/Manaus", "America/Recife"),
        "pt",
        "+55",
        "BRL",
        "pt",
        "+551196#######",
    ),
    Market(
        "MX",
        0.06,
        ("America/Mexico_City", "America/Monterrey", "America/Tijuana"),
        "es",
        "+52",
        "MXN",
        "es",
        "+52222#######",
    ),
    Market("CO", 0.04, ("America/Bogota",), "es", "+57", "USD", "es", "+57321#######"),
    Market("CL", 0.03, ("America/Santiago",), "es", "+56", "USD", "es", "+5622#######"),
    Market("AE", 0.05, ("Asia/Dubai",), "ar", "+971", "AED", "ar", "+97150#######"),
    Market("SA", 0.04, ("Asia/Riyadh",), "ar", "+966", "USD", "ar", "+96651#######"),
    Market("TR", 0.04, ("Europe/Istanbul",), "tr", "+90", "USD", "tr", "+90501#######"),
    Market("ZA", 0.05, ("Africa/Johannesburg",), "en", "+27", "ZAR", "en", "+2771#######"),
    Market("NG", 0.04, ("Africa/Lagos",), "en", "+234", "USD", "en", "+234802#######"),
    Market("KE", 0.02, ("Africa/Nairobi",), "en", "+254", "USD", "en", "+25471#######"),
    Market("IN", 0.05, ("Asia/Kolkata",), "en", "+91", "USD", "en", "+91812#######"),
    Market("MY", 0.03, ("Asia/Kuala_Lumpur",), "en", "+60", "USD", "en", "+6012#######"),
    Market("TH", 0.03, ("Asia/Bangkok",), "th", "+66", "USD", "en", "+6681#######"),
    Market("JP", 0.02, ("Asia/Tokyo",), "ja", "+81", "JPY", "en", "+81901#######"),
    Market(
        "AU",
        0.04,
        ("Australia/Sydney", "Australia/Melbourne", "Australia/Perth", "Australia/Brisbane"),
        "en",
        "+61",
        "AUD",
        "en",
        "+6141#######",
    ),
    Market(
        "CA",
        0.03,
        ("America/Toronto", "America/Vancouver", "America/Edmonton"),
        "en",
        "+1",
        "CAD",
        "en",
        "+15062######",
    ),
)

# USD per one unit of the currency; a demo's fixed book of rates.
USD_RATES: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("1.08"),
    "GBP": Decimal("1.27"),
    "BRL": Decimal("0.18"),
    "MXN": Decimal("0.055"),
    "AED": Decimal("0.2723"),
    "ZAR": Decimal("0.055"),
    "JPY": Decimal("0.0067"),
    "AUD": Decimal("0.66"),
    "CAD": Decimal("0.73"),
}

# How big a typical deposit is, in the currency's own units (median of the long tail).
TYPICAL_DEPOSIT: dict[str, int] = {
    "USD": 250,
    "EUR": 250,
    "GBP": 200,
    "BRL": 1_000,
    "MXN": 4_000,
    "AED": 1_000,
    "ZAR": 4_000,
    "JPY": 30_000,
    "AUD": 350,
    "CAD": 350,
}

# (method, provider, share of attempts)
PROVIDERS: tuple[tuple[str, str, float], ...] = (
    ("card", "Stripe", 0.24),
    ("card", "Checkout.com", 0.18),
    ("card", "Nuvei", 0.14),
    ("wire", "Wire transfer", 0.10),
    ("e_wallet", "Skrill", 0.10),
    ("e_wallet", "Neteller", 0.07),
    ("e_wallet", "PayPal", 0.07),
    ("crypto", "Coinbase Commerce", 0.06),
    ("crypto", "BitPay", 0.04),
)

# The provider's reason for a decline, with its share among declines.
DECLINE_REASONS: tuple[tuple[str, float], ...] = (
    ("insufficient funds", 0.34),
    ("3-D Secure failed", 0.18),
    ("do not honour", 0.16),
    ("card expired", 0.08),
    ("limit exceeded", 0.14),
    ("provider timeout", 0.10),
)

# (source, campaigns)
SOURCES: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("google_ads", ("search_brand", "search_trading", "pmax_q4"), 0.30),
    ("facebook", ("fb_lookalike", "fb_retarget", "ig_stories"), 0.25),
    ("affiliate", ("aff_tradepro", "aff_fxguide", "aff_signals"), 0.25),
    ("organic", ("",), 0.12),
    ("referral", ("refer_a_friend",), 0.08),
)

TEAMS: tuple[tuple[str, str, str], ...] = (
    # (name, desk, time zone the team sits in)
    ("Conversion London", "conversion", "Europe/London"),
    ("Conversion LatAm", "conversion", "America/Bogota"),
    ("Conversion MENA", "conversion", "Asia/Dubai"),
    ("Retention Global", "retention", "Europe/London"),
    ("Retention Asia-Pacific", "retention", "Asia/Kuala_Lumpur"),
)

# The name lists a team's people are drawn from (the managers' are English).
TEAM_NAMES: dict[str, tuple[str, ...]] = {
    "Conversion London": ("en", "en", "de", "fr", "it", "pl"),
    "Conversion LatAm": ("es", "pt"),
    "Conversion MENA": ("ar", "tr"),
    "Retention Global": ("en", "de", "fr", "it", "es"),
    "Retention Asia-Pacific": ("en",),
}

SUPPORT_SUBJECTS: tuple[str, ...] = (
    "Withdrawal pending",
    "Cannot log in",
    "KYC document rejected",
    "Deposit not credited",
    "Change account currency",
    "Platform freezes on mobile",
    "Spread question",
    "Close my account",
    "Bonus terms",
    "Reset two-factor authentication",
)

NOTE_TEXTS: tuple[str, ...] = (
    "Interested in gold and oil, call back after payday.",
    "Asked for a demo of the mobile app.",
    "Prefers WhatsApp, not calls during work hours.",
    "Has traded crypto before, wants lower spreads.",
    "Waiting for KYC documents.",
    "Said the card was declined by the bank, will try another card.",
    "Not interested right now, try again next month.",
    "Wants to start small, 250 USD.",
)

NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        (
            "James",
            "Olivia",
            "Liam",
            "Amelia",
            "Noah",
            "Grace",
            "Ethan",
            "Chloe",
            "Daniel",
            "Aisha",
            "Thabo",
            "Chinedu",
            "Priya",
            "Ravi",
            "Mei",
        ),
        (
            "Smith",
            "Jones",
            "Taylor",
            "Brown",
            "Wilson",
            "Naidoo",
            "Okafor",
            "Patel",
            "Sharma",
            "Tan",
            "Walker",
            "Mokoena",
            "Adeyemi",
            "Kumar",
            "Lee",
        ),
    ),
    "de": (
        ("Lukas", "Anna", "Jonas", "Lea", "Felix", "Mia", "Paul", "Lena"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Wagner", "Hoffmann"),
    ),
    "fr": (
        ("Louis", "Emma", "Hugo", "Jade", "Lucas", "Chloé", "Nathan", "Léa"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Leroy"),
    ),
    "it": (
        ("Marco", "Giulia", "Luca", "Sofia", "Matteo", "Chiara", "Andrea", "Sara"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
    ),
    "es": (
        ("Santiago", "Valentina", "Mateo", "Camila", "Diego", "Lucía", "Sebastián", "Isabella"),
        ("García", "Rodríguez", "Martínez", "López", "González", "Hernández", "Pérez", "Sánchez"),
    ),
    "pl": (
        ("Jakub", "Zuzanna", "Kacper", "Julia", "Szymon", "Maja", "Filip", "Hanna"),
        (
            "Nowak",
            "Kowalski",
            "Wiśniewski",
            "Wójcik",
            "Kamiński",
            "Lewandowski",
            "Zieliński",
            "Szymański",
        ),
    ),
    "pt": (
        ("João", "Maria", "Pedro", "Ana", "Gabriel", "Beatriz", "Rafael", "Larissa"),
        ("Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Costa", "Ferreira"),
    ),
    "ar": (
        ("Mohammed", "Fatima", "Omar", "Layla", "Khalid", "Noor", "Yousef", "Mariam"),
        ("Al Mansouri", "Al Harbi", "Haddad", "Khalil", "Nasser", "Saleh", "Hassan", "Farouk"),
    ),
    "tr": (
        ("Mehmet", "Elif", "Mustafa", "Zeynep", "Emre", "Ayşe", "Burak", "Merve"),
        ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Aydın", "Öztürk"),
    ),
}


EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me")
DEVICES = ("web", "ios", "android")


def mobile_number_parts(market: Market) -> tuple[str, int]:
    """The fixed start of the market's demo mobile numbers and how many digits follow it."""
    return market.mobile.rstrip("#"), market.mobile.count("#")


# Letters with no accent to strip: "Yılmaz" is yilmaz, not ylmaz, in an address.
_PLAIN_LETTERS = str.maketrans({"ı": "i", "ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "đ": "d"})


def ascii_slug(text: str) -> str:
    plain = (
        unicodedata.normalize("NFKD", text.translate(_PLAIN_LETTERS))
        .encode("ascii", "ignore")
        .decode()
    )
    return "".join(ch for ch in plain.lower() if ch.isalnum())


# Share of a lead's registrations by weekday (Monday first) and local hour.
WEEKDAY_WEIGHT = np.array([1.0, 1.05, 1.0, 0.95, 0.9, 0.6, 0.55])
HOUR_WEIGHT = np.array(
    [2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 6, 6, 6, 6, 6, 7, 8, 9, 9, 8, 6, 4], dtype=float
)
