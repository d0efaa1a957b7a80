"""What a comparison answers, and the text a person reads when the two sides differ.

The answer (`Comparison`) holds the totals computed in SQL (`Counts`) and samples of the
first differing keys: missing rows, extra rows, changed fields, duplicate keys.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from ..errors import DualWriteAssertion
from .long_values import show_one, show_pair

__all__ = ["Comparison", "Counts", "Duplicate", "FieldDiff", "describe"]


@dataclass(frozen=True)
class FieldDiff:
    """One field of one key whose value differs: the line a person reads first."""

    key: tuple[Any, ...]
    field: str
    old_value: Any
    new_value: Any


@dataclass(frozen=True)
class Duplicate:
    """A key held by more than one row on a side (a backfill that ran twice)."""

    key: tuple[Any, ...]
    old_count: int
    new_count: int


@dataclass(frozen=True)
class Counts:
    """Totals over every row, computed in SQL (the lists below are only samples)."""

    old_rows: int = 0
    new_rows: int = 0
    missing_rows: int = 0  # rows of old with no equal row in new, counting copies
    extra_rows: int = 0  # rows of new with no equal row in old, counting copies
    differing_keys: int = 0
    changed_keys: int = 0  # keys with rows on both sides that differ
    missing_keys: int = 0  # keys only old has
    extra_keys: int = 0  # keys only new has (or more copies of)
    # Keys with more than one row on a side, among the differing keys shown (`duplicates`):
    # asked only when the sides differ, so 0 when they are equal (a duplicate both sides
    # hold alike is no difference).
    duplicate_keys_old: int = 0
    duplicate_keys_new: int = 0


@dataclass(frozen=True)
class Comparison:
    """The answer: `equal`, and for a difference, samples of the first `limit` keys."""

    equal: bool
    key: tuple[str, ...]
    fields: tuple[str, ...]
    missing: list[dict[str, Any]] = field(default_factory=list)  # in old, not in new
    extra: list[dict[str, Any]] = field(default_factory=list)  # in new, not in old
    changed: list[FieldDiff] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    truncated: bool = False  # more keys differ than were fetched

    def __bool__(self) -> bool:
        return self.equal

    def check(self, old_label: str = "old", new_label: str = "new",
              title: str | None = None) -> None:
        """Raise the assertion pytest prints as a story when the sides differ."""
        if not self.equal:
            summary = title or f"{old_label} and {new_label} differ"
            raise DualWriteAssertion(summary,
                                     [("differences", describe(self, old_label, new_label))])


# --- what a person reads --------------------------------------------------------------------

def _show(value: Any) -> str:
    """A value as a person compares it: strings quoted (so '' and 'a ' show), None as
    None, dates in ISO form down to the microsecond, Decimals and UUIDs as written."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    return repr(value)


def _key_text(names: Sequence[str], key: Sequence[Any]) -> str:
    return ", ".join(f"{n}={_show(v)}" for n, v in zip(names, key, strict=True))


def describe(comparison: Comparison, old_label: str = "old", new_label: str = "new",
             new_names: Mapping[str, str] | None = None) -> str:
    """Each differing key with its table, field, old and new value; missing and extra
    rows named as such. Strings are quoted, so '', None and 'a ' read differently.

    `new_names` (old field -> new column) labels the new side's value with its own column,
    where the spec renames it; long values show their lengths and first difference."""
    renamed = dict(new_names or {})
    c, n = comparison, comparison.counts
    if c.equal:
        return f"{old_label} and {new_label} are equal ({n.old_rows} rows each)"
    lines = [f"{old_label}: {n.old_rows} rows, {new_label}: {n.new_rows} rows; "
             f"{n.differing_keys} keys differ ({n.changed_keys} changed, {n.missing_keys} "
             f"missing from {new_label}, {n.extra_keys} extra in {new_label})"]
    for d in c.changed:
        new_column = renamed.get(d.field, d.field)
        new_side = f"{new_label}.{new_column}" if new_column != d.field else new_label
        lines.append(f"{_key_text(c.key, d.key)}: {d.field}: "
                     + show_pair(old_label, d.old_value, new_side, d.new_value, _show))
    for r in c.missing:
        lines.append(f"{_key_text(c.key, [r[k] for k in c.key])}: missing from {new_label} "
                     f"(in {old_label}: {_fields_text(r, c)})")
    for r in c.extra:
        lines.append(f"{_key_text(c.key, [r[k] for k in c.key])}: extra in {new_label} "
                     f"(not in {old_label}: {_fields_text(r, c, renamed)})")
    for dup in c.duplicates:
        sides = [f"{count} rows in {label}" for count, label in
                 ((dup.old_count, old_label), (dup.new_count, new_label)) if count > 1]
        lines.append(f"{_key_text(c.key, dup.key)}: duplicate key: {', '.join(sides)}")
    if c.truncated:
        lines.append(f"... and {n.differing_keys - len({*_shown_keys(c)})} more keys")
    return "\n".join(lines)


def _fields_text(row: Mapping[str, Any], c: Comparison,
                 names: Mapping[str, str] | None = None) -> str:
    """A row's fields; named as `names` maps them (the new side's own columns)."""
    names = names or {}
    return ", ".join(f"{names.get(f, f)}={show_one(row[f], _show)}" for f in c.fields
                     if f not in c.key) or "key only"


def _shown_keys(c: Comparison) -> Iterable[tuple[Any, ...]]:
    yield from (d.key for d in c.changed)
    yield from (tuple(r[k] for k in c.key) for r in (*c.missing, *c.extra))
