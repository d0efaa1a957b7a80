"""Text and bytes: '' and whitespace-only, mixed case, strings at their length limit, and
the hostile classes of `hostile` (NFC-changing, non-BMP, edge whitespace, look-alikes).

Each string is one branch choice and one to four more (`flat`): the plain branch is one
string choice over every character UTF-8 encodes, as `st.text` draws it."""

from __future__ import annotations

import string
from functools import lru_cache

from hypothesis.strategies import SearchStrategy

from ..schema.model import Column
from .flat import ANY_CHAR, Apply, Branches, Bytes, Chars, Const, Pick
from .hostile import DECOMPOSED, EDGE_SPACES, NON_BMP, hostile_branches

TEXT_MAX = 100  # unbounded TEXT: most strings stay short so examples stay fast ...
LONG_TEXT = 2000  # ... and some are long, built cheaply by repetition

_WHITESPACE = " \t\n\r\u00a0\u2003\u3000"
# Characters a string at its limit is padded with: any, or one of the hostile ones.
_FILLERS = tuple(dict.fromkeys([p[-1] for p in DECOMPOSED]
                               + [p[0] for p in NON_BMP + EDGE_SPACES]))


@lru_cache(maxsize=256)
def _text(limit: int | None, short: int = TEXT_MAX) -> SearchStrategy[str]:
    """Text up to `limit` characters, '' and whitespace-only and mixed case included.

    Strings exactly at the limit are built by padding a short string with one repeated
    character (sometimes a hostile one), so VARCHAR(255) reaches 255 without drawing 255
    characters one by one. The hostile branches are five of nine, so each class has a
    share of strings a test can state (see `hostile`). Built once per limit.
    """
    cap = LONG_TEXT if limit is None else limit
    if cap <= 0:
        return Const("")
    filler = Branches(Chars(ANY_CHAR, 1, 1), Pick(_FILLERS))
    at_cap = Apply(lambda head, fill: (head + fill * cap)[:cap],
                   Chars(ANY_CHAR, 0, min(cap, 8)), filler)
    return Branches(
        Chars(ANY_CHAR, 0, min(cap, short)),
        Chars(_WHITESPACE, 1, min(cap, 6)),
        Chars(string.ascii_letters, 1, min(cap, 12)),
        at_cap,
        *hostile_branches(cap),
    )


def _text_for(column: Column, backend: str) -> SearchStrategy[str]:
    return _text(column.type.length)


def _binary(column: Column, backend: str) -> SearchStrategy[bytes]:
    cap = column.type.length or LONG_TEXT
    return Branches(Bytes(0, min(cap, 64)), Apply(lambda b: b * cap, Bytes(1, 1)))
