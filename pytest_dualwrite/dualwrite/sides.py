"""The two sides of a spec as projections the in-database comparer reads.

Both sides are renamed to the *old* names (key columns and mapped columns as `old` calls
them), so a difference reads in the terms the user wrote the spec in. `old` and `new` may
be a table, a SELECT (whose output columns carry that side's names), or for `new` a
callable returning mappings (a store outside SQL).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from ..schema.model import Schema
from .compare import Comparison, Projection, compare, compare_rows, create_temp_as, describe
from .spec import DualWrite
from .story import differences_of


def _from_select(sql: str, pairs: list[tuple[str, str]], label: str) -> Projection:
    """`SELECT side_name AS old_name ... FROM (user's SELECT)`, quoted by SQLAlchemy."""
    text = sa.text(sql.strip().rstrip(";").replace(":", "\\:"))
    source = text.columns(*(sa.column(col) for _, col in pairs)).subquery("dw_src")
    return Projection(sa.select(*(source.c[col].label(name) for name, col in pairs)), label)


def _from_table(table: str, pairs: list[tuple[str, str]], label: str,
                schema: Schema | None) -> Projection:
    types = {}
    spelled = {col: col for _, col in pairs}
    if schema is not None and schema.has_table(table):
        # In SQL as the database spells them: a quoted "New Items" keeps its case.
        t = schema.table(table)
        table = t.sql_name
        types = {name: t.column(col).type for name, col in pairs
                 if col.lower() in t.column_names}
        spelled = {col: t.column(col).sql_name if col.lower() in t.column_names else col
                   for _, col in pairs}
    source = sa.table(table, *(sa.column(s) for s in dict.fromkeys(spelled.values())))
    return Projection(sa.select(*(source.c[spelled[col]].label(name) for name, col in pairs)),
                      label, types)


class Sides:
    def __init__(self, spec: DualWrite) -> None:
        self.spec = spec
        self._projections: dict[tuple[str, int], Projection] = {}
        self._plans: dict[Any, Any] = {}
        self._kept: dict[tuple[str, int], tuple[str, Any, Projection]] = {}
        self.names = spec.fields  # compared names: old key columns, then mapped columns
        self.old_pairs = [(n, n) for n in self.names]
        self.new_pairs = [*spec.key_map.items(), *spec.column_map.items()]

    def old(self, schema: Schema | None = None) -> Projection:
        spec = self.spec
        if spec.old_table is not None:
            return _from_table(spec.old_table, self.old_pairs, spec.old_table, schema)
        return _from_select(str(spec.old), self.old_pairs, "old")

    def new(self, schema: Schema | None = None) -> Projection:
        spec = self.spec
        if spec.new_table is not None:
            return _from_table(spec.new_table, self.new_pairs, spec.new_table, schema)
        return _from_select(str(spec.new), self.new_pairs, "new")

    def new_rows(self, conn: sa.Connection) -> list[dict[str, Any]]:
        """A callable `new`'s rows, renamed to the old names."""
        rows = self.spec.new(conn)
        return [{name: _get(row, col) for name, col in self.new_pairs} for row in rows]

    def _cached(self, side: str, schema: Schema | None) -> Projection:
        """One Projection object per side and schema, so the comparison query built for
        the pair is found again (compare's `plans` cache is keyed by their ids)."""
        key = (side, id(schema))
        if key not in self._projections:
            self._projections[key] = self.old(schema) if side == "old" else self.new(schema)
        return self._projections[key]

    def projection(self, side: str, schema: Schema | None) -> Projection:
        """A side's projection (the same object for the same schema: see `_cached`)."""
        return self._cached(side, schema)

    def compare(self, conn: sa.Connection, old_schema: Schema | None,
                new_schema: Schema | None) -> Comparison:
        old = self._cached("old", old_schema)
        if self.spec.new_is_callable:
            return compare_rows(conn, old, self.new_rows(conn), self.spec.old_keys, self.names,
                                label=self.spec.new_label)
        return compare(conn, old, self._cached("new", new_schema), self.spec.old_keys,
                       self.names, plans=self._plans)

    def keep(self, conn: sa.Connection, side: str, schema: Schema | None) -> Projection:
        """Copy a side into a temporary table: it outlives later changes (and DROP TABLE).

        One name per side (`dw_kept_old`, `dw_kept_new`): an example keeps each side at
        most once, and its checkout's rollback takes the table away, so the statement and
        the comparison built on the copy are the same objects in every example (built, and
        on Postgres typed, once).
        """
        projection = self._cached(side, schema)
        cache_key = (side, id(schema))
        if cache_key not in self._kept:
            name = f"dw_kept_{side}"
            source = projection.subquery(self.names, "dw_keep")
            create = sa.select(*(source.c[n] for n in self.names))
            table = sa.table(name, *(sa.column(n) for n in self.names))
            self._kept[cache_key] = (name, create, Projection(
                sa.select(*(table.c[n] for n in self.names)), projection.label,
                projection.types))
        name, create, kept = self._kept[cache_key]
        create_temp_as(conn, name, create)
        return kept

    def keep_new(self, conn: sa.Connection, schema: Schema | None) -> Projection | list[Any]:
        if self.spec.new_is_callable:
            return self.new_rows(conn)
        return self.keep(conn, "new", schema)

    def compare_kept(self, conn: sa.Connection, kept: Projection | list[Any],
                     schema: Schema | None
                     ) -> tuple[bool, str, int, list[dict[str, Any]]]:
        """The kept copy against `new` as it is now: (equal, what differs, rows compared,
        the differences as the report's records)."""
        label = self.spec.new_label
        if isinstance(kept, list):  # a callable `new`: its rows compare in Python
            now = self.new_rows(conn)
            before, after = Counter(map(_frozen, kept)), Counter(map(_frozen, now))
            lost = [dict(r) for r in (before - after).elements()]
            gained = [dict(r) for r in (after - before).elements()]
            lines = [f"no longer in {label}: {r}" for r in lost] + [
                f"new in {label}: {r}" for r in gained]
            records = [{"kind": kind, "table": label, "key": None, "field": None,
                        "old": old, "new": new} for kind, old, new in
                       [*(("missing", r, None) for r in lost),
                        *(("extra", None, r) for r in gained)]]
            return not lines, "\n".join(lines), len(kept), records
        if self.spec.new_is_callable:
            result = compare_rows(conn, kept, self.new_rows(conn), self.spec.old_keys,
                                  self.names, label=self.spec.new_label)
        else:
            result = compare(conn, kept, self._cached("new", schema), self.spec.old_keys,
                             self.names, plans=self._plans)
        return (result.equal, describe(result, f"{kept.label} (kept)", label),
                result.counts.old_rows, differences_of(result, label))


def _frozen(row: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, repr(v)) for k, v in row.items()))


def _get(row: Mapping[str, Any] | Any, col: str) -> Any:
    if isinstance(row, Mapping):
        return row.get(col)
    return getattr(row, col, None)
