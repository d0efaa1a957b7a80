"""Hypothesis strategies for a table's rows, read from the one `Schema` value.

Why our own mapper rather than `hypothesis-sqlalchemy` or `st.from_type`: the schema
here is a `schema.model.Table` that may come from SQL files alone (no SQLAlchemy `Table`
exists), values must fit the backend that will store them (a Postgres `real`, a Decimal
that survives SQLite's REAL storage, text without NUL), strings must reach their VARCHAR
limit, and rows must respect PRIMARY KEY, UNIQUE, `CHECK (col IN (...))` and foreign keys
between the tables generated together. `from_type(str)` knows none of that, and
hypothesis-sqlalchemy generates ASCII text, small positive integers and unbounded
datetimes from SQLAlchemy objects, without foreign keys or checks.

The shape follows hypothesis' `extra.django`: a registry from type family to a factory
`(column, backend) -> strategy` with a validating `register_type_strategy`,
`from_column` for one column, and `rows(table, overrides=...)` where `...` means "infer".

Only `CHECK (col IN (...))` is read. Other checks (`price > 0`, `end_at > start_at`) are
not: generated rows may violate them, so pass an override for those columns;
`ignored_checks(table)` lists what was not read.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from types import EllipsisType
from typing import Any, Literal

import sqlalchemy as sa
import sqlglot
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy
from sqlalchemy.dialects import postgresql

from .errors import SpecError
from .plain_map import plain_map
from .schema.model import FAMILIES, Check, Column, ColumnType, ForeignKey, Schema, Table
from .unsafe_values import guarded

__all__ = [
    "BACKENDS",
    "Factory",
    "from_column",
    "ignored_checks",
    "register_type_strategy",
    "row",
    "rows",
    "rows_for_tables",
    "sqlalchemy_table",
    "sqlalchemy_type",
]

Backend = Literal["sqlite", "postgres"]
BACKENDS: tuple[str, ...] = ("sqlite", "postgres")
Factory = Callable[[Column, str], SearchStrategy[Any]]
Override = SearchStrategy[Any] | EllipsisType  # a strategy, or `...` for "infer"
Row = dict[str, Any]

DEFAULT_MAX_ROWS = 10
TEXT_MAX = 100  # unbounded TEXT: most strings stay short so examples stay fast ...
LONG_TEXT = 2000  # ... and some are long, built cheaply by repetition
SQLITE_DIGITS = 15  # SQLite keeps NUMERIC in a double: 15 significant digits survive
# Two days inside Python's 1..9999 so that any UTC offset or session time zone converting
# a value still lands in a year psycopg can load.
MIN_DATETIME = datetime(1, 1, 3)
MAX_DATETIME = datetime(9999, 12, 29, 23, 59, 59, 999999)
MAX_INTERVAL = timedelta(days=36500)  # SQLAlchemy stores Interval on SQLite as epoch + delta
_INT_BITS = {2: 16, 4: 32, 8: 64}


# --- values for one column ----------------------------------------------------------------

# No NUL (Postgres rejects it in text) and no surrogates (not encodable as UTF-8).
# Surrogates (Cs) are what UTF-8 cannot encode; excluding the category allows the same
# characters as codec="utf-8" without building its interval table (seconds on a fresh run).
_chars = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
_whitespace = st.text(alphabet=" \t\n\r\u00a0\u2003\u3000", min_size=1, max_size=6)
_mixed_case = st.text(alphabet=string.ascii_letters, min_size=1, max_size=12)


def _text(limit: int | None, short: int = TEXT_MAX) -> SearchStrategy[str]:
    """Text up to `limit` characters, '' and whitespace-only and mixed case included.

    Strings exactly at the limit are built by padding a short string with one repeated
    character, so VARCHAR(255) reaches 255 without drawing 255 characters one by one.
    """
    cap = LONG_TEXT if limit is None else limit
    if cap == 0:
        return st.just("")
    at_cap = plain_map(st.tuples(st.text(_chars, max_size=min(cap, 8)), _chars),
                       lambda t: (t[0] + t[1] * cap)[:cap])
    return st.one_of(
        st.text(_chars, max_size=min(cap, short)),
        plain_map(_whitespace, lambda s: s[:cap]),
        plain_map(_mixed_case, lambda s: s[:cap]),
        at_cap,
    )


def _integers(column: Column, backend: str) -> SearchStrategy[int]:
    size = column.type.length
    if size not in _INT_BITS:
        # Unknown size: SQLite stores 64 bits; on Postgres stay within int4, which fits any
        # integer column. A declared size is honoured on both, so data fits Postgres too.
        size = 8 if backend == "sqlite" else 4
    bits = _INT_BITS[size]
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def _decimals(column: Column, backend: str) -> SearchStrategy[Decimal]:
    precision = column.type.precision or 18
    scale = column.type.scale if column.type.scale is not None else (
        6 if column.type.precision is None else 0)
    if backend == "sqlite":
        precision = min(precision, SQLITE_DIGITS)
    scale = min(scale, precision)
    places = Decimal(1).scaleb(-scale)
    bound = Decimal(10) ** (precision - scale) - places
    return st.decimals(-bound, bound, places=scale, allow_nan=False, allow_infinity=False)


def _floats(column: Column, backend: str) -> SearchStrategy[float]:
    t = column.type
    single = (t.length == 4 or (t.variant or "").lower() in ("real", "float4")
              or (t.precision is not None and t.precision <= 24))
    return st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False,
                     width=32 if single else 64)


def _text_for(column: Column, backend: str) -> SearchStrategy[str]:
    return _text(column.type.length)


def _binary(column: Column, backend: str) -> SearchStrategy[bytes]:
    cap = column.type.length or LONG_TEXT
    at_cap = plain_map(st.binary(min_size=1, max_size=1), lambda b: b * cap)
    return st.binary(max_size=min(cap, 64)) | at_cap


def _offsets() -> SearchStrategy[timezone]:
    return plain_map(st.integers(-14 * 60, 14 * 60), lambda m: timezone(timedelta(minutes=m)))


def _round_micro(precision: int | None) -> Callable[[Any], Any]:
    """Drop sub-precision digits so TIMESTAMP(3) or TIME(0) stores the value unchanged."""
    if precision is None or precision >= 6:
        return lambda v: v
    step = 10 ** (6 - max(precision, 0))
    return lambda v: v.replace(microsecond=v.microsecond - v.microsecond % step)


def _timestamps(column: Column, backend: str) -> SearchStrategy[datetime]:
    zones = _offsets() if column.type.timezone else st.none()
    values = st.datetimes(MIN_DATETIME, MAX_DATETIME, timezones=zones)
    return plain_map(values, _round_micro(column.type.precision))


def _times(column: Column, backend: str) -> SearchStrategy[time]:
    # SQLite (through SQLAlchemy) keeps no offset for TIME: tz-aware only on Postgres.
    zones = _offsets() if column.type.timezone and backend == "postgres" else st.none()
    return plain_map(st.times(timezones=zones), _round_micro(column.type.precision))


def _json_values() -> SearchStrategy[Any]:
    text = st.text(_chars, max_size=20)
    scalars = (st.booleans() | st.integers(-(2**53), 2**53) | text
               | st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False))
    nested = st.recursive(
        st.none() | scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
        max_leaves=8,
    )
    # No top-level None: in a JSON column it would be ambiguous with SQL NULL.
    return scalars | st.lists(nested, max_size=4) | st.dictionaries(text, nested, max_size=4)


def _enum(column: Column, backend: str) -> SearchStrategy[str]:
    if not column.type.values:
        raise InvalidArgument(f"enum column {column.name!r} has no labels")
    return st.sampled_from(column.type.values)


# Element types of Postgres arrays, by the spelling a producer leaves in `variant`.
_ARRAY_ELEMENTS: dict[str, ColumnType] = {
    "smallint": ColumnType("integer", length=2), "int2": ColumnType("integer", length=2),
    "integer": ColumnType("integer", length=4), "int": ColumnType("integer", length=4),
    "int4": ColumnType("integer", length=4), "bigint": ColumnType("integer", length=8),
    "int8": ColumnType("integer", length=8), "text": ColumnType("string"),
    "varchar": ColumnType("string"), "character varying": ColumnType("string"),
    "boolean": ColumnType("boolean"), "bool": ColumnType("boolean"),
    "uuid": ColumnType("uuid"), "numeric": ColumnType("numeric"),
    "real": ColumnType("float", length=4), "double precision": ColumnType("float"),
    "float8": ColumnType("float"), "date": ColumnType("date"),
    "timestamp": ColumnType("timestamp"), "timestamptz": ColumnType("timestamp", timezone=True),
}


def _array(column: Column, backend: str) -> SearchStrategy[list[Any]]:
    element_text = re.sub(r"(\[\])+$|\(.*\)$", "", (column.type.variant or "").lower()).strip()
    element = _ARRAY_ELEMENTS.get(element_text)
    if backend != "postgres" or element is None:
        raise SpecError(f"no strategy for array of {column.type.variant!r} on {backend}")
    inner = _REGISTRY[element.family](Column(column.name, element, nullable=False), backend)
    return st.lists(inner, max_size=5)


_REGISTRY: dict[str, Factory] = {
    "integer": _integers,
    "numeric": _decimals,
    "float": _floats,
    "boolean": lambda c, b: st.booleans(),
    "string": _text_for,
    "binary": _binary,
    "date": lambda c, b: st.dates(MIN_DATETIME.date(), MAX_DATETIME.date()),
    "time": _times,
    "timestamp": _timestamps,
    "interval": lambda c, b: st.timedeltas(-MAX_INTERVAL, MAX_INTERVAL),
    "uuid": lambda c, b: st.uuids(),
    "json": lambda c, b: _json_values(),
    "enum": _enum,
    "array": _array,
}


def register_type_strategy(family: str,
                           factory: Factory | SearchStrategy[Any]) -> None:
    """Use `factory(column, backend)` (or a fixed strategy) for every column of `family`.

    For types the built-in mapper does not know (`unknown`: an untyped SQLite column) or
    values your application constrains further (e.g. only ASCII in every `string`).
    """
    if not isinstance(family, str) or family not in FAMILIES:
        raise InvalidArgument(f"family={family!r} must be one of {', '.join(FAMILIES)}")
    if isinstance(factory, SearchStrategy):
        strategy = factory
        _REGISTRY[family] = lambda column, backend: strategy
    elif callable(factory):
        _REGISTRY[family] = factory
    else:
        raise InvalidArgument(f"factory={factory!r} must be a SearchStrategy or a callable "
                              "(column, backend) -> SearchStrategy")


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise InvalidArgument(f"backend={backend!r} must be one of {', '.join(BACKENDS)}")


def _unresolvable(table_name: str | None, column: Column, why: str) -> SpecError:
    where = f"{table_name}.{column.name}" if table_name else column.name
    return SpecError(
        f"cannot generate values for {where} (type {column.type}): {why}; pass a strategy "
        f"for it: rows(table, overrides={{{column.name!r}: st.text()}}) or "
        f"DualWrite(strategies={{{column.name!r}: ...}}), or "
        f"register_type_strategy({column.type.family!r}, factory)")


def from_column(column: Column, *, backend: str = "sqlite",
                table_name: str | None = None) -> SearchStrategy[Any]:
    """Values `backend` stores unchanged in `column`; `None` too when it is nullable.

    `table_name` only names the column in the error raised for a type without a strategy.
    """
    _check_backend(backend)
    factory = _REGISTRY.get(column.type.family)
    if factory is None:
        raise _unresolvable(table_name, column, f"no strategy for type family "
                                                f"{column.type.family!r}")
    try:
        strategy = factory(column, backend)
    except (SpecError, InvalidArgument) as exc:
        raise _unresolvable(table_name, column, str(exc)) from None
    if not isinstance(strategy, SearchStrategy):
        raise InvalidArgument(f"the strategy factory for {column.type.family!r} returned "
                              f"{strategy!r}, not a SearchStrategy")
    return st.none() | strategy if column.nullable else strategy


# --- what a table's constraints say --------------------------------------------------------

def _in_values(check: Check) -> tuple[str, list[Any]] | None:
    """`col IN ('a', 'b')` -> ("col", ["a", "b"]); anything else -> None."""
    try:
        node = sqlglot.parse_one(check.sqltext)
    except sqlglot.errors.SqlglotError:
        return None
    while isinstance(node, sqlglot.exp.Paren):
        node = node.this
    if not isinstance(node, sqlglot.exp.In) or not isinstance(node.this, sqlglot.exp.Column):
        return None
    values: list[Any] = []
    for item in node.expressions:
        if not isinstance(item, sqlglot.exp.Literal):
            return None
        text = str(item.this)
        values.append(text if item.is_string else
                      int(text) if re.fullmatch(r"-?\d+", text) else Decimal(text))
    return node.this.name.lower(), values


def ignored_checks(table: Table) -> list[Check]:
    """The CHECK constraints generated rows do not respect: cover them with overrides."""
    return [c for c in sorted(table.checks) if _in_values(c) is None]


_CASE_FOLDED = re.compile(r"^\s*(lower|upper)\s*\(\s*\"?(\w+)\"?\s*\)\s*$", re.IGNORECASE)


def _unique_sets(table: Table) -> list[tuple[str, ...]]:
    """PRIMARY KEY, UNIQUE and unique-index column sets; partial indexes count as whole
    (stricter than the database, never looser). `lower(email)` is kept as written."""
    sets = [table.primary_key] if table.primary_key else []
    sets += [u.columns for u in sorted(table.uniques)]
    sets += [i.columns for i in sorted(table.indexes) if i.unique]
    return [s for i, s in enumerate(sets) if s and s not in sets[:i]]


def _key_value(value: Any, backend: str, folded: bool, padded: bool) -> Any:
    """A value as the database's equality sees it, for `unique_by`."""
    if padded and isinstance(value, str):
        value = value.rstrip(" ")  # CHAR(n): 'a' and 'a ' are one value
    if folded and isinstance(value, str):
        return value.lower()
    if backend == "sqlite" and isinstance(value, (datetime, time)) and value.tzinfo:
        return value.replace(tzinfo=None)  # SQLite keeps the wall time, not the offset
    return value


