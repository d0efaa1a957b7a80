"""The names CI sees: `--junitxml` testcases of the plugin's items.

pytest splits a node id at its last `::`: the spec (or migrations folder) becomes the
classname, as a test class would, so CI groups a spec's checks together, and the check
with its backend is the name. Names must be the same on every machine (no absolute path),
unique per backend, and free of `<...>` reprs.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import EXAMPLES

CONFTEST_SPEC = """
import catalog
from pytest_dualwrite import DualWrite

shared_spec = DualWrite(old="products", new="catalog_items", key={"sku": "item_sku"},
                        columns={"name": "title"}, expand=2, contract=3, write=catalog.write,
                        backfill=catalog.backfill)
"""

PLAIN = """
def test_db(dualwrite_db):
    pass
"""


def layout(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The products example as a project lays it out: app code and migrations at the top,
    tests in `tests/` (a spec in a module and one in conftest.py). Postgres is made
    unavailable (its items skip at once), so the names do not depend on a server."""
    source = EXAMPLES / "products"
    shutil.copytree(source / "migrations", pytester.path / "migrations")
    shutil.copy(source / "catalog.py", pytester.path / "catalog.py")
    shutil.copy(source / "pyproject.toml", pytester.path / "pyproject.toml")
    tests = pytester.mkdir("tests")
    shutil.copy(source / "test_catalog_migration.py", tests / "test_catalog_migration.py")
    (tests / "conftest.py").write_text(CONFTEST_SPEC)
    (tests / "test_plain.py").write_text(PLAIN)
    for name in ("DUALWRITE_POSTGRES_URL", "DUALWRITE_BACKENDS", "DW_BUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DUALWRITE_CONTAINERS", "false")
    return pytester.mkdir("no-postgres-binaries")


def junit_cases(path: Path) -> list[dict[str, str]]:
    return [dict(tc.attrib) for tc in ET.parse(path).iter("testcase")]


def test_junit_names_read_as_spec_and_check(pytester: pytest.Pytester,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    empty = layout(pytester, monkeypatch)
    result = pytester.runpytest_subprocess(
        "--dualwrite", "--dualwrite-backend=all", f"--dualwrite-postgres-bin={empty}",
        "--dualwrite-examples=3", "-p", "no:cacheprovider", "-p", "no:randomly",
        "-k", "upgrade_from_empty or backfill_preserves or test_db",
        "--junitxml=junit.xml", "-o", "junit_family=xunit1", timeout=300)
    result.assert_outcomes(passed=4, skipped=4)
    cases = junit_cases(pytester.path / "junit.xml")
    names = [(c["classname"], c["name"]) for c in cases]
    assert names == [
        ("migrations", "upgrade_from_empty[sqlite]"),
        ("migrations", "upgrade_from_empty[postgres]"),
        ("tests.conftest.shared_spec", "backfill_preserves_every_record[sqlite]"),
        ("tests.conftest.shared_spec", "backfill_preserves_every_record[postgres]"),
        ("tests.test_catalog_migration.products_to_catalog_items",
         "backfill_preserves_every_record[sqlite]"),
        ("tests.test_catalog_migration.products_to_catalog_items",
         "backfill_preserves_every_record[postgres]"),
        ("tests.test_plain", "test_db[sqlite]"),
        ("tests.test_plain", "test_db[postgres]"),
    ]
    assert len(set(names)) == len(names)
    for case in cases:
        text = case["classname"] + case["name"] + case["file"]
        assert "<" not in text and ">" not in text and str(pytester.path) not in text
    # xunit1 also gives where to look: the folder, or the spec's file and its line (0-based,
    # as pytest gives a test function's).
    where = {(c["classname"], c["file"], c.get("line")) for c in cases}
    assert where == {
        ("migrations", "migrations", None),
        ("tests.conftest.shared_spec", "tests/conftest.py", "4"),
        ("tests.test_catalog_migration.products_to_catalog_items",
         "tests/test_catalog_migration.py", "4"),
        ("tests.test_plain", "tests/test_plain.py", "1"),
    }


def test_a_migrations_folder_outside_rootdir_has_no_absolute_name(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """`dualwrite_migrations = ../migrations` from a `tests/pytest.ini`: the folder goes by
    its name, not by where this machine checked the project out."""
    layout(pytester, monkeypatch)
    tests = pytester.path / "tests"
    (tests / "pytest.ini").write_text("[pytest]\ndualwrite_migrations = ../migrations\n"
                                      "dualwrite_dialect = postgres\npythonpath = ..\n")
    result = pytester.runpytest_subprocess(
        "--dualwrite", "--dualwrite-backend=sqlite", "--dualwrite-examples=3",
        "-p", "no:cacheprovider", "-p", "no:randomly", "-k", "upgrade_from_empty",
        "--junitxml=junit.xml", str(tests), timeout=300)
    result.assert_outcomes(passed=1)
    assert [(c["classname"], c["name"]) for c in junit_cases(pytester.path / "junit.xml")] == [
        ("migrations", "upgrade_from_empty[sqlite]")]
