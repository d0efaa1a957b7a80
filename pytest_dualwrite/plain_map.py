"""A `.map` whose values print as themselves in hypothesis' falsifying example.

Hypothesis prints a mapped value as the call that made it when that is shorter than the
value's repr, so a 100-character name generated at a column's limit showed up in the repro
as `(lambda t: (t[0] + t[1] * cap)[:cap])(('', '0'))`: the plugin's internals, not the
user's data. A composite draws the same choices (shrinking is unchanged) without recording
the call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

T = TypeVar("T")


def plain_map(strategy: SearchStrategy[Any], fn: Callable[[Any], T]) -> SearchStrategy[T]:
    """`strategy.map(fn)`, shown in repro lines by the value it yields."""
    return _mapped(strategy, fn)


@st.composite  # at module level: see tests/test_strategy_building.py
def _mapped(draw: st.DrawFn, strategy: SearchStrategy[Any], fn: Callable[[Any], T]) -> T:
    return fn(draw(strategy))
