"""How a column's logical type is declared on SQLite, and read back from that declaration.

SQLite stores the declared type text and derives an affinity from it. `UUID` or `JSON`
gets NUMERIC affinity, which turns the text `'4.89e-293'` or an all-digit hex string into
a number; `CHAR(36)` or `TEXT` keeps the text but forgets that the column is a UUID, so
values were generated and bound as plain strings. The spellings here keep both: the name
says the logical type, and the `TEXT` in it gives TEXT affinity (sqlite.org/datatype3.html
3.1). An array keeps its element type in its name and holds a JSON list.

`declared` is used by the transpiler, `logical` by reflection (`schema.types`), so the two
stay inverses of each other.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.errors import SqlglotError

DT = exp.DataType.Type
_SPELLINGS = {DT.UUID: "UUID_TEXT", DT.JSON: "JSON_TEXT", DT.JSONB: "JSONB_TEXT"}
_LOGICAL = {name: kind for kind, name in _SPELLINGS.items()}
ARRAY_SUFFIX = "_ARRAY"
_ARRAY = re.compile(r"(?P<element>[A-Z][A-Z0-9]*)" + ARRAY_SUFFIX, re.IGNORECASE)


def _user_type(name: str) -> exp.DataType:
    return exp.DataType(this=DT.USERDEFINED, kind=name)


def is_array(kind: exp.DataType) -> bool:
    return kind.is_type(DT.ARRAY) or bool(kind.args.get("nested"))


def declared(kind: exp.DataType) -> exp.DataType | None:
    """The SQLite declaration of a column of Postgres type `kind`; None: keep `kind`."""
    if is_array(kind):
        element = kind
        while is_array(element) and element.expressions:
            inner = element.expressions[0]
            if not isinstance(inner, exp.DataType):
                break
            element = inner
        name = "TEXT" if is_array(element) or element.this == DT.USERDEFINED \
            else element.this.name
        return _user_type(name + ARRAY_SUFFIX)
    if kind.this in _SPELLINGS:
        return _user_type(_SPELLINGS[kind.this])
    return None


def logical(text: str) -> exp.DataType | None:
    """The Postgres type a SQLite declaration of ours stands for; None if not ours."""
    name = text.strip().upper()
    if name in _LOGICAL:
        return exp.DataType.build(_LOGICAL[name])
    m = _ARRAY.fullmatch(name)
    if m is None:
        return None
    try:
        element = exp.DataType.build(m["element"], dialect="postgres")
    except (ValueError, SqlglotError):
        element = exp.DataType.build("TEXT")
    return exp.DataType(this=DT.ARRAY, expressions=[element], nested=True)
