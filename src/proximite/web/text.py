"""Text as the géoportail displays it: no bidirectional-control characters, whole capitals.

Why: a name holding U+202E (right-to-left override) is shown reversed from that point,
so a place can be made to read as another one ("spoofing"); these characters have no
business in a French directory, so they are removed from every text the portal displays.
"""

from __future__ import annotations

import re
from typing import Any

#: Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the implicit marks
#: (U+200E, U+200F) and the Arabic letter mark (U+061C).
BIDI_CONTROLS = frozenset(
    [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)),
     "\u200e", "\u200f", "\u061c"])
_STRIP = {ord(ch): None for ch in BIDI_CONTROLS}


def display_text(value: Any) -> str:
    """``value`` as displayable text: '' for missing, bidirectional controls removed,
    capitals repaired (:func:`repair_case`)."""
    if value is None:
        return ""
    return repair_case(str(value).translate(_STRIP))


#: A word in capitals whose accented letters stayed in lower case ("SAINT-CHéLY"): the
#: mark of an upper-casing that only knew ASCII, upstream of us (prix-carburants).
_WORD = re.compile(r"[^\W\d_]+")


def _repair_word(match: re.Match[str]) -> str:
    word = match.group(0)
    ascii_letters = [ch for ch in word if ch.isascii()]
    if (ascii_letters and all(ch.isupper() for ch in ascii_letters)
            and any(not ch.isascii() and ch.islower() for ch in word)):
        return word.upper()
    return word


def repair_case(text: str) -> str:
    """Capitals made whole again: 'SAINT-CHéLY-D'APCHER' -> 'SAINT-CHÉLY-D'APCHER'.

    Only words written in capitals apart from their accented letters change; any other
    word ('Chély', 'd'Apcher', 'é') keeps its case.
    """
    return _WORD.sub(_repair_word, text)
