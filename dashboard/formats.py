"""How figures are written on the pages."""

from __future__ import annotations

import re


def _missing(value) -> bool:
    """None, NaN, NaT or pandas' NA (a nullable column's blank), which is unequal to itself
    or cannot say."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pd.NA: its comparisons are NA, whose truth is undefined
        return True


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
        written = f"{delta * 100:+.1f} pp"
    elif kind == "usd":
        written = f"{delta:+,.2f} USD"
    else:
        written = f"{delta:+,.0f}"
    # No change as shown ("+0.0 pp", "-0"): "0", which st.metric alone draws grey and without
    # an arrow (any other text is a rise, green with an up arrow).
    return "0" if not any(digit in "123456789" for digit in written) else written


# The same formats for a table's number columns (``st.column_config``), which keep the
# numbers (a column sorts by value) and write them as above. Streamlit's printf takes "," for
# thousands; a ratio shows in % once ``points`` made it percentage points.
USD_COLUMN = "%,.2f USD"
AMOUNT_COLUMN = "%,.2f"
COUNT_COLUMN = "%,d"
PERCENT_COLUMN = "%.1f %%"


def points(frame, columns):
    """``frame`` with its ratio ``columns`` as percentage points (0.157 → 15.7), for a column
    shown with ``PERCENT_COLUMN``."""
    return frame.assign(**{column: frame[column] * 100 for column in columns})


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


# The CRM's stored values people read differently from their code ("follow_up").
_WORDS = {
    "follow_up": "follow-up",
    "e_wallet": "e-wallet",
    "reach_you": "reach-you",
    "charged_back": "charged back",
    "am": "AM",
    "ftd": "FTD",
}


def words(value) -> str:
    """A stored choice (a status, reason, method, outcome) in people's words: ``follow_up`` →
    "follow-up", ``new_lead`` → "new lead"; blank for none."""
    if _missing(value) or value == "":
        return ""
    text = str(value)
    return _WORDS.get(text, text.replace("_", " "))


def in_words(frame, columns):
    """``frame`` with the stored choices of those of ``columns`` it has in people's words."""
    return frame.assign(
        **{column: frame[column].map(words) for column in columns if column in frame}
    )


def duration(seconds) -> str:
    """A span of time in words, to its two largest units: "45 s", "5 min 10 s", "1 h 20 min",
    "3 d 4 h"; blank for none."""
    if _missing(seconds):
        return ""
    total = max(0, round(float(seconds)))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    while len(parts) > 1 and parts[0][0] == 0:
        parts.pop(0)
    shown = [f"{amount} {unit}" for amount, unit in parts[:2] if amount]
    return " ".join(shown) or f"0 {parts[-1][1]}"


def money(value, currency) -> str:
    """An amount with its currency code: "1,000.00 BRL"; blank for none."""
    if _missing(value):
        return ""
    return f"{value:,.2f} {currency or ''}".strip()


def on_list(am_name, is_starred, *, beside_the_am: bool = False) -> str:
    """Whether the lead is in front of its AM: "on Ravi Rao's list", or "assigned to Ravi Rao,
    not on the list yet" (an AM works only their starred leads); blank when nobody owns it.
    ``beside_the_am``: in a column next to the AM's name, without it ("on the list", "not on
    the list yet"), which a table's narrow column shows whole."""
    if _missing(am_name) or not str(am_name).strip():
        return ""
    starred = not _missing(is_starred) and bool(is_starred)
    if beside_the_am:
        return "on the list" if starred else "not on the list yet"
    if starred:
        return f"on {am_name}'s list"
    return f"assigned to {am_name}, not on the list yet"


def hours(seconds) -> str:
    """A working time in hours and minutes, however long: "25 h 3 min", "18 min", "0 min";
    blank for none. Days would read as calendar days, which a day's talk time is not."""
    if _missing(seconds):
        return ""
    total_minutes = max(0, int(float(seconds) // 60))
    whole_hours, minutes = divmod(total_minutes, 60)
    if not whole_hours:
        return f"{minutes} min"
    return f"{whole_hours} h {minutes} min" if minutes else f"{whole_hours} h"


def percent_cell(ratio) -> str:
    """A ratio in a table's cell: "66.7 %", blank for none (a tile shows "–")."""
    return "" if _missing(ratio) else percent(ratio)


def usd_cell(value) -> str:
    """A USD amount in a table's cell: "1,250.00 USD", blank for none."""
    return "" if _missing(value) else usd(value)


def readable(frame, *, percents=(), hours_of=(), usds=()):
    """``frame`` for a table people read: ratios as "66.7 %", working times as "2 h 5 min",
    USD amounts as "1,250.00 USD", blank for none (the export keeps the numbers)."""
    shown = {column: frame[column].map(percent_cell) for column in percents}
    shown |= {column: frame[column].map(hours) for column in hours_of}
    shown |= {column: frame[column].map(usd_cell) for column in usds}
    return frame.assign(**shown)
