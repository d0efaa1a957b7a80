"""What the application does, as hypothesis draws it: rows it writes, changes, keys.

A mixin of the harness: the draws need its schema, spec and backend, and are cached on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..plain_map import plain_map
from ..schema.model import Schema, Table
from ..strategies import from_column, row, sqlalchemy_type
from ..strategies.neighbours import neighbours
from .seen import Seen

if TYPE_CHECKING:
    from ..backends.base import Backend
    from .spec import DualWrite


class Draws:
    """Strategies for writes, changes, keys and their neighbours."""

    spec: DualWrite
    backend: Backend
    live: int
    _write_strategies: dict[Any, SearchStrategy[dict[str, Any]]]
    _fresh_keys: SearchStrategy[Any] | None
    _chosen: SearchStrategy[set[str]] | None
    seen: Seen
    # id(row strategy) -> (it, its changes strategy)
    _changes: dict[int, tuple[SearchStrategy[Any], SearchStrategy[dict[str, Any]]]]

    if TYPE_CHECKING:
        def schema(self, index: int | None = None) -> Schema: ...

    def _parent_values(self, conn: sa.Connection, schema: Schema) -> dict[str, tuple[Any, ...]]:
        """FK columns of a generated write: the parent keys that exist now."""
        table = schema.table(self.spec.old_table or "")
        out: dict[str, tuple[Any, ...]] = {}
        for fk in table.foreign_keys:
            if len(fk.columns) != 1 or fk.ref_table == table.name:
                continue
            ref_type = schema.table(fk.ref_table).column(fk.ref_columns[0]).type \
                if schema.has_table(fk.ref_table) else None
            ref = sa.table(fk.ref_table, sa.column(fk.ref_columns[0], sqlalchemy_type(
                ref_type) if ref_type is not None else None))
            values = conn.execute(sa.select(ref.c[0]).distinct().order_by(ref.c[0])
                                  .limit(50)).scalars().all()
            if values:
                out[fk.columns[0]] = tuple(values)
        return out

    def write_strategy(self, conn: sa.Connection) -> SearchStrategy[dict[str, Any]]:
        """One row the app writes at the live schema: every key column generated.

        Built once per set of parent keys: building a row strategy resolves every column,
        far dearer than drawing from it, and a state machine draws one per step.
        """
        schema = self.schema(self.live)
        parents = self._parent_values(conn, schema)
        cache_key = tuple(sorted(parents.items()))
        strategy = self._write_strategies.get(cache_key)
        if strategy is None:
            table = schema.table(self.spec.old_table or "")
            overrides: dict[str, Any] = {k: ... for k in self.spec.old_keys}
            for column, values in parents.items():
                choice: SearchStrategy[Any] = st.sampled_from(values)
                overrides[column] = st.none() | choice if table.column(column).nullable \
                    else choice
            overrides.update(self.spec.strategies or {})
            strategy = self.seen.reusing(
                row(table, schema=schema, backend=self.backend.name, overrides=overrides),
                self._reusable_columns(table), self.spec.old_keys)
            if len(self._write_strategies) > 64:
                self._write_strategies.clear()
            self._write_strategies[cache_key] = strategy
        return strategy

    def _reusable_columns(self, table: Table) -> list[str]:
        """Columns a write or change may give a value the example already used: all but
        the key and single-column unique ones (those would only be refused)."""
        alone = {u[0].lower() for u in [table.primary_key, *(x.columns for x in table.uniques),
                                        *(i.columns for i in table.indexes if i.unique)]
                 if len(u) == 1}
        keys = {k.lower() for k in self.spec.old_keys}
        return [c.name for c in table.columns if c.name not in alone | keys]

    def remember(self, attr: str, args: tuple[Any, ...]) -> None:
        """The values a write's row or an update's changes put in the old table."""
        if attr.removeprefix("cutover.") in ("write", "update") and args \
                and isinstance(args[-1], dict):
            self.seen.remember([args[-1]])

    def changes_strategy(self, conn: sa.Connection) -> SearchStrategy[dict[str, Any]]:
        """A non-empty subset of the mapped columns with new values."""
        schema = self.schema(self.live)
        table = schema.table(self.spec.old_table or "")
        columns = list(self.spec.column_map) or [
            c.name for c in table.columns
            if c.name not in self.spec.old_keys and not c.autoincrement]
        full = self.write_strategy(conn)
        if self._chosen is None:
            self._chosen = st.sets(st.sampled_from(columns), min_size=1) if columns \
                else st.just(set())
        # One per row strategy, built once: a strategy built per step is validated per step.
        found = self._changes.get(id(full))
        if found is None or found[0] is not full:
            found = self._changes[id(full)] = (full, plain_map(
                st.tuples(full, self._chosen),
                lambda pair: {c: pair[0][c.lower()] for c in sorted(pair[1])
                              if c.lower() in pair[0]}))
        return found[1]

    def key_move_strategy(self, keys: list[Any]) -> SearchStrategy[dict[str, Any]]:
        """`changes` that give a record another key: an existing key (refused, or a
        collision the application must handle), a neighbour, or a fresh one. For a
        composite key, some of its columns: moving only the parent part of
        `(parent_id, seq)` is moving a child to another parent."""
        names = self.spec.old_keys
        target = self.key_strategy(keys)
        if len(names) == 1:
            return plain_map(target, lambda k: {names[0]: k})
        parts = st.sets(st.sampled_from(range(len(names))), min_size=1)
        return plain_map(st.tuples(target, parts),
                         lambda t: {names[i]: t[0][i] for i in sorted(t[1])})

    def parent_columns(self) -> list[str]:
        """Single-column FK columns an update may change: mapped ones, and key ones where
        the spec allows key moves."""
        table = self.schema(self.live).table(self.spec.old_table or "")
        allowed = {c.lower() for c in self.spec.column_map}
        if self.spec.key_moves:
            allowed |= {k.lower() for k in self.spec.old_keys}
        return [fk.columns[0] for fk in sorted(table.foreign_keys)
                if len(fk.columns) == 1 and fk.ref_table != table.name
                and fk.columns[0] in allowed]

    def parent_move_strategy(self, conn: sa.Connection) -> SearchStrategy[dict[str, Any]]:
        """`changes` that put a record under another existing parent (one FK column)."""
        parents = self._parent_values(conn, self.schema(self.live))
        choices = [(c, v) for c in self.parent_columns() for v in parents.get(c, ())]
        if not choices:
            return st.just({})
        return plain_map(st.sampled_from(choices), lambda cv: {cv[0]: cv[1]})

    def key_strategy(self, keys: list[Any], either_end: bool = False) -> SearchStrategy[Any]:
        """Mostly existing keys; sometimes a neighbour or a key that does not exist.

        The same draws whatever `keys` holds (a branch, then an index or a fresh key), so
        when the shrinker removes a row or a step, the choices after it mostly still line
        up and the shrink can be kept. Also the target of a key move (`key_move_strategy`):
        an existing key there is a collision the database refuses. `either_end` (a race)
        also draws which end the index counts from, the start first: a race on the key
        the backfill reaches first needs no row before it, so the shrinker can remove
        every other row without moving the schedule; one on a later key has a longer
        window to be found in.
        """
        if self._fresh_keys is None:
            table = self.schema(self.live).table(self.spec.old_table or "")
            fresh: SearchStrategy[Any] = st.tuples(*(
                from_column(table.column(k), backend=self.backend.name)
                for k in self.spec.old_keys))
            if len(self.spec.old_keys) == 1:
                fresh = plain_map(fresh, lambda t: t[0])
            self._fresh_keys = fresh
        # The neighbours are worked out only when the branch asks for them.
        return _pick_key(keys, lambda: [n for k in keys for n in self._neighbours(k)],
                         self._fresh_keys, either_end)

    def _neighbours(self, key: Any) -> list[Any]:
        """Neighbouring keys of the key column's type (an int4 key has no 2**31)."""
        table = self.schema(self.live).table(self.spec.old_table or "")
        types = [table.column(k).type for k in self.spec.old_keys]
        return neighbours(key, types, self.backend.name)


