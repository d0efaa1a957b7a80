"""A new user's first hour (issue 12), run as users run it: the naive UUID app, its
narrowing variant, the hint without `--dualwrite`, progress, failure stories, and unsafe
`strategies=` overrides."""

from __future__ import annotations

import json
import re

import pytest

from .conftest import copy_example, postgres_url

LOSSY_LINE = ("users.name text -> user_profiles.display_name varchar(100): values over 100 "
              "characters cannot be kept")


def need(backend: str) -> None:
    if backend == "postgres" and not postgres_url():
        pytest.skip("postgres: DUALWRITE_POSTGRES_URL is not set")


@pytest.fixture
def first_hour(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    if postgres_url():
        monkeypatch.setenv("DUALWRITE_POSTGRES_URL", postgres_url() or "")
    for name in ("DUALWRITE_PROGRESS", "CI"):
        monkeypatch.delenv(name, raising=False)
    return copy_example(pytester, "first_hour")


@pytest.fixture
def notes(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    if postgres_url():
        monkeypatch.setenv("DUALWRITE_POSTGRES_URL", postgres_url() or "")
    for name in ("DW_BUG", "DW_OVERRIDE", "DUALWRITE_PROGRESS", "CI"):
        monkeypatch.delenv(name, raising=False)
    return copy_example(pytester, "notes_bugs")


def run(pytester: pytest.Pytester, backend: str, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "--dualwrite", f"--dualwrite-backend={backend}", "-p", "no:cacheprovider",
        "-p", "no:randomly", *args)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_naive_uuid_app_is_green(first_hour: pytest.Pytester, backend: str) -> None:
    need(backend)
    result = run(first_hour, backend, "--dualwrite-examples=25")
    result.assert_outcomes(passed=9)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_its_narrowing_variant_fails_mapping_is_lossless_in_one_line(
        first_hour: pytest.Pytester, backend: str) -> None:
    need(backend)
    result = run(first_hour, backend, "--dualwrite-migrations=migrations_text",
                 "-k", "mapping_is_lossless")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert LOSSY_LINE in result.stdout.lines
    assert "(meant? DualWrite(..., accept_lossy={'name': 'why'}))" in result.stdout.lines
    assert "Traceback" not in out and "lossless.py" not in out


def test_a_pair_accepted_on_purpose_passes_with_a_note(first_hour: pytest.Pytester) -> None:
    spec = (first_hour.path / "test_users_migration.py").read_text()
    first_hour.makepyfile(test_users_migration=spec.replace(
        "    read=users.get_user,\n",
        "    read=users.get_user,\n    accept_lossy={'name': 'display names are cut at 100'},\n"))
    result = run(first_hour, "sqlite", "--dualwrite-migrations=migrations_text",
                 "-k", "mapping_is_lossless", "-rA")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"accepted: {LOSSY_LINE} (display names are cut at 100)"])


def test_accepting_an_unmapped_column_fails_collection_in_one_line(
        first_hour: pytest.Pytester) -> None:
    spec = (first_hour.path / "test_users_migration.py").read_text()
    first_hour.makepyfile(test_users_migration=spec.replace(
        "    read=users.get_user,\n",
        "    read=users.get_user,\n    accept_lossy={'nmae': 'x'},\n"))
    result = run(first_hour, "sqlite", "-k", "mapping_is_lossless")
    result.stdout.fnmatch_lines(["*test_users_migration.py:5: users_to_profiles: accept_lossy "
                                 "names 'nmae', which the spec does not map (mapped: id, name)"])
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize("quiet", [False, True])
def test_plain_pytest_says_dualwrite_runs_the_specs(first_hour: pytest.Pytester,
                                                     quiet: bool) -> None:
    result = first_hour.runpytest_subprocess("-p", "no:cacheprovider", *(["-q"] * quiet))
    assert ("pytest-dualwrite: 1 DualWrite spec not run (test_users_migration.py::"
            "users_to_profiles): `pytest --dualwrite` runs them") in result.stdout.lines
    with_switch = first_hour.runpytest_subprocess("-p", "no:cacheprovider", "--dualwrite",
                                                  "--dualwrite-backend=sqlite", "--co")
    assert "DualWrite spec not run" not in with_switch.stdout.str()


def test_a_spec_in_a_conftest_is_named_too(first_hour: pytest.Pytester) -> None:
    (first_hour.path / "conftest.py").write_text(
        (first_hour.path / "test_users_migration.py").read_text())
    (first_hour.path / "test_users_migration.py").unlink()
    result = first_hour.runpytest_subprocess("-p", "no:cacheprovider")
    assert ("pytest-dualwrite: 1 DualWrite spec not run (conftest.py::users_to_profiles): "
            "`pytest --dualwrite` runs them") in result.stdout.lines


