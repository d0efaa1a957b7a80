"""Collisions on purpose: rows of one list reuse values of the rows drawn before them.

Migration bugs live where two records share a value: two children of one parent, two
rows of one group, two events at one timestamp, a keyset page boundary inside a run of
equal sort values. Drawn independently, two rows almost never share a text or timestamp
column (measured: 3-4% of examples shared any one column), so those bugs were missed.

Each column that may repeat (every one but the last column of a unique key) takes, in a
third of the rows, a value an earlier row of the list holds; a foreign key the same, so
several children name one parent. The values are drawn in the row, not up front: an
example's size then depends on its rows alone, as hypothesis expects when it caps the
first examples to a few times the simplest one (pools drawn first overran that cap).
Composite keys stay unique: the list is drawn `unique_by` them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

REUSE = 2  # of the branch st.integers(0, 2): 0 and 1 draw fresh, so shrinking goes fresh


def may_repeat(columns: Collection[str], unique_sets: Sequence[Sequence[str]]) -> list[str]:
    """The columns that may repeat: all but the last of each unique key (PK, UNIQUE,
    unique index), so a single-column key never repeats and a composite one varies in
    its last column; repeating every column of `(region, handle)` would make most drawn
    rows duplicates that the list then throws away."""
    last = {s[-1].lower() for s in unique_sets if s}
    return [c for c in columns if c.lower() not in last]


def reusing(
    columns: Mapping[str, SearchStrategy[Any]], shared: Collection[str]
) -> SearchStrategy[dict[str, Any]]:
    """Rows of `columns` whose `shared` columns take, a third of the time, a value of an
    earlier row drawn by this same strategy object (so build one per list)."""
    return _row(columns, frozenset(shared), {})


@st.composite  # at module level: `st.composite` inside a function costs ~20 ms a call
def _row(
    draw: st.DrawFn,
    columns: Mapping[str, SearchStrategy[Any]],
    shared: frozenset[str],
    earlier: dict[str, list[Any]],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, strategy in columns.items():
        pool = earlier.get(name) if name in shared else None
        if name in shared and draw(st.integers(0, REUSE)) == REUSE and pool:
            # Counted from the latest, so removing an earlier row keeps the choice
            # pointing at a near one and the shrink can be kept.
            out[name] = pool[-1 - draw(st.integers(0, len(pool) - 1))]
        else:
            out[name] = draw(strategy)
        if name in shared and (pool is None or out[name] not in pool):
            earlier.setdefault(name, []).append(out[name])
    return out
