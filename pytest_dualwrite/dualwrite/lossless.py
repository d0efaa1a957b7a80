"""`mapping_is_lossless`: every old -> new column pair of a spec, read from the schema alone.

A narrowing copy (`text` -> `varchar(100)`, `timestamptz` -> `timestamp`) only shows up in
the data checks when hypothesis happens to draw a value that does not fit, and then as the
database's own error, or not at all where SQLite stores what it is given. Reading the two
column types side by side says it before any row exists, one line per pair, in words a
person can act on. A spec accepts a pair on purpose with `accept_lossy={"old column":
"why"}`; the pass then lists it as a note, so the decision stays visible.

The schema read is the live one (just before `contract`), folded statically from the SQL in
the dialect the migrations are written in when the whole history up to there is SQL: that
is the database the application runs, and the verdict is the same on every backend. A
history with Python steps is read from the backend's own database instead.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..schema.model import Column, ColumnType, Schema, Table

# (old family, new family) pairs that keep every value (a wider or equal target is checked
# by the family's own rule below); anything else across families is named as lossy.
_SAFE_ACROSS = frozenset({
    ("integer", "numeric"), ("integer", "float"), ("date", "timestamp"),
    ("boolean", "integer"), ("enum", "string"), ("uuid", "string"), ("json", "json"),
    ("integer", "string"), ("numeric", "string"), ("date", "string"),
    ("timestamp", "string"), ("boolean", "string"), ("float", "string"),
})
_INT_RANGE = {2: "smallint (-32768..32767)", 4: "integer (-2147483648..2147483647)",
              8: "bigint (-2**63..2**63-1)"}
_IN_LIST = re.compile(r"^\s*(?P<col>\w+)\s+IN\s*\((?P<items>.*)\)\s*$", re.IGNORECASE | re.DOTALL)
# Text a value of each family needs at most when written into a string column.
_TEXT_WIDTH = {"uuid": 36, "boolean": 5, "date": 10}


@dataclass(frozen=True)
class LossyPair:
    """One column pair whose new type cannot hold every value of the old one."""

    old: str  # the old column's name
    old_where: str  # `table.column type`
    new_where: str
    reasons: tuple[str, ...]

    def line(self) -> str:
        return f"{self.old_where} -> {self.new_where}: {'; '.join(self.reasons)}"


def _where(table: Table, column: Column) -> str:
    return f"{table.name}.{column.name} {column.type.describe()}"


def _in_values(table: Table, column: str) -> tuple[str, ...] | None:
    """The values a `column IN (...)` CHECK allows, or None when there is none."""
    for check in table.checks:
        match = _IN_LIST.match(check.sqltext)
        if match and match["col"].lower() == column:
            return tuple(v.strip() for v in match["items"].split(","))
    return None


def _integer_reasons(old: ColumnType, new: ColumnType) -> list[str]:
    old_size, new_size = old.length or 4, new.length or 4
    if old_size > new_size:
        return [f"values outside {_INT_RANGE.get(new_size, 'its range')} cannot be kept"]
    return []


def _numeric_reasons(old: ColumnType, new: ColumnType) -> list[str]:
    if new.precision is None:
        return []
    if old.family == "integer":
        digits = {2: 5, 4: 10, 8: 19}.get(old.length or 4, 10)
        new_int = new.precision - (new.scale or 0)
        return [f"values of {new_int + 1} or more digits cannot be kept"] \
            if digits > new_int else []
    if old.precision is None:
        return [f"values with more than {new.scale or 0} decimal place(s) are rounded, "
                f"values of {new.precision - (new.scale or 0) + 1} or more integer digits "
                "cannot be kept"]
    out = []
    old_scale, new_scale = old.scale or 0, new.scale or 0
    if new.precision - new_scale < old.precision - old_scale:
        out.append(f"values of {new.precision - new_scale + 1} or more integer digits "
                   "cannot be kept")
    if new_scale < old_scale:
        out.append(f"values with more than {new_scale} decimal place(s) are rounded")
    return out


def _type_reasons(old: ColumnType, new: ColumnType) -> list[str]:
    """Why `new` cannot hold every value `old` can; empty when it can (or cannot tell)."""
    if "unknown" in (old.family, new.family):
        return []
    if new.family == "string":
        if new.length is None:
            return []
        width = old.length if old.family == "string" else _TEXT_WIDTH.get(old.family)
        if width is not None and width <= new.length:
            return []
        return [f"values over {new.length} characters cannot be kept"]
    if old.family != new.family:
        if new.family == "numeric" and old.family == "integer":
            return _numeric_reasons(old, new)
        if (old.family, new.family) in _SAFE_ACROSS:
            return []
        if new.family == "integer" and old.family in ("numeric", "float"):
            return ["fractions are rounded away"] + (
                [] if old.precision is not None else _integer_reasons(
                    ColumnType("integer", 8), new))
        return [f"{old.describe()} values need not convert to {new.describe()}"]
    family = old.family
    if family == "integer":
        return _integer_reasons(old, new)
    if family == "numeric":
        return _numeric_reasons(old, new)
    if family == "float" and (old.length or 8) > (new.length or 8):
        return ["digits beyond a real's 6 significant ones are rounded"]
    if family in ("timestamp", "time"):
        out = []
        if old.timezone and not new.timezone:
            out.append("values lose their time zone (stored as the session's local time)")
        if (new.precision if new.precision is not None else 6) < \
                (old.precision if old.precision is not None else 6):
            out.append(f"fractions of a second beyond {new.precision} digit(s) are rounded")
        return out
    if family == "enum":
        dropped = [v for v in old.values if v not in new.values]
        return [f"values {', '.join(repr(v) for v in dropped)} are not in the new enum"] \
            if dropped and new.values else []
    return []


def _null_reasons(old: Column, new: Column) -> list[str]:
    if old.nullable and not new.nullable and new.default is None and not new.autoincrement:
        return ["NULL values cannot be kept (NOT NULL without a default)"]
    return []


def _check_reasons(old_table: Table, old: Column, new_table: Table, new: Column) -> list[str]:
    allowed = _in_values(new_table, new.name)
    if allowed is None:
        return []
    before = _in_values(old_table, old.name)
    if before is None:
        if old.type.family == "enum" and old.type.values:
            before = tuple(f"'{v}'" for v in old.type.values)
        else:
            return [f"values other than {', '.join(allowed)} are refused by the new CHECK"]
    dropped = [v for v in before if v not in allowed]
    return [f"{', '.join(dropped)} no longer allowed by the CHECK"] if dropped else []


def lossy_pairs(old_table: Table, new_table: Table,
                pairs: Mapping[str, str]) -> list[LossyPair]:
    """Every old -> new column pair (old name -> new name) that cannot keep all values."""
    out = []
    for old_name, new_name in pairs.items():
        old, new = old_table.column(old_name), new_table.column(new_name)
        reasons = [*_type_reasons(old.type, new.type), *_null_reasons(old, new),
                   *_check_reasons(old_table, old, new_table, new)]
        if reasons:
            out.append(LossyPair(old.name, _where(old_table, old), _where(new_table, new),
                                 tuple(reasons)))
    return out


@dataclass(frozen=True)
class Verdict:
    """The pairs a spec does not accept (its failure) and the notes its pass carries."""

    lossy: tuple[LossyPair, ...]
    notes: tuple[str, ...]


def judge(spec: Any, schema: Schema) -> Verdict:
    """The spec's pairs against `schema` (old and new tables both at the live version)."""
    old_name, new_name = spec.old_table, spec.new_table
    if old_name is None or new_name is None or not schema.has_table(old_name) \
            or not schema.has_table(new_name):
        return Verdict((), ("not checked: old= and new= must both be tables",))
    pairs = {**spec.key_map, **spec.column_map}
    accepted = {k.lower(): v for k, v in (spec.accept_lossy or {}).items()}
    lossy: list[LossyPair] = []
    notes: list[str] = []
    found = lossy_pairs(schema.table(old_name), schema.table(new_name), pairs)
    for pair in found:
        if pair.old in accepted:
            notes.append(f"accepted: {pair.line()} ({accepted[pair.old]})")
        else:
            lossy.append(pair)
    for name in sorted(set(accepted) - {p.old for p in found}):
        notes.append(f"accept_lossy[{name!r}] is not needed: that pair keeps every value")
    return Verdict(tuple(lossy), tuple(notes))


_STATIC: weakref.WeakKeyDictionary[Any, dict[int, Schema | None]] = weakref.WeakKeyDictionary()


def static_schema(runner: Any, index: int) -> Schema | None:
    """The schema after the first `index` steps, folded from the SQL in the dialect it is
    written in; None when a step up to there is not SQL (a Python data step)."""
    from ..migrations.model import SqlSource
    from ..schema.from_sql import collector_paused, from_sql

    cache = _STATIC.setdefault(runner, {})
    if index not in cache:
        steps = runner.migrations[:index]
        if not all(isinstance(m.up, SqlSource) for m in steps):
            cache[index] = None
        else:
            with collector_paused():
                statements = [s for m in steps for s in runner.statements(m, "up")]
                cache[index] = from_sql(statements, runner.source)
    return cache[index]


def failure_text(lossy: tuple[LossyPair, ...]) -> str:
    """The failure: one line a pair, then how to accept one on purpose."""
    example = ", ".join(f"{p.old!r}: 'why'" for p in lossy)
    return "\n".join([*(p.line() for p in lossy),
                      f"(meant? DualWrite(..., accept_lossy={{{example}}}))"])
