"""The characters migrations get wrong, drawn on purpose rather than by luck.

Drawn from all of Unicode without bias, a string changes under NFC 1 time in 2,000 and
holds an emoji 1 time in 300, so a copy that normalizes, trims, or counts bytes instead
of characters passes. These pieces are each drawn as their own branch of the text
strategy, so every class appears in a stated share of strings (measured by
`tests/test_generator_frequencies.py`): NFC-changing forms, non-BMP characters, edge
whitespace of every kind, look-alikes and zero-width characters, and the words that
mean "nothing" to someone (`'NULL'`, `''`).
"""

from __future__ import annotations

import string
import unicodedata
from functools import lru_cache

from hypothesis.strategies import SearchStrategy

from .flat import Apply, Branches, Chars, Pick

# Each changes under NFC: a decomposed accent, a Hangul syllable as jamo, and singletons
# (ANGSTROM SIGN, OHM SIGN, KELVIN SIGN) that NFC replaces even alone, so a VARCHAR(1)
# column can still hold one.
DECOMPOSED = (
    "e\u0301",
    "A\u030a",
    "n\u0303",
    "o\u0308\u0304",
    "\u1100\u1161",
    "\u212b",
    "\u2126",
    "\u212a",
    "c\u0327",
)
# Outside the Basic Multilingual Plane: 4 bytes in UTF-8, 2 code units in UTF-16.
NON_BMP = (
    "\U0001f600",
    "\U0001f44d\U0001f3fd",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\U0001d518",
    "\U00020000",
    "\U0001f1eb\U0001f1f7",
    "\U0010fffd",
)
# Whitespace of every kind a trim may or may not remove; zero-width ones look like none.
EDGE_SPACES = (
    " ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\x0b",
    "\x0c",
    "\x85",
    "\u00a0",
    "\u2003",
    "\u3000",
    "\u2028",
    "\u200b",
    "\ufeff",
    "\u202f",
)
# Look-alikes: Cyrillic a, e, o and Greek omicron against Latin; a dotless i; fullwidth A.
LOOK_ALIKES = ("\u0430", "\u0435", "\u043e", "\u03bf", "\u0131", "\uff21", "a", "e", "o")
# Words that mean "no value" to a person or a parser, and the empty string.
NOTHING_WORDS = ("NULL", "null", "", "None", "\\N", "nil", "undefined")

_WORD = string.ascii_letters + string.digits
_word = Chars(_WORD, 0, 4)
# At an edge of the `edged` class: each space-like piece, leading or trailing.
_SURE = tuple((piece, at_end) for at_end in (True, False) for piece in EDGE_SPACES)
_EDGE_CHARS = "".join(sorted({c for piece in EDGE_SPACES for c in piece}))


def hostile_branches(cap: int) -> tuple[SearchStrategy[str], ...]:
    """The five classes, each a few choices (see `flat`): a piece, then a short word.
    The hostile part comes first, so that a short limit cuts the ordinary part."""

    def cut(piece: str, word: str) -> str:
        return (piece + word)[:cap]

    decomposed = Apply(cut, Pick(DECOMPOSED), _word)
    non_bmp = Apply(cut, Pick(NON_BMP), _word)
    # Leading, trailing or both: at least one space-like character at an edge; the body
    # a word that may hold look-alikes.
    edged = Apply(lambda lead, body, trail, sure: _edge((lead, body, trail, *sure), cap),
                  Chars(_EDGE_CHARS, 0, 3), Chars(_WORD + "".join(LOOK_ALIKES), 0, 4),
                  Chars(_EDGE_CHARS, 0, 3), Pick(_SURE))
    nothing = Pick(tuple(dict.fromkeys(w[:cap] for w in NOTHING_WORDS)))
    look = Apply(cut, Chars("".join(LOOK_ALIKES), 1, 4), _word)
    return (decomposed, non_bmp, edged, nothing, look)


@lru_cache(maxsize=256)
def hostile_text(cap: int) -> SearchStrategy[str]:
    """Strings up to `cap` characters that each hold one hostile class, each class as
    likely (built once per `cap`)."""
    return Branches(*hostile_branches(cap))


def _edge(parts: tuple[str, str, str, str, bool], cap: int) -> str:
    lead, body, trail, sure, at_end = parts
    text = (lead + body + trail + sure) if at_end else (sure + lead + body + trail)
    if len(text) <= cap:
        return text
    # Keep the guaranteed edge character when the limit is short.
    return text[-cap:] if at_end else text[:cap]


def is_nfc_changing(value: str) -> bool:
    return unicodedata.normalize("NFC", value) != value


def has_non_bmp(value: str) -> bool:
    return any(ord(c) > 0xFFFF for c in value)


_EDGE = frozenset(EDGE_SPACES) | {c for c in map(chr, range(0x3000)) if c.isspace()}


def has_edge_space(value: str) -> bool:
    return bool(value) and (value[0] in _EDGE or value[-1] in _EDGE)