def _indexed(entry: str) -> tuple[str, bool]:
    """An index entry as (column, compared case-folded): `lower(email)` -> ("email", True)."""
    m = _CASE_FOLDED.match(entry)
    return (m.group(2).lower(), True) if m else (entry, False)


def _unique_by(table: Table, columns: tuple[str, ...],
               backend: str) -> Callable[[Row], tuple[Any, ...]]:
    parts = [(c, folded, table.column(c).type.variant == "char")
             for c, folded in map(_indexed, columns)]
    return lambda r: tuple(_key_value(r.get(c), backend, f, p) for c, f, p in parts)


def _references(fk: ForeignKey, schema: Schema | None, table: Table) -> tuple[str, ...]:
    """The referenced columns; `REFERENCES parent` alone means parent's primary key."""
    if fk.ref_columns:
        return fk.ref_columns
    if fk.ref_table == table.name:
        return table.primary_key
    if schema is not None and schema.has_table(fk.ref_table):
        return schema.table(fk.ref_table).primary_key
    return ()


@dataclass
class _Plan:
    """How one table's rows are drawn: per-column strategies, FK bindings, unique keys."""

    table: Table
    backend: str
    columns: dict[str, SearchStrategy[Any]]
    fks: list[tuple[ForeignKey, tuple[str, ...]]] = field(default_factory=list)
    unique_sets: list[tuple[str, ...]] = field(default_factory=list)

    def unique_by(self) -> tuple[Callable[[Row], Any], ...] | None:
        fns = tuple(_unique_by(self.table, s, self.backend) for s in self.unique_sets)
        return fns or None

    def fk_nullable(self, fk: ForeignKey) -> bool:
        return all(self.table.column(c).nullable for c in fk.columns)


