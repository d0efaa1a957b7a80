"""Rows for one table or several: PRIMARY KEY, UNIQUE, CHECK ... IN and foreign keys."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import EllipsisType
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from ..errors import SpecError
from ..plain_map import plain_map
from ..schema.model import Column, ForeignKey, Schema, Table
from ..unsafe_values import guarded
from .constraints import Row, _in_values, _indexed, _references, _unique_by, _unique_sets
from .pools import KEEP, kept, may_repeat, reusing
from .registry import _check_backend, from_column, has_factory

Override = SearchStrategy[Any] | EllipsisType  # a strategy, or `...` for "infer"
DEFAULT_MAX_ROWS = 10


@dataclass
class _Plan:
    """How one table's rows are drawn: per-column strategies, FK bindings, unique keys."""

    table: Table
    backend: str
    columns: dict[str, SearchStrategy[Any]]
    fks: list[tuple[ForeignKey, tuple[str, ...]]] = field(default_factory=list)
    unique_sets: list[tuple[str, ...]] = field(default_factory=list)
    # Built once (issue 16): a strategy built afresh per draw is validated afresh per draw.
    _unique_by: tuple[Callable[[Row], Any], ...] | None = None

    def unique_by(self) -> tuple[Callable[[Row], Any], ...] | None:
        if self._unique_by is None:
            self._unique_by = tuple(_unique_by(self.table, s, self.backend)
                                    for s in self.unique_sets)
        return self._unique_by or None

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
                if has_factory(target.type.family):
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
    # Rows reuse earlier rows' values (see `pools`): FK pseudo-columns too, several
    # children under one parent. A foreign key that holds a whole unique key stays fresh:
    # repeating it could only give a duplicate, which the list would throw away.
    keys_by_column = [tuple(_indexed(c)[0] for c in s) for s in plan.unique_sets]
    columns = {**plan.columns, **outside}
    fresh_fks = {"\x00fk:" + ",".join(fk.columns) for fk, _ in plan.fks
                 if any(set(k) <= set(fk.columns) for k in keys_by_column)}
    shared = [c for c in may_repeat(columns, keys_by_column) if c not in fresh_fks]
    element = plain_map(reusing(columns, shared), lambda r: _spread_fks(r, order))
    # Self-FK columns are filled in after the list is drawn, from the rows before them;
    # a self-FK column that is also part of a unique key may then repeat a value.
    # Half the lists have two rows at least: a collision needs two rows, and hypothesis
    # alone leaves a third of lists empty. The shrinker still goes back to `min_size`.
    pair = max(min_size, 2 if max_size is None else min(2, max_size))
    low = draw(st.sampled_from((min_size, pair)), label="at least")
    drawn = kept(draw(st.lists(element, min_size=low, max_size=max_size,
                               unique_by=plan.unique_by())), min_size)
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
    return {c: out[c] for c in (*order, KEEP) if c in out}


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

    PRIMARY KEY, UNIQUE and unique-index columns are unique across the list; every other
    column takes an earlier row's value a third of the time (see `pools`), so rows
    collide on a group, a parent or a timestamp. Autoincrement
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
    return _draw_all(order, plans, min_size, max_size)


@st.composite  # at module level: see `tests/test_strategy_building.py`
def _draw_all(draw: st.DrawFn, order: Sequence[str], plans: Mapping[str, _Plan],
              min_size: int, max_size: int | None) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    for n in order:
        out[n] = draw(_draw_rows(plans[n], out, min_size, max_size))
    return out

