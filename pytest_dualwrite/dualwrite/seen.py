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

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

REMEMBERED = 32  # per column: the latest values; older ones have had their chance


class Seen:
    """Per column (old names, lower case), the values this example has used, latest last."""

    def __init__(self) -> None:
        self.values: dict[str, list[Any]] = {}

    def clear(self) -> None:
        self.values = {}

    def remember(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            for column, value in row.items():
                kept = self.values.setdefault(column.lower(), [])
                if value in kept:
                    continue
                kept.append(value)
                if len(kept) > REMEMBERED:
                    del kept[0]

    def reusing(
        self, fresh: SearchStrategy[dict[str, Any]], columns: Collection[str]
    ) -> SearchStrategy[dict[str, Any]]:
        """Rows of `fresh` of which a third take, in one of `columns`, a seen value.

        One branch per row, not per column: every choice is one more the shrinker must
        try to remove with a whole example run against the database (a branch per column
        made shrinking a state machine's counterexample hit hypothesis' five-minute cap).
        The same draws whatever has been seen (a branch, a column, an index counted from
        the latest), so removing an earlier step keeps later choices lined up.
        """
        return _reusing(fresh, tuple(columns), self)


@st.composite  # at module level: `st.composite` inside a method compiles one per call
def _reusing(
    draw: st.DrawFn, fresh: SearchStrategy[dict[str, Any]], columns: tuple[str, ...], seen: Seen
) -> dict[str, Any]:
    row = dict(draw(fresh))
    wanted = [c for c in columns if c in row]
    if not wanted or draw(st.integers(0, 2)) != 2:
        return row
    column = wanted[draw(st.integers(0, len(wanted) - 1))]
    pool = seen.values.get(column.lower())
    if pool:
        row[column] = pool[-1 - draw(st.integers(0, len(pool) - 1))]
    return row