def _plan(table: Table, *, schema: Schema | None, backend: str,
          overrides: Mapping[str, Override] | None, omit_defaults: bool,
          linked: Iterable[str] = (), include: Iterable[str] = ()) -> _Plan:
    """Resolve every column now, so a type without a strategy fails before any example.

    `linked` tables are generated together with this one: FKs to them are bound to their
    generated keys instead of drawn by type. `include` forces columns others reference.
    """
    _check_backend(backend)
    overrides = dict(overrides or {})
    for name, value in overrides.items():
        if name.lower() not in table.column_names:
            raise SpecError(f"override {name!r} is not a column of {table.name!r} "
                            f"(columns: {', '.join(table.column_names)})")
        if value is not ... and not isinstance(value, SearchStrategy):
            raise InvalidArgument(f"override {table.name}.{name}={value!r} must be a "
                                  "SearchStrategy or ... (infer)")
    overrides = {k.lower(): v for k, v in overrides.items()}
    forced = {c.lower() for c in include}
    linked = {t.lower() for t in linked}

    in_checks: dict[str, list[Any]] = {}
    for check in table.checks:
        found = _in_values(check)
        if found and found[0] in table.column_names:
            in_checks[found[0]] = found[1]

    plan = _Plan(table, backend, {})
    bound: set[str] = set()
    for fk in sorted(table.foreign_keys):
        refs = _references(fk, schema, table)
        if fk.ref_table in linked and len(refs) == len(fk.columns) \
                and not any(c in overrides and overrides[c] is not ... for c in fk.columns):
            plan.fks.append((fk, refs))
            bound.update(fk.columns)

    for col in table.columns:
        if col.name in bound:
            continue
        given = overrides.get(col.name)
        if given is not None and given is not ...:
            plan.columns[col.name] = guarded(given, table.name, col.name, backend)
            continue
        generated_by_db = col.autoincrement or (omit_defaults and col.default is not None)
        if generated_by_db and given is None and col.name not in forced:
            continue  # the database fills it
        if col.name in table.primary_key and col.nullable:
            col = Column(col.name, col.type, False, col.default, col.autoincrement)
        if col.name in in_checks:
            values = st.sampled_from(in_checks[col.name])
            plan.columns[col.name] = st.none() | values if col.nullable else values
        else:
            plan.columns[col.name] = _infer(table, col, schema, backend)

    generated = set(plan.columns) | bound
    for cols in _unique_sets(table):  # a key the database fills needs no care from us
        if all(_indexed(c)[0] in generated for c in cols):
            plan.unique_sets.append(cols)
    return plan


