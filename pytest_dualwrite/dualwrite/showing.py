"""Differences a person can see: values that print alike, shown so that they do not.

Three cases where the plain `repr` of two differing values reads the same:

- strings that look alike (`'e\\u0301'` and `'é'`, a Cyrillic `\\u0430` and a Latin `a`, a
  zero-width space): both are shown with their non-ASCII characters as code points, and
  the first character where they part is named;
- JSON null against SQL NULL: on Postgres the driver returns `None` for both, so the
  comparison's own rows cannot tell which field differs. `explain` asks the database
  again for just those keys, every field as text (where `'null'` and NULL part), and
  names the field; on SQLite the JSON column's text `'null'` is named the same way;
- anything else the database keeps apart but Python decodes to equal values, shown as
  the text the database renders.

Called where differences are rendered (the comparison's samples, the model's story, the
read path's lines); the comparison itself is unchanged.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from ..schema.model import ColumnType
    from .compare import FieldDiff, Projection

# Characters people read as Latin ones (Cyrillic, Greek, dotless i, fullwidth letters are
# folded by NFKC already).
_CONFUSABLE = str.maketrans({"\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p",
                             "\u0441": "c", "\u0445": "x", "\u0443": "y", "\u03bf": "o",
                             "\u03b1": "a", "\u0131": "i", "\u0456": "i", "\u00a0": " ",
                             "\u2007": " ", "\u202f": " "})


class Named:
    """A value that has no Python form of its own (SQL NULL, JSON null): its name."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Named) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


SQL_NULL = Named("SQL NULL")
JSON_NULL = Named("JSON null")


def _skeleton(text: str) -> str:
    """What a person sees: compatibility forms folded, invisible characters dropped."""
    folded = unicodedata.normalize("NFKC", text).translate(_CONFUSABLE)
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


def look_alike(old: Any, new: Any) -> bool:
    """Two different strings a person reads as the same."""
    return isinstance(old, str) and isinstance(new, str) and old != new \
        and _skeleton(old) == _skeleton(new)


def code_points(text: str) -> str:
    """`text` quoted, each non-ASCII or invisible character as its code point."""
    out = []
    for c in text:
        if " " <= c <= "~" and c not in "'\\":
            out.append(c)
        elif c in "'\\":
            out.append("\\" + c)
        else:
            out.append(f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
    return "'" + "".join(out) + "'"


def _name(c: str | None) -> str:
    if c is None:
        return "the end"
    return f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}"


def alike_note(old: str, new: str) -> str:
    """Where two look-alike strings part: the first differing character of each."""
    i = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
             min(len(old), len(new)))
    a = old[i] if i < len(old) else None
    b = new[i] if i < len(new) else None
    nfc = " (equal after NFC normalization)" if unicodedata.normalize("NFC", old) == \
        unicodedata.normalize("NFC", new) else ""
    return f"look alike; they part at character {i}: {_name(a)} vs {_name(b)}{nfc}"


def pair(old: Any, new: Any) -> tuple[str, str, str]:
    """(old shown, new shown, note) for two differing values; note '' when plain."""
    if look_alike(old, new):
        return code_points(old), code_points(new), alike_note(old, new)
    return repr(old), repr(new), ""


def named_nulls(diff: FieldDiff, types: Mapping[str, ColumnType]) -> FieldDiff:
    """On SQLite a JSON column's `'null'` against NULL: named JSON null and SQL NULL."""
    from .compare import FieldDiff

    column_type = types.get(diff.field)
    if column_type is None or column_type.family != "json":
        return diff
    values = (diff.old_value, diff.new_value)
    if None in values and "null" in values:
        return FieldDiff(diff.key, diff.field, *(SQL_NULL if v is None else JSON_NULL
                                                 for v in values))
    return diff


def explain(conn: sa.Connection, old: Projection, new: Projection, key: Sequence[str],
            names: Sequence[str], sample: Sequence[Sequence[Any]],
            changed: list[FieldDiff], missing: list[dict[str, Any]],
            extra: list[dict[str, Any]]) -> list[FieldDiff]:
    """`changed` with nulls named, plus a field-level line for each sampled key whose rows
    differ in the database but not once decoded (Postgres: JSON null and SQL NULL are
    both `None`)."""
    types = {**new.types, **old.types}
    out = [named_nulls(d, types) for d in changed]
    shown = {d.key for d in changed} | {tuple(r[k] for k in key) for r in (*missing, *extra)}
    hidden = list(dict.fromkeys(tuple(r[names.index(k)] for k in key) for r in sample))
    for k in [k for k in hidden if k not in shown]:
        olds, news = (_as_text(conn, p, key, names, k) for p in (old, new))
        for o, n in zip(olds, news, strict=False):
            out += [_text_diff(k, f, o[f], n[f]) for f in names if o[f] != n[f]]
    return out


def _as_text(conn: sa.Connection, projection: Projection, key: Sequence[str],
             names: Sequence[str], value: Sequence[Any]) -> list[dict[str, Any]]:
    """One key's rows of a side, every field as the text the database renders."""
    source = projection.subquery(list(names), "dw_text")
    where = [source.c[c] == v if v is not None else source.c[c].is_(None)
             for c, v in zip(key, value, strict=True)]
    query = sa.select(*(sa.cast(source.c[n], sa.Text).label(n) for n in names)).where(*where)
    return sorted((dict(r) for r in conn.execute(query).mappings()),
                  key=lambda r: [repr(r[n]) for n in names])


def _text_diff(key: tuple[Any, ...], field: str, old: str | None, new: str | None
               ) -> FieldDiff:
    from .compare import FieldDiff

    def shown(text: str | None) -> Any:
        if text is None:
            return SQL_NULL
        return JSON_NULL if text == "null" else Named(f"{text!r} (as text)")

    return FieldDiff(key, field, shown(old), shown(new))
