"""Collisions on purpose: rows of one example share values from a small pool.

Migration bugs live where two records share a value: two children of one parent, two
rows of one group, two events at one timestamp, a keyset page boundary inside a run of
equal sort values. Drawn independently, two rows almost never share a text or timestamp
column (measured: 3-4% of examples shared any one column), so those bugs were missed.

Each column that may repeat (every one that is not, alone, a PRIMARY KEY or UNIQUE key)
draws, once per example, a pool of one or two values; each row then takes a pool value or
a fresh one, the pool first, so a shrunk counterexample keeps the collision that matters
and drops the rest. A foreign key's pool is one or two of the parents' keys: several
children under one parent. Composite keys stay unique: the list is drawn `unique_by` them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

POOL_MAX = 2  # one or two shared values per column: a run of equal values, or two runs


def may_repeat(columns: Collection[str], unique_sets: Sequence[Sequence[str]]) -> list[str]:
    """The columns that no single-column unique key (PK, UNIQUE, unique index) covers."""
    alone = {s[0].lower() for s in unique_sets if len(s) == 1}
    return [c for c in columns if c.lower() not in alone]


def pooled(draw: st.DrawFn, fresh: SearchStrategy[Any], label: str) -> SearchStrategy[Any]:
    """`fresh`, or one of a pool drawn from it now (shared by every later draw)."""
    pool = draw(st.lists(fresh, min_size=1, max_size=POOL_MAX), label=f"pool of {label}")
    return st.sampled_from(pool) | fresh


def pooled_columns(
    draw: st.DrawFn, columns: Mapping[str, SearchStrategy[Any]], shared: Collection[str]
) -> dict[str, SearchStrategy[Any]]:
    """`columns` with every `shared` one drawing from its example's pool half the time."""
    return {
        name: pooled(draw, strategy, name) if name in shared else strategy
        for name, strategy in columns.items()
    }