def _infer(table: Table, col: Column, schema: Schema | None,
           backend: str) -> SearchStrategy[Any]:
    try:
        return from_column(col, backend=backend, table_name=table.name)
    except SpecError:
        # An untyped FK column (SQLite) takes its values from the column it references.
        for fk in table.foreign_keys:
            if col.name in fk.columns and schema is not None and schema.has_table(fk.ref_table):
                refs = _references(fk, schema, table)
                target = schema.table(fk.ref_table).column(refs[fk.columns.index(col.name)])
                if target.type.family in _REGISTRY:
                    typed = Column(col.name, target.type, col.nullable)
                    return from_column(typed, backend=backend, table_name=table.name)
        raise


# --- rows --------------------------------------------------------------------------------

def _key_of(r: Row, cols: Sequence[str]) -> tuple[Any, ...] | None:
    key = tuple(r.get(c) for c in cols)
    return None if any(v is None for v in key) else key


@st.composite
def _draw_rows(draw: st.DrawFn, plan: _Plan, parents: Mapping[str, list[Row]],
               min_size: int, max_size: int | None) -> list[Row]:
    """Rows whose FK columns name rows drawn before them (parents, or earlier rows here)."""
    outside: dict[str, SearchStrategy[Any]] = {}
    self_fks = []
    for fk, refs in plan.fks:
        if fk.ref_table == plan.table.name:  # drawn below, once the list exists
            self_fks.append((fk, refs))
            outside["\x00fk:" + ",".join(fk.columns)] = st.none()
            continue
        keys = [k for k in (_key_of(r, refs) for r in parents.get(fk.ref_table, [])) if k]
        if not keys and not plan.fk_nullable(fk):
            return []  # no parent to name: no row can exist
        choice: SearchStrategy[Any] = st.sampled_from(keys) if keys else st.none()
        if keys and plan.fk_nullable(fk):
            choice = st.none() | choice
        outside["\x00fk:" + ",".join(fk.columns)] = choice
    order = plan.table.column_names
    element = plain_map(st.fixed_dictionaries({**plan.columns, **outside}),
                        lambda r: _spread_fks(r, order))
    # Self-FK columns are filled in after the list is drawn, from the rows before them;
    # a self-FK column that is also part of a unique key may then repeat a value.
    drawn = draw(st.lists(element, min_size=min_size, max_size=max_size,
                          unique_by=plan.unique_by()))
    for i, r in enumerate(drawn):
        for fk, refs in self_fks:
            nullable = plan.fk_nullable(fk)
            earlier = drawn[: i if nullable else i + 1]  # a row may name itself
            keys = [k for k in (_key_of(e, refs) for e in earlier) if k]
            choice = st.sampled_from(keys) if keys else st.nothing()
            value = draw(st.none() | choice if nullable else choice)
            r.update(zip(fk.columns, value or (None,) * len(fk.columns), strict=True))
    return drawn


