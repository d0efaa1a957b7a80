"""Text and bytes: '' and whitespace-only, mixed case, strings at their length limit, and
the hostile classes of `hostile` (NFC-changing, non-BMP, edge whitespace, look-alikes)."""

from __future__ import annotations

import string

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..plain_map import plain_map
from ..schema.model import Column
from .hostile import DECOMPOSED, EDGE_SPACES, NON_BMP, hostile_text

TEXT_MAX = 100  # unbounded TEXT: most strings stay short so examples stay fast ...
LONG_TEXT = 2000  # ... and some are long, built cheaply by repetition

# No NUL (Postgres rejects it in text) and no surrogates (not encodable as UTF-8).
# Surrogates (Cs) are what UTF-8 cannot encode; excluding the category allows the same
# characters as codec="utf-8" without building its interval table (seconds on a fresh run).
_chars = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
_whitespace = st.text(alphabet=" \t\n\r\u00a0\u2003\u3000", min_size=1, max_size=6)
_mixed_case = st.text(alphabet=string.ascii_letters, min_size=1, max_size=12)


def _text(limit: int | None, short: int = TEXT_MAX) -> SearchStrategy[str]:
    """Text up to `limit` characters, '' and whitespace-only and mixed case included.

    Strings exactly at the limit are built by padding a short string with one repeated
    character (sometimes a hostile one), so VARCHAR(255) reaches 255 without drawing 255
    characters one by one. The hostile branches are five of nine, so each class has a
    share of strings a test can state (see `hostile`).
    """
    cap = LONG_TEXT if limit is None else limit
    if cap == 0:
        return st.just("")
    filler = _chars | st.sampled_from([p[-1] for p in DECOMPOSED]
                                      + [p[0] for p in NON_BMP + EDGE_SPACES])
    at_cap = plain_map(st.tuples(st.text(_chars, max_size=min(cap, 8)), filler),
                       lambda t: (t[0] + t[1] * cap)[:cap])
    return st.one_of(
        st.text(_chars, max_size=min(cap, short)),
        plain_map(_whitespace, lambda s: s[:cap]),
        plain_map(_mixed_case, lambda s: s[:cap]),
        at_cap,
        hostile_text(cap),
    )



def _text_for(column: Column, backend: str) -> SearchStrategy[str]:
    return _text(column.type.length)


def _binary(column: Column, backend: str) -> SearchStrategy[bytes]:
    cap = column.type.length or LONG_TEXT
    at_cap = plain_map(st.binary(min_size=1, max_size=1), lambda b: b * cap)
    return st.binary(max_size=min(cap, 64)) | at_cap

