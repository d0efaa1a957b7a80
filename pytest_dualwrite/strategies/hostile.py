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

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..plain_map import plain_map

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

_word = st.text(alphabet=string.ascii_letters + string.digits, max_size=4)
_look_alike_word = plain_map(
    st.lists(st.sampled_from(LOOK_ALIKES), min_size=1, max_size=4), "".join
)


def _spaces(min_size: int) -> SearchStrategy[str]:
    return plain_map(st.lists(st.sampled_from(EDGE_SPACES), min_size=min_size, max_size=3), "".join)


def hostile_text(cap: int) -> SearchStrategy[str]:
    """Strings up to `cap` characters that each hold one hostile class, the hostile part
    first so that a short limit cuts the ordinary part, not the point of the string."""
    decomposed = plain_map(
        st.tuples(st.sampled_from(DECOMPOSED), _word), lambda t: (t[0] + t[1])[:cap]
    )
    non_bmp = plain_map(st.tuples(st.sampled_from(NON_BMP), _word), lambda t: (t[0] + t[1])[:cap])
    # Leading, trailing or both: at least one space-like character at an edge.
    edged = plain_map(
        st.tuples(
            _spaces(0),
            _word | _look_alike_word,
            _spaces(0),
            st.sampled_from(EDGE_SPACES),
            st.booleans(),
        ),
        lambda t: _edge(t, cap),
    )
    nothing = plain_map(st.sampled_from(NOTHING_WORDS), lambda s: s[:cap])
    look = plain_map(st.tuples(_look_alike_word, _word), lambda t: (t[0] + t[1])[:cap])
    return st.one_of(decomposed, non_bmp, edged, nothing, look)


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