def _spread_fks(r: Row, order: Sequence[str]) -> Row:
    """Unpack `"\\x00fk:a,b": (1, 2)` into `a=1, b=2` (None into all-NULL), in table order."""
    out: Row = {}
    for name, value in r.items():
        if name.startswith("\x00fk:"):
            cols = name[4:].split(",")
            out.update(zip(cols, value or (None,) * len(cols), strict=True))
        else:
            out[name] = value
    return {c: out[c] for c in order if c in out}


def _resolve_table(table: Table | str, schema: Schema | None) -> Table:
    if isinstance(table, Table):
        return table
    if schema is None or not schema.has_table(table):
        known = ", ".join(schema.table_names) if schema else "no schema given"
        raise SpecError(f"no table {table!r} to generate rows for (tables: {known})")
    return schema.table(table)


def row(table: Table | str, *, schema: Schema | None = None, backend: str = "sqlite",
        overrides: Mapping[str, Override] | None = None,
        omit_defaults: bool = False) -> SearchStrategy[Row]:
    """One row dict for `table`, e.g. for a generated write; see `rows` for the rules."""
    t = _resolve_table(table, schema)
    plan = _plan(t, schema=schema, backend=backend, overrides=overrides,
                 omit_defaults=omit_defaults)
    return st.fixed_dictionaries(plan.columns)


