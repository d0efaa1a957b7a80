"""A counterexample keeps only the rows its failure needs (issue 18: at most 3 rows).

No database: rows of tests/examples/split_1n's `artifacts` from the plugin's own row
strategy, and predicates standing for planted bugs. Hypothesis' shrinker deletes list
elements from the tail or a few choices at a time, so before rows could be left out by one
choice (`strategies.pools.kept`) a row standing before the ones a failure needs stayed:
here, main at fdffcef shrank `one_name` to 3 rows at seeds 1 and 2
(benchmarks/shrink_rows.py runs all three predicates over more seeds).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

from pytest_dualwrite.schema.from_sql import from_sql_text
from pytest_dualwrite.strategies import rows
from pytest_dualwrite.strategies.pools import KEEP, kept

SQL = Path(__file__).parent / "examples" / "split_1n" / "migrations" / "001_create_artifacts.sql"
Rows = list[dict[str, Any]]


def keyset(generated: Rows) -> bool:
    """A backfill paging by two rows on (project, run_no), a prefix of the key, skips a
    row (split_1n's `keyset_prefix`; needs 3 rows)."""
    keys = sorted((r["project"], r["run_no"], r["name"]) for r in generated)
    copied, last = 0, None
    while page := [k for k in keys if last is None or k[:2] > last[:2]][:2]:
        copied, last = copied + len(page), page[-1]
    return copied < len(keys)


def one_run(generated: Rows) -> bool:
    """Three artifacts of one run (needs 3)."""
    return max(Counter((r["project"], r["run_no"]) for r in generated).values(), default=0) >= 3


def one_name(generated: Rows) -> bool:
    """One name under two runs of a project (`read_ignores_run_no`; needs 2)."""
    return any(a["project"] == b["project"] and a["name"] == b["name"]
               and a["run_no"] != b["run_no"] for a in generated for b in generated)


PREDICATES: dict[str, tuple[Callable[[Rows], bool], int]] = {
    "keyset": (keyset, 3), "one_run": (one_run, 3), "one_name": (one_name, 2)}


def shrunk(bug: Callable[[Rows], bool], at: int, examples: int = 100) -> int | None:
    """Rows in the example hypothesis shrinks a failure of `bug` to (None: not found)."""
    found: list[int] = []

    @seed(at)
    @settings(max_examples=examples, database=None, deadline=None,
              phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(rows("artifacts", schema=from_sql_text(SQL.read_text(), "postgres"),
                backend="sqlite"))
    def check(generated: Rows) -> None:
        if bug(generated):
            found[:] = [len(generated)]
            raise AssertionError

    try:
        check()
    except AssertionError:
        return found[0]
    return None


@pytest.fixture
def same_draws_in_any_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """hypothesis mixes into its draws constants read from the modules the process has
    loaded, cached at first use: an xdist worker that ran other tests first drew other
    examples, and `keyset` at seed 3 shrank to 5 rows there, 3 alone. With no local
    constants a seed draws the same examples in any process (hypothesis' internals; a
    version without local constants needs nothing pinned, one that has them elsewhere
    fails here rather than let the test turn flaky)."""
    from hypothesis.internal.conjecture import providers

    if not hasattr(providers.HypothesisProvider, "_local_constants"):
        return
    assert hasattr(providers, "_get_local_constants"), \
        "hypothesis keeps its local constants elsewhere now: pin them again here"
    from hypothesis.internal.constants_ast import Constants

    monkeypatch.setattr(providers, "_get_local_constants", Constants)
    monkeypatch.setattr(providers, "CONSTANTS_CACHE", type(providers.CONSTANTS_CACHE)(1024))


@pytest.mark.usefixtures("same_draws_in_any_process")
@pytest.mark.parametrize("at", [1, 2, 3])
@pytest.mark.parametrize("name", ["keyset", "one_name"])
def test_a_failure_shrinks_to_the_rows_it_needs(name: str, at: int) -> None:
    bug, needs = PREDICATES[name]
    assert shrunk(bug, at) == needs


def test_a_row_left_out_is_dropped_and_put_back_only_under_min_size() -> None:
    drawn = [{"a": 1, KEEP: 3}, {"a": 2, KEEP: 0}, {"a": 3, KEEP: 0}, {"a": 4, KEEP: 1}]
    assert kept(drawn, 0) == [{"a": 1}, {"a": 4}]
    # The first rows left out come back, in their places, until the list is long enough.
    assert kept(drawn, 3) == [{"a": 1}, {"a": 2}, {"a": 4}]
    assert kept(drawn, 9) == [{"a": 1}, {"a": 2}, {"a": 3}, {"a": 4}]

