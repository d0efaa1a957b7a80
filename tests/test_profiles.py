"""`--dualwrite-profile`: hypothesis profiles for quick local runs and thorough CI runs."""

from __future__ import annotations

import json

import hypothesis
import pytest

from pytest_dualwrite.profiles import PROFILES, parse_profile, profile_settings
from pytest_dualwrite.session import Session
from pytest_dualwrite.settings import resolve

from .conftest import copy_example


def test_profile_resolves_cli_over_env_over_ini_and_sets_the_items_settings() -> None:
    settings = resolve({"dualwrite_profile": "quick"}, {"DUALWRITE_PROFILE": "thorough"},
                       {"dualwrite_profile": "thorough"})
    assert (settings.profile, settings.source("profile")) == ("quick", "cli")
    settings = resolve({}, {"DUALWRITE_PROFILE": "Thorough"}, {"dualwrite_profile": "quick"})
    assert (settings.profile, settings.source("profile")) == ("thorough", "env")
    chosen = Session(settings).hypothesis_settings()
    assert chosen.max_examples == PROFILES["thorough"]["max_examples"]
    assert chosen.stateful_step_count == PROFILES["thorough"]["stateful_step_count"]
    assert chosen.deadline is None  # the plugin's own overrides still apply


def test_examples_setting_beats_the_profiles_count() -> None:
    settings = resolve({"dualwrite_examples": 3}, {}, {"dualwrite_profile": "thorough"})
    chosen = Session(settings).hypothesis_settings()
    assert chosen.max_examples == 3
    assert chosen.stateful_step_count == PROFILES["thorough"]["stateful_step_count"]


def test_without_a_profile_the_current_hypothesis_settings_stay() -> None:
    assert profile_settings(None).max_examples == hypothesis.settings().max_examples
    assert resolve({}, {}, {}).profile is None


def test_unknown_profile_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"^unknown profile 'fast' \(choose from quick, "
                                         r"thorough\)$"):
        parse_profile("fast")


def test_a_users_run_with_the_quick_profile(pytester: pytest.Pytester,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """As a user runs it: the profile from the ini file caps every item's examples, and the
    header says where it came from."""
    monkeypatch.delenv("DUALWRITE_POSTGRES_URL", raising=False)
    monkeypatch.delenv("DUALWRITE_PROFILE", raising=False)
    copy_example(pytester, "products")
    ini = pytester.path / "pyproject.toml"
    ini.write_text(ini.read_text() + 'dualwrite_profile = "quick"\n')
    result = pytester.runpytest_subprocess(
        "--dualwrite", "-p", "no:cacheprovider", "-k", "backfill_preserves or read_path",
        "--dualwrite-report=report.json")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*settings: *profile (from ini)*"])
    items = json.loads((pytester.path / "report.json").read_text())["items"]
    assert {i["check"] for i in items} == {"backfill_preserves_every_record",
                                           "read_path_matches"}
    for item in items:
        # hypothesis counts up to max_examples valid examples (and may stop sooner); a
        # default run would reach 100 here.
        assert 1 <= item["figures"]["examples"] <= PROFILES["quick"]["max_examples"]


def test_an_unknown_profile_is_one_usage_line(pytester: pytest.Pytester) -> None:
    copy_example(pytester, "products")
    result = pytester.runpytest_subprocess("--dualwrite", "-p", "no:cacheprovider",
                                           "--dualwrite-profile=fast")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--dualwrite-profile: unknown profile 'fast' (choose from "
                                 "quick, thorough)"])
    assert "Traceback" not in result.stderr.str()
