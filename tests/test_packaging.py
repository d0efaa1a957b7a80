"""What the distribution promises: typed, licensed, and a sqlglot range CI checks at both ends."""

from __future__ import annotations

import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
# Read as text: tomllib is Python 3.11+, and the plugin supports 3.10.
PYPROJECT = (ROOT / "pyproject.toml").read_text()


def _sqlglot() -> Requirement:
    found = [Requirement(r) for r in re.findall(r'^\s*"(sqlglot[^"]*)",', PYPROJECT, re.M)]
    assert len(found) == 1
    return found[0]


def test_sqlglot_is_a_range_and_ci_tests_both_ends() -> None:
    spec = _sqlglot().specifier
    assert not any(s.operator == "==" for s in spec), "an exact pin clashes with other tools"
    ci = (ROOT / ".ci" / "run").read_text()
    match = re.search(r'^SQLGLOT_ENDS="([^"]+)"$', ci, re.M)
    assert match, ".ci/run names the sqlglot versions it tests"
    low, high = (Version(v) for v in match.group(1).split())
    lower = next(s for s in spec if s.operator == ">=")
    assert low == Version(lower.version), "CI tests the lowest version allowed"
    assert low in spec and high in spec and low < high


def test_license_and_types_ship() -> None:
    assert re.search(r'^license = "MIT"$', PYPROJECT, re.M)
    assert re.search(r'^license-files = \["LICENSE"\]$', PYPROJECT, re.M)
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert (ROOT / "pytest_dualwrite" / "py.typed").exists()
    package_data = (r'^\[tool\.setuptools\.package-data\]\n(#.*\n)*'
                    r'pytest_dualwrite = \["py\.typed"\]')
    assert re.search(package_data, PYPROJECT, re.M)