def rows(table: Table | str, *, schema: Schema | None = None, backend: str = "sqlite",
         overrides: Mapping[str, Override] | None = None, min_size: int = 0,
         max_size: int | None = DEFAULT_MAX_ROWS,
         omit_defaults: bool = False) -> SearchStrategy[list[Row]]:
    """Lists of row dicts for `table`, insertable in list order on `backend`.

    PRIMARY KEY, UNIQUE and unique-index columns are unique across the list. Autoincrement
    columns are left out for the database to fill (explicit ids would leave a Postgres
    sequence behind the table); `overrides={"id": ...}` generates them. Columns with a
    server default are generated (more values than the default ever gives) unless
    `omit_defaults`. A self-referencing FK names an earlier row; FKs to other tables are
    drawn by type: use `rows_for_tables` for rows that satisfy them.
    """
    t = _resolve_table(table, schema)
    self_refs = [c for fk in t.foreign_keys if fk.ref_table == t.name
                 for c in _references(fk, schema, t)]
    plan = _plan(t, schema=schema, backend=backend, overrides=overrides,
                 omit_defaults=omit_defaults, linked=[t.name], include=self_refs)
    if not plan.fks:
        return st.lists(st.fixed_dictionaries(plan.columns), min_size=min_size,
                        max_size=max_size, unique_by=plan.unique_by())
    return _draw_rows(plan, {}, min_size, max_size)


