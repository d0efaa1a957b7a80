"""Unit tests of the first-hour modules: progress, long values, failure stories, unsafe
overrides (the pytester tests in test_first_hour.py run them as users do)."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_dualwrite import progress
from pytest_dualwrite.dualwrite.long_values import common_prefix, show_one, show_pair
from pytest_dualwrite.errors import DualWriteAssertion, SpecError
from pytest_dualwrite.stories import story
from pytest_dualwrite.unsafe_values import UnsafeOverride, guarded

if sys.version_info < (3, 11):
    from exceptiongroup import ExceptionGroup


@pytest.mark.parametrize(("isatty", "verbosity", "worker", "env", "shown"), [
    (True, 0, False, {}, True),
    (True, 1, False, {}, True),
    (False, 0, False, {}, False),  # piped, a log file
    (True, -1, False, {}, False),  # -q
    (True, 0, True, {}, False),  # an xdist worker
    (True, 0, False, {"CI": "true"}, False),
    (True, 0, False, {"GITHUB_ACTIONS": "true"}, False),
    (False, 0, False, {"DUALWRITE_PROGRESS": "1"}, True),
    (True, 0, False, {"DUALWRITE_PROGRESS": "0"}, False),
    (False, -1, False, {"DUALWRITE_PROGRESS": "1"}, False),  # -q wins over the switch
    (False, 0, True, {"DUALWRITE_PROGRESS": "1"}, False),  # and so does a worker
])
def test_progress_is_drawn_only_on_a_terminal(isatty: bool, verbosity: int, worker: bool,
                                              env: dict[str, str], shown: bool) -> None:
    assert progress.enabled(isatty=isatty, verbosity=verbosity, worker=worker,
                            env=env) is shown


def test_progress_rewrites_in_place_and_erases_itself() -> None:
    written: list[str] = []
    now = [0.0]
    bar = progress.Progress(written.append, clock=lambda: now[0])
    with progress.showing(bar):
        progress.example()  # too soon after the start: nothing drawn
        now[0] = 1.0
        progress.example()
        now[0] = 1.05
        progress.example()  # within the interval: not redrawn
        progress.failed()  # the phase changes: drawn at once
    assert written[0] == " [2 examples, generating]"
    width = len(" [2 examples, generating]")
    assert written[1] == "\b" * width + " " * width + "\b" * width + \
        " [3 examples, shrinking]"
    # Closed with the item: the last text drawn is blanked and the cursor put back.
    last = len(" [3 examples, shrinking]")
    assert written[2:] == ["\b" * last + " " * last + "\b" * last]
    progress.example()  # no progress installed: nothing happens
    assert bar.examples == 3


def test_long_values_give_lengths_and_the_first_difference() -> None:
    old, new = "a" * 150 + "X" + "b" * 100, "a" * 150 + "Y" + "b" * 100
    assert common_prefix(old, new) == 150
    text = show_pair("users", old, "user_profiles.display_name", new, repr)
    assert text == (
        "users (251 characters) != user_profiles.display_name (251 characters): the same first "
        f"150 characters ({'a' * 30!r}…); at position 150: users {'X' + 'b' * 29!r}…, "
        f"user_profiles.display_name {'Y' + 'b' * 29!r}…")
    assert show_pair("old", "ab", "new", "ac", repr) == "old 'ab' != new 'ac'"
    assert show_one("z" * 500, repr) == f"{'z' * 30!r}… (500 characters)"
    assert show_one(7, repr) == "7"


def test_an_exception_group_tells_each_members_story() -> None:
    first = DualWriteAssertion("spec: old and new differ", [("differences", "id=1: gone")])
    first.add_note("Failing test case: " + "'" + "x" * 500 + "'")
    second = ValueError("boom")
    text = story(ExceptionGroup("Hypothesis found 2 distinct failures.", [first, second]))
    assert text is not None
    assert text.splitlines()[:4] == ["2 distinct failures, each with its own example:", "",
                                     "=== failure 1 of 2 ===", "spec: old and new differ"]
    assert "=== failure 2 of 2 ===\nValueError: boom" in text
    assert f"'{'x' * 30}'… (500 characters as written)" in text
    assert story(ValueError("plain")) is None


def test_an_override_yielding_what_the_backend_cannot_store_is_refused() -> None:
    @settings(database=None, max_examples=1)
    @given(guarded(st.just("a\x00b"), "notes", "body", "postgres"))
    def nul(value: str) -> None:
        pass

    with pytest.raises(UnsafeOverride, match=r"^strategies override for notes\.body yielded a "
                       r"NUL character \(\\x00\) at position 1, which postgres cannot store"):
        nul()
    assert issubclass(UnsafeOverride, SpecError)

    @settings(database=None, max_examples=5)
    @given(guarded(st.just({"k": ["a\x00b"]}), "notes", "body", "sqlite"))
    def kept(value: object) -> None:  # SQLite stores NUL: the value passes untouched
        assert value == {"k": ["a\x00b"]}

    kept()
