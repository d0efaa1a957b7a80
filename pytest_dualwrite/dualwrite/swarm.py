"""Draw hypothesis' swarm-testing flags before a state machine's first step, not inside it.

hypothesis decides which rules an example may use (swarm testing) with one shared draw,
made the first time a step picks a rule: so it lands inside the first step's choices.
When the shrinker deletes that step, the draw goes with it; the next step then reads the
rule-picking choices off by one, and every step after it is misaligned. Only roundabout
passes can then remove the first step, and a counterexample could keep one that does
nothing (a refused duplicate write, say).

Drawing the same shared strategy at the start of the initialize rule's arguments puts the
decision before every step: a step's choices are then its own, and any step can go.
The draw is of hypothesis' own `("enabled rules", machine)` strategy, reached through
attributes of `RuleBasedStateMachine` that are not public; where they are missing, nothing
is drawn early and the machine runs as hypothesis alone runs it.
"""

from __future__ import annotations

from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine

T = TypeVar("T")


class Current:
    """The machine hypothesis is running now: built before its initialize rule is drawn."""

    machine: RuleBasedStateMachine | None = None


@st.composite
def _flags_then(draw: Any, current: Current, strategy: st.SearchStrategy[T]) -> T:
    rules = getattr(current.machine, "_rules_strategy", None)
    flags = getattr(rules, "enabled_rules_strategy", None)
    if isinstance(flags, st.SearchStrategy):
        draw(flags)
    return draw(strategy)


def flags_first(current: Current, strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """`strategy`, with the running machine's swarm flags drawn just before it."""
    return _flags_then(current, strategy)


__all__ = ["Current", "flags_first"]
