"""`swarm.flags_first`: hypothesis' swarm flags are drawn with the initialize rule's
arguments, before the first step, so that a step's choices are its own and the shrinker
can delete the first step without shifting every step after it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from hypothesis.strategies._internal import featureflags

from pytest_dualwrite.dualwrite.swarm import Current, flags_first


def machine_events(monkeypatch: pytest.MonkeyPatch, early: bool) -> list[list[str]]:
    """Each example's events in order: "flags" when hypothesis draws the swarm flags,
    "init" for the initialize rule, "step" for a rule."""
    examples: list[list[str]] = []
    drawn = featureflags.FeatureStrategy.do_draw

    def recording(self: Any, data: Any) -> Any:
        examples[-1].append("flags")
        return drawn(self, data)

    monkeypatch.setattr(featureflags.FeatureStrategy, "do_draw", recording)
    current = Current()
    rows = flags_first(current, st.integers(0, 3)) if early else st.integers(0, 3)

    class Machine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            current.machine = self
            examples.append([])

        @initialize(rows=rows)
        def start(self, rows: int) -> None:
            examples[-1].append("init")

        @rule()
        def one(self) -> None:
            examples[-1].append("step")

        @rule(n=st.integers(0, 9))
        def two(self, n: int) -> None:
            examples[-1].append("step")

    run_state_machine_as_test(Machine, settings=settings(
        max_examples=20, database=None, derandomize=True,
        suppress_health_check=list(HealthCheck)))
    stepped = [e for e in examples if "step" in e]
    assert len(stepped) >= 10
    return stepped


def test_the_flags_come_before_the_first_step(monkeypatch: pytest.MonkeyPatch) -> None:
    for events in machine_events(monkeypatch, early=True):
        assert events[:2] == ["flags", "init"], events
        assert events.count("flags") == 1  # the steps reuse the shared draw


def test_without_it_hypothesis_draws_them_inside_the_first_step(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What the module is for: hypothesis alone draws them as the first step picks its
    rule, so that step's choices carry them."""
    for events in machine_events(monkeypatch, early=False):
        assert events[:3] == ["init", "flags", "step"], events


def test_no_machine_yet_draws_the_strategy_alone() -> None:
    @given(flags_first(Current(), st.just(7)))
    def drawn(value: int) -> None:
        assert value == 7

    drawn()
