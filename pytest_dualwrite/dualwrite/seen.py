"""Values an example has already put in the old table, for writes and updates to reuse.

A state machine that draws every write and every change fresh never gives a record a
sibling (measured: 0 of 449 updates touched a record sharing a value with another), so a
bug that needs two records under one parent, in one group or at one timestamp is never
reached after the first step. Each write and update here takes, per column, a value the
example has already used, in a third of the rows.

What is remembered is what the draws gave, before the database accepts or refuses it, so
the draws depend on earlier draws alone, never on the database: a refused write still
leaves its values to reuse, and the shrinker can replay any prefix of steps.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

REMEMBERED = 32  # per column: the latest values; older ones have had their chance


class Seen:
    """Per column (old names, lower case), the values this example has used, latest
    last; and the rows, whole, for a write that shares all key columns but one with a
    record (a key is copied from one row, not assembled from columns' pools)."""

    def __init__(self) -> None:
        self.values: dict[str, list[Any]] = {}
        self.rows: list[dict[str, Any]] = []

    def clear(self) -> None:
        self.values = {}
        self.rows = []

    def remember(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            lowered = {c.lower(): v for c, v in row.items()}
            for column, value in lowered.items():
                _keep(self.values.setdefault(column, []), value)
            _keep(self.rows, lowered)

    def keys(self, key: Sequence[str]) -> list[tuple[Any, ...]]:
        """The distinct values of `key` (lower case) among the remembered rows."""
        found: list[tuple[Any, ...]] = []
        for row in self.rows:
            if all(k in row for k in key):
                _keep(found, tuple(row[k] for k in key))
        return found

    def reusing(
        self, fresh: SearchStrategy[dict[str, Any]], columns: Collection[str],
        key: Sequence[str] = (),
    ) -> SearchStrategy[dict[str, Any]]:
        """Rows of `fresh` of which a third take a seen value in one of `columns`, or
        (for a composite key) a seen key in all its columns but one: a second run of a
        project, a second artifact of a run, one name under two runs.

        One branch per row, not per column: every choice is one more the shrinker must
        try to remove with a whole example run against the database (a branch per column
        made shrinking a state machine's counterexample hit hypothesis' five-minute cap).
        The same draws whatever has been seen (a branch, an option, an index counted from
        the latest), so removing an earlier step keeps later choices lined up.
        """
        return _reusing(fresh, tuple(columns), tuple(key), self)


def _keep(kept: list[Any], value: Any) -> None:
    if value in kept:
        return
    kept.append(value)
    if len(kept) > REMEMBERED:
        del kept[0]


def _pick(draw: st.DrawFn, pool: list[Any]) -> Any:
    # Counted from the latest, so removing an earlier step keeps the choice near.
    return pool[-1 - draw(st.integers(0, len(pool) - 1))]


@st.composite  # at module level: `st.composite` inside a method compiles one per call
def _reusing(
    draw: st.DrawFn, fresh: SearchStrategy[dict[str, Any]], columns: tuple[str, ...],
    key_names: tuple[str, ...], seen: Seen,
) -> dict[str, Any]:
    row = dict(draw(fresh))
    lower = {c.lower(): c for c in row}
    key = [lower[k.lower()] for k in key_names if k.lower() in lower]
    if len(key) < 2 or len(key) < len(key_names):
        key = []
    # Options: a column to reuse, or a key column to keep fresh while the others copy a
    # seen key (a key of two columns or more, all in the row).
    options = [c for c in columns if c in row] + key
    if not options or draw(st.integers(0, 2)) != 2:
        return row
    i = draw(st.integers(0, len(options) - 1))
    if key and i >= len(options) - len(key):
        keys = seen.keys([k.lower() for k in key])
        if keys:
            for column, value in zip(key, _pick(draw, keys), strict=True):
                if column != options[i]:
                    row[column] = value
        return row
    pool = seen.values.get(options[i].lower())
    if pool:
        row[options[i]] = _pick(draw, pool)
    return row
