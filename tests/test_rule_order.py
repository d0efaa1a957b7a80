"""The step a shrinker lowers the others to is the cheap one.

hypothesis orders a state machine's rules by their bundles, their number of arguments,
then their name, and its shrinker moves a step towards the first. In both machines that
first rule must be `abandon_backfill` (nearly a no-op): when it was `backfill_batch`, a
shrink ran a batch of the user's backfill and a comparison for most steps of every call
(benchmarks/RESULTS.md, "#16 where the suite's time goes"). A new rule without arguments
named before it would undo that silently; this test says so.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "pytest_dualwrite" / "dualwrite"


def _rules(source: Path) -> list[tuple[int, str]]:
    """(number of arguments, name) of every function decorated with `@rule(...)`."""
    found = []
    for node in ast.walk(ast.parse(source.read_text())):
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "rule":
                found.append((len(decorator.keywords), node.name))
    return found


@pytest.mark.parametrize("module", ["machine.py", "timeline.py"])
def test_the_first_rule_in_hypothesis_order_is_the_cheap_crash(module: str) -> None:
    rules = _rules(PACKAGE / module)
    assert len(rules) >= 4, rules  # the parse found the machine's rules
    assert min(rules) == (0, "abandon_backfill"), sorted(rules)
