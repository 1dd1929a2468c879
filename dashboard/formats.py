"""How figures are written on the pages."""

from __future__ import annotations

import math
import re


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def count(value) -> str:
    return "–" if _missing(value) else f"{value:,.0f}"


def things(value, word: str) -> str:
    """A count and its noun, singular for one: "1 deposit", "2 deposits", "0 FTDs"."""
    return f"{count(value)} {word}" if value == 1 else f"{count(value)} {word}s"


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


# What Streamlit's Markdown (CommonMark, GFM, math, directives such as :red[...], emoji codes)
# reads as markup in one line of text. CommonMark takes a backslash before a mark as the mark
# itself; marks that mean nothing where they stand (a colon before a space, a full stop) are left
# as they are, so a message reads the same in the page and in its tests.
_MARKUP = re.compile(
    r"[\\`*_\[\]<>~$]"  # emphasis, code, links and images, HTML, strike-through, math
    r"|:(?=[A-Za-z0-9_+-]*[\[:]|//)"  # ":red[", ":smile:", "https://"
    r"|(?<=[wW]{3})\."  # "www.example.com" would become a link
    r"|&(?=#?\w+;)"  # "&lt;" would become "<"
)
# A heading, a list item or a quote opens only at the start of the line.
_LINE_START = re.compile(r"^(>|#+(?=\s|$)|[+-](?=\s|$)|\d+(?=[.)](?:\s|$)))")


def plain(text) -> str:
    """``text`` (a lead's name, a note, a decline reason, an action's message naming them) for
    ``st.caption``, ``st.toast``, ``st.info`` and the like, which read Markdown: shown as the
    very characters it holds, on one line; never an image, a link or a formatted word."""
    text = _MARKUP.sub(lambda mark: "\\" + mark.group(0), " ".join(str(text).split()))
    # "1." stays "1" and its mark is escaped; "-" is escaped itself.
    return _LINE_START.sub(lambda start: _escape_start(start.group(1)), text)


def _escape_start(start: str) -> str:
    return f"{start}\\" if start[0].isdigit() else f"\\{start}"
