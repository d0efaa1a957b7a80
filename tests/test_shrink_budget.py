"""The plugin's checks get a shrink budget per story; the user's own tests keep
hypothesis' limit."""

from __future__ import annotations

import pytest
from hypothesis.internal.conjecture import engine

from pytest_dualwrite.dualwrite.shrink_budget import PER_STORY, STORIES, shrink_budget

from .conftest import copy_example


def test_the_budget_holds_within_the_block_and_is_put_back() -> None:
    before = engine.MAX_SHRINKS
    with shrink_budget() as budget:
        assert budget == engine.MAX_SHRINKS == max(before, PER_STORY * STORIES)
    assert engine.MAX_SHRINKS == before
    with pytest.raises(KeyError), shrink_budget(before + 7):
        assert engine.MAX_SHRINKS == before + 7
        raise KeyError("a failing check")
    assert engine.MAX_SHRINKS == before


def test_a_smaller_budget_never_lowers_hypothesis_limit() -> None:
    before = engine.MAX_SHRINKS
    with shrink_budget(1) as budget:
        assert budget == before


def test_without_the_internal_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(engine, "MAX_SHRINKS")
    with shrink_budget() as budget:
        assert budget is None
        assert not hasattr(engine, "MAX_SHRINKS")


RECORD = '''

def _record(where: str) -> None:
    from hypothesis.internal.conjecture import engine
    with open("budgets.txt", "a") as f:
        f.write(f"{where} {engine.MAX_SHRINKS}\\n")


_write = write


def write(conn, row):
    _record("check")
    _write(conn, row)
'''

USERS_OWN = '''
from hypothesis import given, settings, strategies as st

import catalog


@settings(max_examples=3, database=None)
@given(st.integers())
def test_users_own(x):
    catalog._record("user")
'''


def test_only_the_plugins_checks_get_the_budget(pytester: pytest.Pytester) -> None:
    copy_example(pytester, "products")
    catalog = pytester.path / "catalog.py"
    catalog.write_text(catalog.read_text() + RECORD)
    pytester.makepyfile(test_users_own=USERS_OWN)
    result = pytester.runpytest_subprocess(
        "--dualwrite", "-p", "no:cacheprovider", "--dualwrite-examples=5",
        "-k", "dual_write_keeps_both_equal or test_users_own")
    result.assert_outcomes(passed=2)
    seen = {tuple(line.split()) for line in
            (pytester.path / "budgets.txt").read_text().splitlines()}
    assert seen == {("check", str(PER_STORY * STORIES)), ("user", str(engine.MAX_SHRINKS))}
