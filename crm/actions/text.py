"""Text that people type or other systems send (names, notes, reasons) is checked where it enters.

A control character splits a record when the text reaches a CSV file (a bare carriage return
is not quoted by every writer, and the part after it starts a new row, where ``=`` runs as a
formula); an invisible formatting character (a right-to-left override, a zero-width space)
makes a name read as something else. Neither belongs in a name or a note: both are refused
with one line saying where. Notes keep their line breaks and tabs.
"""

from __future__ import annotations

import unicodedata

from crm.actions.results import ActionRefused

# Cc: control characters; Cf: invisible formatting (bidirectional overrides, zero-width
# characters); Zl, Zp: the line and paragraph separators; Cs: lone surrogates.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
NOTE_BREAKS = frozenset({"\n", "\t"})


def unsafe_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character of ``text`` that may not be stored, or None."""
    allowed = NOTE_BREAKS if multiline else frozenset()
    for character in text:
        if character not in allowed and unicodedata.category(character) in UNSAFE_CATEGORIES:
            return character
    return None


def check_text(text: str, what: str, *, multiline: bool = False) -> None:
    """Refuse ``text`` (``what`` names it for the message) if it holds a character that may not
    be stored."""
    character = unsafe_character(text, multiline=multiline)
    if character is not None:
        raise ActionRefused(
            f"{what} holds an invisible or control character ({describe(character)}): "
            "remove it and try again."
        )


def describe(character: str) -> str:
    """U+000D CARRIAGE RETURN, as a person can look it up."""
    name = unicodedata.name(character, "") or {"\r": "CARRIAGE RETURN", "\n": "LINE FEED"}.get(
        character, "control character"
    )
    return f"U+{ord(character):04X} {name}"


def printable(text: str) -> str:
    """``text`` with every character that may not be stored replaced by a space: for text that
    another system wrote (a payment provider's decline reason) quoted in a note."""
    return "".join(
        " " if unicodedata.category(character) in UNSAFE_CATEGORIES else character
        for character in text
    )
