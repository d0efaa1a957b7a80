"""Settings a user gets wrong fail in one line naming the setting, before the run starts:
postgres asked for by name but unavailable, absurd example counts, garbage drift rules,
a report path that is a folder or sits in a missing one; names keep their case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_dualwrite.errors import ConfigError
from pytest_dualwrite.settings import resolve

from .conftest import copy_example

SPEC = """
from pytest_dualwrite import DualWrite

spec = DualWrite(old="Accounts", new="Accounts", expand=1, key="ID",
                 columns=["Email"], write=lambda conn, row: None)
"""


@pytest.fixture
def no_postgres(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine where no Postgres can be had: no URL, no Docker, no server binaries."""
    monkeypatch.delenv("DUALWRITE_POSTGRES_URL", raising=False)
    monkeypatch.setenv("DUALWRITE_CONTAINERS", "false")
    (tmp_path / "empty-bin").mkdir()
    monkeypatch.setenv("DUALWRITE_POSTGRES_BIN", str(tmp_path / "empty-bin"))


@pytest.mark.parametrize("how", [("--dualwrite-backend=postgres",),
                                 ("--dualwrite-backend=sqlite,pg",)])
def test_postgres_named_but_unavailable_is_an_error(
        pytester: pytest.Pytester, no_postgres: None, how: tuple[str, ...]) -> None:
    pytester.makepyfile("def test_one(dualwrite_db):\n    pass\n")
    result = pytester.runpytest_subprocess("--dualwrite", *how)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: pytest-dualwrite: --dualwrite-backend asks for "
                                 "postgres, which is not available: no URL*"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_postgres_named_in_the_environment_is_an_error_too(
        pytester: pytest.Pytester, no_postgres: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALWRITE_BACKENDS", "postgres")
    pytester.makepyfile("def test_one(dualwrite_db):\n    pass\n")
    result = pytester.runpytest_subprocess("--dualwrite")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: pytest-dualwrite: DUALWRITE_BACKENDS asks for postgres*"])


def test_all_without_postgres_still_skips_its_items(
        pytester: pytest.Pytester, no_postgres: None) -> None:
    pytester.makepyfile("def test_one(dualwrite_db):\n    pass\n")
    result = pytester.runpytest_subprocess("--dualwrite", "--dualwrite-backend=all", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED*postgres unavailable: no URL*"])


def test_postgres_named_with_an_unreachable_url_fails_every_item_in_one_line(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", "postgresql://dw:Planted9Pw@127.0.0.1:1/app")
    pytester.makepyfile("def test_one(dualwrite_db):\n    pass\n")
    result = pytester.runpytest_subprocess("--dualwrite", "--dualwrite-backend=postgres")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*postgres: cannot connect to postgresql+psycopg://dw:***@"
                                 "127.0.0.1:1/app*"])
    assert "Planted9Pw" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(("ini", "message"), [
    ({"dualwrite_examples": "99999999999999999999"},
     "dualwrite_examples: '99999999999999999999' is more than 1,000,000"),
    ({"dualwrite_drift_ignore": "accounts kind:wibble"},
     "dualwrite_drift_ignore: 'kind:wibble' is not a rule"),
    ({"dualwrite_drift_ignore": "users.;drop"}, "dualwrite_drift_ignore: 'users.;drop' is not"),
    ({"dualwrite_drift_ignore": "users..email"}, "dualwrite_drift_ignore: 'users..email' is not"),
])
def test_absurd_or_garbage_settings_are_refused_naming_the_setting(
        ini: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve({}, {}, ini)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_good_drift_rules_are_kept() -> None:
    rules = "accounts accounts.email legacy_* kind:index kind:foreign_key public.users.*"
    assert resolve({}, {}, {"dualwrite_drift_ignore": rules}).drift_ignore == tuple(
        rules.split())


@pytest.mark.parametrize("where", ["folder", "missing"])
def test_report_path_that_cannot_be_a_file_is_one_line_before_the_run(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    monkeypatch.delenv("DUALWRITE_POSTGRES_URL", raising=False)
    copy_example(pytester, "mig_lossless")
    (pytester.path / "reports").mkdir()
    target = "reports" if where == "folder" else "nowhere/report.json"
    result = pytester.runpytest_subprocess("--dualwrite", f"--dualwrite-report={target}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    expected = "is a folder; give a file name" if where == "folder" else "does not exist"
    result.stderr.fnmatch_lines([f"ERROR: pytest-dualwrite: --dualwrite-report: *{expected}*"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    assert not (pytester.path / "nowhere").exists()  # no folder made behind the user's back


def test_report_in_an_existing_folder_is_written(pytester: pytest.Pytester,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DUALWRITE_POSTGRES_URL", raising=False)
    copy_example(pytester, "mig_lossless")
    (pytester.path / "reports").mkdir()
    result = pytester.runpytest_subprocess("--dualwrite", "--dualwrite-report=reports/r.json",
                                           "-k", "well_formed")
    result.assert_outcomes(passed=1)
    assert json.loads((pytester.path / "reports" / "r.json").read_text())["totals"]["passed"]


def test_spec_errors_keep_the_case_of_names(pytester: pytest.Pytester,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DUALWRITE_POSTGRES_URL", raising=False)
    copy_example(pytester, "mig_lossless")
    pytester.makepyfile(test_spec=SPEC.replace('key="ID"', 'key="NoSuchKey"'))
    result = pytester.runpytest_subprocess("--dualwrite", "-k", "spec")
    out = result.stdout.str()
    assert "'NoSuchKey'" in out and "'Accounts'" in out, out
