"""A shrink budget for each story of an item, not one for the whole run.

hypothesis stops shrinking once it has accepted 500 smaller examples in one run
(`engine.MAX_SHRINKS`), counted over all the distinct failures it found. One example of a
state machine holds dozens of values (pre-existing rows of seven columns, each operation's
row), and each value takes its own steps down; two stories in one item share those 500.
Seen on split_1n's `size_rounded` (Postgres, seed 2): most runs shrank both stories in
160-220 accepted steps; one took all 500 on the first and reported the second as found,
four rows of wild values. The order of hypothesis' shrink passes differs from process to
process (span labels hash the rules' functions), so which run runs long cannot be chosen.

Raised for the plugin's own checks only, and put back after: the user's own `@given`
tests keep hypothesis' limit. hypothesis' five-minute cap on shrinking still holds. Uses
hypothesis' internals (`conjecture.engine.MAX_SHRINKS`); where missing, does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

PER_STORY = 500  # hypothesis' own budget, for one failure
STORIES = 4  # an item seldom tells more; beyond this, hypothesis' time cap decides


@contextmanager
def shrink_budget(total: int = PER_STORY * STORIES) -> Iterator[int | None]:
    """Within the block, hypothesis may accept `total` shrinks per run; yields the
    budget in force (None where hypothesis has no such limit)."""
    try:
        from hypothesis.internal.conjecture import engine
    except ImportError:  # pragma: no cover  # hypothesis moved its internals
        yield None
        return
    before = getattr(engine, "MAX_SHRINKS", None)
    if not isinstance(before, int):
        yield None
        return
    engine.MAX_SHRINKS = max(before, total)
    try:
        yield engine.MAX_SHRINKS
    finally:
        engine.MAX_SHRINKS = before


__all__ = ["PER_STORY", "STORIES", "shrink_budget"]
