"""The plugin's own source never feeds hypothesis' constants; the user's code still does."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import is_local_module_file

import pytest_dualwrite
from pytest_dualwrite.own_constants import is_own

OURS = "dualwrite-at"  # a literal of pytest_dualwrite/dualwrite/harness.py
THEIRS = "dw-user-7f3a"  # at most 20 characters: hypothesis skips longer ones

SCRIPT = """
import sys
sys.path.insert(0, {where!r})
import userthing  # the user's module, outside site-packages and tests
if {exclude}:
    from pytest_dualwrite.own_constants import exclude_own_constants
    assert exclude_own_constants()
import pytest_dualwrite.dualwrite.harness
from hypothesis.internal.conjecture import providers
strings = providers._get_local_constants().strings
print({ours!r} in strings, {theirs!r} in strings)
"""


def _constants(tmp_path: Path, exclude: bool) -> str:
    user = tmp_path / "app"
    user.mkdir(exist_ok=True)
    (user / "userthing.py").write_text(f"MAGIC = {THEIRS!r}\n")
    script = SCRIPT.format(where=str(user), exclude=exclude, ours=OURS, theirs=THEIRS)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_an_editable_install_draws_the_users_constants_and_not_ours(tmp_path: Path) -> None:
    if not is_local_module_file(pytest_dualwrite.__file__):
        pytest.skip("pytest_dualwrite is installed in site-packages: hypothesis never "
                    "reads its source, so there is nothing to exclude")
    assert _constants(tmp_path, exclude=False) == "True True"  # what hypothesis does alone
    assert _constants(tmp_path, exclude=True) == "False True"


def test_the_plugin_excludes_its_own_source_once_loaded() -> None:
    # This process loaded the plugin (pytest11): its pytest_configure made the change.
    assert getattr(providers.is_local_module_file, "_dualwrite_excludes", False)
    assert not providers.is_local_module_file(pytest_dualwrite.__file__)


def test_is_own_names_the_package_files_only(tmp_path: Path) -> None:
    assert is_own(pytest_dualwrite.__file__)
    assert not is_own(str(tmp_path / "pytest_dualwrite" / "plugin.py"))
    assert not is_own(__file__)
