"""One comparer for every pair of producers: migrations, models, Postgres, SQLite.

It compares what both sides can tell and nothing else. Each `Schema` says what its
producer can see (`exact_types`, `has_checks`, `has_fk_actions`, `has_enums`); a property
one side cannot see is skipped, and `skipped()` says so in words, so a clean report never
hides a blind spot. Decisions that keep the report free of false alarms:

- names of indexes and constraints are never compared: only columns, uniqueness, WHERE;
- a UNIQUE constraint and a unique index on the same plain columns, without WHERE, are
  the same rule: both refuse the same rows and Postgres builds the constraint as exactly
  such an index. They are compared as "unique (columns)", column order aside; partial or
  expression unique indexes stay indexes;
- column order and index method (btree, gin) are not compared; an entry's DESC is (`ts DESC`
  against `ts` is a difference);
- a generic JSON type (`sa.JSON`) matches json and jsonb; a type a producer could not
  name (`unknown` without a name) matches anything;
- autoincrement (SERIAL, IDENTITY, a SQLite rowid, SQLAlchemy's autoincrement) is a
  default: it is compared as the default "autoincrement"; `'0'` and `0` are one default;
- primary key columns are NOT NULL in every producer (SQLite's legacy nullable keys are
  not what anyone means);
- enum labels are compared once, on the enum type, where both sides have enum types;
  enum types that no table uses are not compared (models cannot declare them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from .fragments import NUMBER, columns_of_sql
from .model import Column, ColumnType, ForeignKey, Index, Schema, Table

KINDS = ("table", "column", "type", "nullable", "default", "primary_key", "foreign_key",
         "unique", "index", "check", "enum")
ABSENT = "absent"
PRESENT = "present"
# Storage classes, for sides whose types are declared text with affinity (SQLite).
_STORAGE = {"integer": "integer", "numeric": "number", "float": "number",
            "boolean": "boolean", "binary": "binary"}


@dataclass(frozen=True)
class Difference:
    """One thing that differs; `expected`/`actual` are what each side has, in SQL words."""

    table: str
    object_kind: str
    object_name: str
    expected: str
    actual: str
    note: str = ""
    # Columns the difference is about: `ignore=["table.column"]` matches on these.
    columns: tuple[str, ...] = field(default=(), compare=False)

    @property
    def object(self) -> str:
        return f"{self.object_kind.replace('_', ' ')} {self.object_name}".strip()


@dataclass(frozen=True)
class _Caps:
    exact_types: bool
    checks: bool
    fk_actions: bool
    enums: bool
    loose_note: str


def _caps(expected: Schema, actual: Schema) -> _Caps:
    loose = [s.source or "one side" for s in (expected, actual) if not s.exact_types]
    return _Caps(
        exact_types=not loose,
        checks=expected.has_checks and actual.has_checks,
        fk_actions=expected.has_fk_actions and actual.has_fk_actions,
        enums=expected.has_enums and actual.has_enums,
        loose_note=f"compared by storage class: {' and '.join(loose)} keeps declared type text"
        if loose else "",
    )


def diff(expected: Schema, actual: Schema, *, ignore: Iterable[str] = ()) -> list[Difference]:
    """Every difference between two schemas, tables in name order, minus `ignore`.

    `ignore` patterns (fnmatch, case-insensitive): `table`, `table.column` (any difference
    about that column, constraints and indexes using it included), `kind:index`.
    """
    caps = _caps(expected, actual)
    found: list[Difference] = []
    left = {t.name: t for t in expected.tables}
    right = {t.name: t for t in actual.tables}
    for name in sorted(left.keys() | right.keys()):
        e, a = left.get(name), right.get(name)
        if e is None or a is None:
            found.append(Difference(name, "table", name, PRESENT if e else ABSENT,
                                    PRESENT if a else ABSENT))
        else:
            found.extend(_table(e, a, caps))
    if caps.enums:
        theirs = dict(actual.enums)
        for name, labels in expected.enums:
            if name in theirs and theirs[name] != labels:
                found.append(Difference("", "enum", name, _labels(labels), _labels(theirs[name])))
    patterns = list(ignore)
    return [d for d in found if not is_ignored(d, patterns)]


def skipped(expected: Schema, actual: Schema) -> list[str]:
    """What could not be compared, and why, in one line each."""
    out = []
    for side in (expected, actual):
        label = side.source or "one side"
        if not side.exact_types:
            out.append(f"types compared by storage class only: {label} keeps declared type "
                       "text, not exact types (lengths compared where both state one)")
        if not side.has_checks:
            out.append(f"check constraints not compared: {label} could not read them")
        if not side.has_fk_actions:
            out.append(f"ON DELETE / ON UPDATE not compared: {label} could not read them")
        if not side.has_enums:
            out.append(f"enum types not compared: {label} has none (enum columns compared "
                       "as text)")
    return out


def notes_for(expected: Schema, actual: Schema) -> list[str]:
    """Blind spots of the comparison, then what each producer could not read."""
    notes = skipped(expected, actual)
    for side in (expected, actual):
        notes += [f"{side.source}: {n}" if side.source else n for n in side.notes]
    return notes


def is_ignored(d: Difference, patterns: Iterable[str]) -> bool:
    """Whether an `ignore` pattern (`table`, `table.column`, `kind:index`) covers `d`."""
    return any(_matches(p.strip().lower(), d) for p in patterns if p.strip())


def _matches(pattern: str, d: Difference) -> bool:
    if pattern.startswith("kind:"):
        return fnmatchcase(d.object_kind, pattern[5:])
    if "." in pattern:
        table, column = pattern.rsplit(".", 1)
        return fnmatchcase(d.table, table) and any(fnmatchcase(c, column) for c in d.columns)
    return fnmatchcase(d.table, pattern) or (d.object_kind == "enum"
                                             and fnmatchcase(d.object_name, pattern))


# --- one table ------------------------------------------------------------------------------

def _table(e: Table, a: Table, caps: _Caps) -> list[Difference]:
    name = e.name
    out: list[Difference] = []
    theirs = {c.name: c for c in a.columns}
    ours = {c.name: c for c in e.columns}
    for col in [*e.columns, *(c for c in a.columns if c.name not in ours)]:
        ec, ac = ours.get(col.name), theirs.get(col.name)
        cols = (col.name,)
        if ec is None or ac is None:
            out.append(Difference(name, "column", col.name, _column(ec), _column(ac), columns=cols))
            continue
        if not _same_type(ec.type, ac.type, caps):
            out.append(Difference(name, "type", col.name, ec.type.describe(), ac.type.describe(),
                                  note=caps.loose_note, columns=cols))
        if ec.nullable != ac.nullable:
            out.append(Difference(name, "nullable", col.name, _null(ec), _null(ac), columns=cols))
        if _unquoted(_default(ec)) != _unquoted(_default(ac)) and not _bigserial_rowid(
                e, a, ec, ac, caps):
            out.append(Difference(name, "default", col.name, _default(ec), _default(ac),
                                  columns=cols))
    if e.primary_key != a.primary_key:
        out.append(Difference(name, "primary_key", "", _cols(e.primary_key) or "none",
                              _cols(a.primary_key) or "none",
                              columns=tuple(dict.fromkeys(e.primary_key + a.primary_key))))
    out += _foreign_keys(e, a, caps)
    out += _uniques(e, a)
    out += _indexes(e, a)
    if caps.checks:
        out += _checks(e, a)
    return out


def _bigserial_rowid(e: Table, a: Table, ec: Column, ac: Column, caps: _Caps) -> bool:
    """A BigInteger key model against the migrations' BIGSERIAL on SQLite: the transpiler
    made the key the rowid (numbered), while the model, read for SQLite, says create_all
    would not number a BIGINT key. Both mean "the database numbers it" (#18)."""
    return (not caps.exact_types and e.primary_key == a.primary_key == (ec.name,)
            and ec.type.family == ac.type.family == "integer" and ec.type.length == 8
            and _default(ec) == "none" and _default(ac) == "autoincrement")


def _same_type(e: ColumnType, a: ColumnType, caps: _Caps) -> bool:
    if (e.family == "unknown" and not e.variant) or (a.family == "unknown" and not a.variant):
        return True  # the producer could not tell
    if not caps.exact_types:
        if _STORAGE.get(e.family, "text") != _STORAGE.get(a.family, "text"):
            return False
        both_strings = e.family == a.family == "string" and e.length and a.length
        return not both_strings or e.length == a.length
    if e.family != a.family:
        return False
    if e.family == "json":
        return e.variant is None or a.variant is None or e.variant == a.variant
    if e.family == "enum":
        if caps.enums and e.variant and a.variant:
            return e.variant == a.variant  # labels are compared on the enum type
        return e.values == a.values and (not e.variant or not a.variant or e.variant == a.variant)
    return e == a


def _foreign_keys(e: Table, a: Table, caps: _Caps) -> list[Difference]:
    def key(fk: ForeignKey) -> tuple:
        return fk.columns, fk.ref_table, fk.ref_columns

    ours, theirs = {key(f): f for f in e.foreign_keys}, {key(f): f for f in a.foreign_keys}
    out = []
    for k in sorted(ours.keys() | theirs.keys()):
        ef, af = ours.get(k), theirs.get(k)
        label = f"{_cols(k[0])} -> {k[1]}{_cols(k[2])}"
        if ef is None or af is None:
            out.append(Difference(e.name, "foreign_key", label, _actions(ef, caps),
                                  _actions(af, caps), columns=k[0]))
        elif caps.fk_actions and (ef.on_delete, ef.on_update) != (af.on_delete, af.on_update):
            out.append(Difference(e.name, "foreign_key", label, _actions(ef, caps),
                                  _actions(af, caps), columns=k[0]))
    return out


def _plain_unique(index: Index, table: Table) -> bool:
    return index.unique and index.where is None and all(
        c in table.column_names for c in index.columns)


def _uniques(e: Table, a: Table) -> list[Difference]:
    def rules(t: Table) -> dict[frozenset[str], tuple[str, ...]]:
        out = {frozenset(i.columns): i.columns for i in t.indexes if _plain_unique(i, t)}
        out.update({frozenset(u.columns): u.columns for u in t.uniques})
        return out

    ours, theirs = rules(e), rules(a)
    return [Difference(e.name, "unique", _cols(ours.get(k) or theirs[k]),
                       PRESENT if k in ours else ABSENT, PRESENT if k in theirs else ABSENT,
                       columns=ours.get(k) or theirs[k])
            for k in sorted(ours.keys() ^ theirs.keys(), key=sorted)]


def _indexes(e: Table, a: Table) -> list[Difference]:
    ours = {(i.columns, i.unique, i.where) for i in e.indexes if not _plain_unique(i, e)}
    theirs = {(i.columns, i.unique, i.where) for i in a.indexes if not _plain_unique(i, a)}
    left, right = sorted(ours - theirs, key=str), sorted(theirs - ours, key=str)
    out = []
    for item in left:
        twin = next((r for r in right if r[0] == item[0]), None)
        if twin is not None:
            right.remove(twin)
        out.append(Difference(e.name, "index", _cols(item[0]), _index(item),
                              _index(twin) if twin else ABSENT, columns=item[0]))
    out += [Difference(e.name, "index", _cols(r[0]), ABSENT, _index(r), columns=r[0])
            for r in right]
    return out


def _checks(e: Table, a: Table) -> list[Difference]:
    ours, theirs = {c.sqltext for c in e.checks}, {c.sqltext for c in a.checks}
    left, right = sorted(ours - theirs), sorted(theirs - ours)
    out = []
    for text in left:
        used = columns_of_sql(text)
        twin = next((r for r in right if columns_of_sql(r) == used), None)
        if twin is not None:
            right.remove(twin)
        out.append(Difference(e.name, "check", _cols(sorted(used)), text, twin or ABSENT,
                              columns=tuple(sorted(used))))
    for text in right:
        names = tuple(sorted(columns_of_sql(text)))
        out.append(Difference(e.name, "check", _cols(names), ABSENT, text, columns=names))
    return out


# --- words ----------------------------------------------------------------------------------

def _cols(columns: Iterable[str]) -> str:
    columns = tuple(columns)
    return f"({', '.join(columns)})" if columns else ""


def _labels(labels: Iterable[str]) -> str:
    return "(" + ", ".join(repr(v) for v in labels) + ")"


def _null(c: Column) -> str:
    return "NULL" if c.nullable else "NOT NULL"


def _default(c: Column) -> str:
    return "autoincrement" if c.autoincrement else c.default or "none"


def _unquoted(default: str) -> str:
    """`'0'` and `0` are one default: a type difference is reported once, as a type."""
    inner = default[1:-1] if len(default) > 1 and default[0] == default[-1] == "'" else default
    return inner if NUMBER.fullmatch(inner) else default


def _column(c: Column | None) -> str:
    if c is None:
        return ABSENT
    text = f"{c.type.describe()} {_null(c)}"
    if c.autoincrement:
        return f"{text} autoincrement"
    return text + (f" DEFAULT {c.default}" if c.default else "")


def _actions(fk: ForeignKey | None, caps: _Caps) -> str:
    if fk is None:
        return ABSENT
    if not caps.fk_actions:
        return PRESENT
    text = f"ON DELETE {fk.on_delete}"
    return text + (f" ON UPDATE {fk.on_update}" if fk.on_update != "NO ACTION" else "")


def _index(item: tuple) -> str:
    _columns, unique, where = item
    return ("unique index" if unique else "index") + (f" WHERE {where}" if where else "")