# --- progress ---------------------------------------------------------------------------------

PROGRESS = "examples, generating]"


def test_progress_is_drawn_where_asked(notes: pytest.Pytester,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALWRITE_PROGRESS", "1")
    result = run(notes, "sqlite", "-k", "backfill_preserves", "--dualwrite-examples=60")
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    assert PROGRESS in out and "\b" in out
    # Erased before pytest writes on: the item's line ends as pytest writes it.
    assert out.count("\b") % 2 == 0


@pytest.mark.parametrize("how", ["not a terminal", "-q", "CI", "xdist worker"])
def test_progress_is_silent(notes: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                            how: str) -> None:
    args = ["-k", "backfill_preserves", "--dualwrite-examples=60"]
    if how == "-q":
        monkeypatch.setenv("DUALWRITE_PROGRESS", "1")
        args.append("-q")
    elif how == "CI":
        monkeypatch.setenv("CI", "true")
    elif how == "xdist worker":
        monkeypatch.setenv("DUALWRITE_PROGRESS", "1")
        args += ["-n", "1"]
    result = run(notes, "sqlite", *args)
    result.assert_outcomes(passed=1)
    assert "examples," not in result.stdout.str() and "\b" not in result.stdout.str()


# --- failure stories ------------------------------------------------------------------------

def test_two_distinct_failures_tell_two_stories(notes: pytest.Pytester,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DW_BUG", "two_failures")
    result = run(notes, "sqlite", "-k", "dual_write")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "2 distinct failures, each with its own example:" in result.stdout.lines
    lines = result.stdout.lines
    # Each story under its own header, in whichever order hypothesis reports them.
    heads = {lines[i + 1] for i, line in enumerate(lines) if re.fullmatch(
        r"=== failure [12] of 2 ===", line)}
    assert heads == {"notes.write raised RuntimeError: the write path is not ready",
                     "notes_to_v2: notes and notes_v2 differ after the backfill finished"}
    failures = out[out.index("= FAILURES ="):out.index("= dualwrite =")]
    assert "pluggy" not in failures and "ExceptionGroup" not in failures
    assert "_pytest" not in failures and "Traceback" in failures  # the write's own, only


def test_the_report_keeps_both_counterexamples(notes: pytest.Pytester,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DW_BUG", "two_failures")
    result = run(notes, "sqlite", "-k", "dual_write", "--dualwrite-report=report.json")
    result.assert_outcomes(failed=1)
    item = json.loads((notes.path / "report.json").read_text())["items"][0]
    kinds = sorted(c["differences"][0]["kind"] for c in item["counterexamples"])
    assert kinds == ["changed", "error"] or kinds == ["error", "extra"], kinds
    assert item["counterexample"] == item["counterexamples"][0]
    assert all(c["operations"] for c in item["counterexamples"])
    assert item["figures"]["mismatches"] == sum(len(c["differences"])
                                                for c in item["counterexamples"])


def test_long_values_show_lengths_and_the_first_difference(
        notes: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DW_BUG", "cut_long")
    result = run(notes, "sqlite", "-k", "backfill_preserves")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    result.stdout.fnmatch_lines([
        "id=*: body: notes (* characters) != notes_v2.content (250 characters): the same first "
        "250 characters (*); at position 250: notes '*, notes_v2.content (its end)"])
    assert "lambda" not in out
    assert max(len(line) for line in result.stdout.lines) < 400


@pytest.mark.parametrize(("override", "backend", "shown"), [
    ("nul", "postgres", "a NUL character (\\x00) at position 1, which postgres cannot store "
                        "in text"),
    ("surrogate", "sqlite", "a lone surrogate '\\ud800' at position 1, which is not valid UTF-8 "
                            "(sqlite cannot store it)"),
    ("surrogate", "postgres", "a lone surrogate '\\ud800' at position 1, which is not valid "
                              "UTF-8 (postgres cannot store it)"),
])
def test_an_unsafe_override_is_refused_in_one_line(
        notes: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, override: str, backend: str,
        shown: str) -> None:
    need(backend)
    monkeypatch.setenv("DW_OVERRIDE", override)
    result = run(notes, backend, "-k", "backfill_preserves")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert f"strategies override for notes.body yielded {shown}; exclude it, e.g. " \
           "st.text(alphabet=st.characters(exclude_categories=['Cs'], " \
           "exclude_characters='\\x00'))" in result.stdout.lines
    assert "Traceback" not in out and "sqlalchemy" not in out and "while generating" not in out
