"""Collisions on purpose: rows of one list reuse values of the rows drawn before them.

Migration bugs live where two records share a value: two children of one parent, two
rows of one group, two events at one timestamp, a keyset page boundary inside a run of
equal sort values, two records that differ in one key column only (a read that ignores
that column returns the wrong one). Drawn independently, two rows almost never share a
text or timestamp column (measured: 3-4% of examples shared any one column), so those
bugs were missed.

Each column that may repeat (every one but a single-column unique key's) takes, in a
third of the rows, the value of one earlier row of the list: the row's *source*, drawn
once per row. Copying from one source row, not from a pool per column, is what makes
"the same as that row in every key column but one" reachable for every column of a
composite key: `(project, run_no, name)` gets a second run of a project (project copied),
a second artifact of a run (project and run_no copied) and the same name under another
run of the project (project and name copied), each a few percent of the rows. A row that
copies every column of a composite key is a duplicate the list throws away (`unique_by`),
one row in 27 for a three-column key. The values are drawn in the row, not up front: an
example's size then depends on its rows alone, as hypothesis expects when it caps the
first examples to a few times the simplest one (pools drawn first overran that cap).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

REUSE = 2  # of the branch st.integers(0, 2): 0 and 1 draw fresh, so shrinking goes fresh
KEEP = "\x00keep"  # a row's own choice: 0 (of LEAVE_OUT_ONE_IN) leaves it out; see `kept`
LEAVE_OUT_ONE_IN = 256


def may_repeat(columns: Collection[str], unique_sets: Sequence[Sequence[str]]) -> list[str]:
    """The columns that may repeat: all but those of a single-column unique key (PK,
    UNIQUE, unique index), which could only give a duplicate. Every column of a composite
    key may repeat: the row stays unique by its other columns."""
    alone = {s[0].lower() for s in unique_sets if len(s) == 1}
    return [c for c in columns if c.lower() not in alone]


def reusing(
    columns: Mapping[str, SearchStrategy[Any]], shared: Collection[str]
) -> SearchStrategy[dict[str, Any]]:
    """Rows of `columns` whose `shared` columns each take, a third of the time, the value
    of the row's source, one earlier row drawn by this same strategy object (so build
    one per list). Each row also holds `KEEP`, its own choice of whether the list keeps
    it (see `kept`)."""
    return _row(columns, frozenset(shared), [])


def kept(rows: Sequence[dict[str, Any]], min_size: int) -> list[dict[str, Any]]:
    """The rows whose `KEEP` choice is not 0, and the first rows left out put back while
    the list is under `min_size`; `KEEP` removed.

    Why: hypothesis' shrinker deletes list elements from the tail or a few choices at a
    time, and a row is twenty-odd choices, so a row standing before the ones a failure
    needs stayed in the counterexample (4-7 rows where 3 do). Leaving a row out is one
    choice the shrinker lowers to 0, for any row; the row stays a source for the rows after
    it, so no other row of the list moves when it goes (in `rows_for_tables` a child
    that named a dropped parent row names another). Generation seldom leaves one out: 0
    is one value of 256, drawn for about one row in 50-65 (hypothesis favours 0); leaving
    out 1 in 8 halved how often the state machine's updates reached a record that could
    show split_1n's update_moves_child (benchmarks/RESULTS.md, "#18 where the updates
    went, and rows left out for the shrinker").
    """
    missing = min_size - sum(1 for r in rows if r[KEEP])
    out = []
    for r in rows:
        if r[KEEP] or missing > 0:
            missing -= 0 if r[KEEP] else 1
            out.append({c: v for c, v in r.items() if c != KEEP})
    return out


@st.composite  # at module level: see tests/test_strategy_building.py
def _row(
    draw: st.DrawFn,
    columns: Mapping[str, SearchStrategy[Any]],
    shared: frozenset[str],
    earlier: list[dict[str, Any]],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    source: dict[str, Any] | None = None
    for name, strategy in columns.items():
        if name in shared and earlier and draw(st.integers(0, REUSE)) == REUSE:
            if source is None:
                # Counted from the latest, so removing an earlier row keeps the choice
                # pointing at a near one and the shrink can be kept; drawn at the first
                # copied column, so a row that copies nothing pays no choice for it.
                source = earlier[-1 - draw(st.integers(0, len(earlier) - 1))]
            out[name] = source[name]
        else:
            out[name] = draw(strategy)
    earlier.append(out)
    return {**out, KEEP: draw(st.integers(0, LEAVE_OUT_ONE_IN - 1))}