# At module level (issue 16): `st.composite` applied per call reads and parses the
# function's source each time, ~1 ms a step of every state machine.
@st.composite
def _pick_key(draw: st.DrawFn, keys: list[Any], near: Callable[[], list[Any]],
              fresh_keys: SearchStrategy[Any], either_end: bool) -> Any:
    # 0-2 existing, 3-5 existing with a relative, 6 a neighbour, 7 fresh. A bug in an
    # update or delete shows on a record that exists and has relatives; with half the
    # picks naming missing keys, 2.3% of split_1n's updates could show its
    # update_moves_child (benchmarks/RESULTS.md, "#18 where the updates went").
    branch = draw(st.integers(0, 7))
    pool: list[Any]
    if branch < 3:
        pool = keys
    elif branch < 6:
        pool = _with_relatives(keys) or keys
    elif branch == 6:
        pool = near()
    else:
        pool = []
    if pool:
        # Counted from the end, so a step shrinks towards the last key (sorted): the one a
        # batched backfill reaches last, where interleavings go wrong; and removing an
        # earlier row mostly leaves the choice pointing at the same key (not always in the
        # relatives' pool: a row that goes can take its relative's place there with it).
        # A race (`either_end`) shrinks towards the first, as `Draws.key_strategy` says.
        from_start = either_end and not draw(st.booleans())  # shrinks to True
        index = draw(st.integers(0, len(pool) - 1))
        return pool[index] if from_start else pool[-1 - index]
    return draw(fresh_keys)


def _with_relatives(keys: list[Any]) -> list[Any]:
    """Composite keys whose first column another key shares: a record with a sibling or
    a cousin (another run of its project), where an update or delete that reaches the
    wrong relative shows. Empty for a one-column key: the branch then takes any key.
    Compared with `==`, not hashed: a key column may hold a list (an array, JSON)."""
    composite = [k for k in keys if isinstance(k, tuple) and len(k) > 1]
    firsts = [k[0] for k in composite]
    return [k for k in composite if firsts.count(k[0]) > 1]
