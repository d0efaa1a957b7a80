"""The user's own code misbehaving, as users meet it: `pytest --dualwrite` in a subprocess.

A callable that returns the wrong thing, a models module that exits, a migration step
that fails only on a later call, a key that cannot name a record: each fails its items
with one line naming the spec, file or setting, never a traceback.
"""

from __future__ import annotations

import re

import pytest

from .conftest import copy_example
from .test_bad_inputs import assert_each_fails_with, edit, run, spec_items, spec_line


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The products example (three migrations, one spec), with no dualwrite env set."""
    copy_example(pytester, "products")
    for name in ("DW_BUG", "DUALWRITE_POSTGRES_URL", "DUALWRITE_BACKENDS", "DUALWRITE_DIALECT",
                 "DUALWRITE_MIGRATIONS", "DUALWRITE_MODELS", "DUALWRITE_CALL_TIMEOUT",
                 "DUALWRITE_MAX_BATCHES"):
        monkeypatch.delenv(name, raising=False)
    return pytester


def test_read_returning_a_non_mapping_fails_with_one_line(project: pytest.Pytester) -> None:
    edit(project.path / "catalog.py", "def read(conn: sa.Connection, sku: str) -> dict | None:\n",
         "def read(conn, sku):\n    return 42\n\n\ndef _read(conn, sku):\n")
    result = run(project, "-k", "read_path_matches")
    assert_each_fails_with(
        result, rf"{spec_line(project)}: products_to_catalog_items: read=catalog\.read "
        r"returned int 42 for key=.*; it must return a dict of sku, name, description, "
        r"price_cents, updated_at or None",
        ["products_to_catalog_items::read_path_matches[sqlite]"])


def test_a_models_module_that_exits_fails_with_one_line(project: pytest.Pytester) -> None:
    (project.path / "appmodels.py").write_text("import sys\n\nsys.exit(3)\n")
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'dualwrite_models = "appmodels:Base"\n')
    result = run(project, "-k", "models_match_migrations")
    assert_each_fails_with(
        result, r"dualwrite_models = 'appmodels:Base': cannot import 'appmodels': SystemExit: 3",
        ["migrations::models_match_migrations[sqlite]",
         "migrations::models_match_migrations[static]"])


def test_a_python_step_failing_only_on_a_later_call_fails_with_one_line(
        project: pytest.Pytester) -> None:
    # Fine the first times (upgrade_from_empty, the template), then once not: the check
    # runs the step again on the same rows, it passes, and the line says so.
    step = project.path / "migrations" / "004_touch.py"
    step.write_text("CALLS = [0]\n\n\ndef upgrade(conn):\n    CALLS[0] += 1\n"
                    "    if CALLS[0] == 4:\n        raise RuntimeError('fourth call')\n")
    result = run(project, "--dualwrite-examples=5", "-k", "each_step_preserves_rows")
    assert_each_fails_with(
        result, rf"{re.escape(str(step))}: upgrade\(conn\) failed: RuntimeError: fourth call "
        r"\(only once: run again with the same data it passed; does it depend on how many "
        r"times it was called\?\)", ["migrations::each_step_preserves_rows[sqlite]"])


@pytest.mark.parametrize("declared", ["UNIQUE", "NOT NULL UNIQUE"])
def test_a_nullable_unique_key_is_refused_with_one_line(project: pytest.Pytester,
                                                        declared: str) -> None:
    """UNIQUE lets many rows hold NULL: no record is named by such a key; NOT NULL UNIQUE
    is a key."""
    edit(project.path / "migrations" / "001_create_products.sql",
         "sku         VARCHAR(40) PRIMARY KEY,",
         f"id INTEGER PRIMARY KEY,\n    sku VARCHAR(40) {declared},")
    result = run(project, "-k", "products_to_catalog_items")
    if declared != "UNIQUE":
        result.assert_outcomes(passed=len(spec_items()))
        return
    assert_each_fails_with(
        result, rf"{spec_line(project)}: products_to_catalog_items: key column 'sku' of old "
        r"table 'products' is nullable: UNIQUE allows many NULLs, so it names no one record "
        r"\(declare it NOT NULL\)", spec_items())
