"""How figures are written on the pages."""

from __future__ import annotations

import math


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def count(value) -> str:
    return "–" if _missing(value) else f"{value:,.0f}"


def usd(value) -> str:
    return "–" if _missing(value) else f"{value:,.2f} USD"


def amount(value) -> str:
    """Money whose unit the label already names (a tile headed "Deposit USD")."""
    return "–" if _missing(value) else f"{value:,.2f}"


def percent(ratio) -> str:
    return "–" if _missing(ratio) else f"{ratio * 100:.1f} %"


def average(value) -> str:
    return "–" if _missing(value) else f"{value:,.2f}"


def change(current, previous, kind: str) -> str | None:
    """The change from ``previous`` to ``current``, signed; None when either is missing.

    ``kind`` is ``count``, ``usd`` or ``ratio`` (a ratio's change is in percentage points).
    """
    if _missing(current) or _missing(previous):
        return None
    delta = current - previous
    if kind == "ratio":
        return f"{delta * 100:+.1f} pp"
    if kind == "usd":
        return f"{delta:+,.2f} USD"
    return f"{delta:+,.0f}"


def figure(value, kind: str) -> str:
    """``value`` written as its ``kind`` says: ``count``, ``usd``, ``ratio`` or ``average``."""
    return {"count": count, "usd": usd, "ratio": percent, "average": average}[kind](value)


def tile(value, kind: str) -> str:
    """``value`` on a metric tile: as ``figure`` writes it, but money without its unit, which
    the tile's label names (a tile is narrow)."""
    return amount(value) if kind == "usd" else figure(value, kind)