def _fk_order(schema: Schema, names: list[str]) -> list[str]:
    """Targets before the tables referencing them; a cycle (beyond self-references) fails."""
    deps = {n: {fk.ref_table for fk in schema.table(n).foreign_keys
                if fk.ref_table in names and fk.ref_table != n} for n in names}
    order: list[str] = []
    while deps:
        ready = sorted(n for n, d in deps.items() if not d - set(order))
        if not ready:
            raise SpecError(f"foreign keys form a cycle between {', '.join(sorted(deps))}: "
                            "generate those tables separately and override the FK columns")
        order += ready
        for n in ready:
            del deps[n]
    return order


def rows_for_tables(schema: Schema, table_names: Iterable[str], *, backend: str = "sqlite",
                    overrides: Mapping[str, Mapping[str, Override]] | None = None,
                    min_size: int = 0, max_size: int | None = DEFAULT_MAX_ROWS,
                    omit_defaults: bool = False) -> SearchStrategy[dict[str, list[Row]]]:
    """Rows for several tables at once: `{table: [row, ...]}` in an order to insert them.

    Tables referenced by others come first, and each FK between tables of the set takes
    the key of a generated target row (None too where the FK columns are nullable), so
    inserting the dict in iteration order satisfies every such FK. Columns that others
    reference are generated even when autoincrement. A table whose NOT NULL FK finds no
    target row gets no rows (whatever `min_size`). `overrides` is per table.
    """
    names = []
    for name in table_names:
        t = _resolve_table(name, schema)
        if t.name not in names:
            names.append(t.name)
    overrides = {k.lower(): v for k, v in (overrides or {}).items()}
    for name in overrides:
        if name not in names:
            raise SpecError(f"overrides for {name!r}, which is not among the tables "
                            f"generated ({', '.join(names)})")
    referenced: dict[str, set[str]] = {n: set() for n in names}
    for n in names:
        for fk in schema.table(n).foreign_keys:
            if fk.ref_table in referenced:
                referenced[fk.ref_table].update(_references(fk, schema, schema.table(n)))
    order = _fk_order(schema, names)
    plans = {n: _plan(schema.table(n), schema=schema, backend=backend,
                      overrides=overrides.get(n), omit_defaults=omit_defaults,
                      linked=names, include=referenced[n]) for n in order}

    @st.composite
    def draw_all(draw: st.DrawFn) -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = {}
        for n in order:
            out[n] = draw(_draw_rows(plans[n], out, min_size, max_size))
        return out

    return draw_all()


# --- binding generated values -------------------------------------------------------------

def sqlalchemy_type(column_type: ColumnType) -> sa.types.TypeEngine[Any]:
    """The SQLAlchemy type that binds a generated value of `column_type` the way SQLAlchemy
    stores it (a datetime as 'YYYY-MM-DD HH:MM:SS.ffffff' text on SQLite, a UUID as hex)."""
    t = column_type
    simple: dict[str, sa.types.TypeEngine[Any]] = {
        "integer": sa.BigInteger() if t.length == 8 else sa.Integer(),
        "numeric": sa.Numeric(t.precision, t.scale),
        "float": sa.Float(),
        "boolean": sa.Boolean(),
        "string": sa.String(t.length),
        "binary": sa.LargeBinary(t.length),
        "date": sa.Date(),
        "time": sa.Time(timezone=bool(t.timezone)),
        "timestamp": sa.DateTime(timezone=bool(t.timezone)),
        "interval": sa.Interval(),
        "uuid": sa.Uuid(),
        "json": sa.JSON(),
        "enum": sa.String(),
    }
    if t.family == "enum" and t.variant:
        # A named (Postgres) enum: bind with a cast to the type, as varchar is refused;
        # on SQLite the same type is plain text.
        return postgresql.ENUM(*t.values, name=t.variant, create_type=False).with_variant(
            sa.String(), "sqlite")
    return simple.get(t.family, sa.types.NullType())


def sqlalchemy_table(table: Table, metadata: sa.MetaData | None = None,
                     schema_name: str | None = None) -> sa.Table:
    """A Core `Table` to insert generated rows through: names and bind types only (no
    constraints), so it can be built from any producer's `Table`, even the SQL fold's."""
    return sa.Table(table.name, metadata or sa.MetaData(),
                    *(sa.Column(c.name, sqlalchemy_type(c.type)) for c in table.columns),
                    schema=schema_name)
