"""Postgres parses what sqlglot could not, downs included, in `migrations_are_well_formed`:
a broken down migration (ente's `DROP INDEX IF NOT EXISTS`, a missing comma between two
ALTER TABLE actions) is named by file:line before anyone needs to roll back, while the
upgrade, which never runs it, passes. A down that drops a parent before its children
is named by `downgrade_leaves_no_trace` (file:line and the server's reason)."""

from __future__ import annotations

import pytest

from .conftest import need_postgres
from .test_migration_checks import failure, run, scenario


def test_a_broken_down_is_named_by_file_and_line(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    need_postgres()
    project = scenario(pytester, monkeypatch, "mig_broken_down")
    result = run(project, "-k", "well_formed or upgrade_from_empty")
    result.assert_outcomes(passed=2, failed=2)  # the upgrade passes on both backends
    assert "000002_names.down.sql:1: cannot parse statement: DROP INDEX IF NOT EXISTS" in (
        failure(result, "migrations_are_well_formed", "sqlite"))
    text = failure(result, "migrations_are_well_formed", "postgres")
    assert text.splitlines() == [
        f"{project.path}/migrations/000002_names.down.sql:1: postgres cannot parse the "
        "statement 'DROP INDEX IF NOT EXISTS files_collection_index': syntax error at or "
        "near \"NOT\"",
        f"{project.path}/migrations/000002_names.down.sql:5: postgres cannot parse the "
        "statement 'ALTER TABLE collections DROP COLUMN encrypted_name DROP COLUMN nonce': "
        "syntax error at or near \"DROP\""]


def test_a_down_dropping_a_parent_first_is_named(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    need_postgres()
    project = scenario(pytester, monkeypatch, "mig_broken_down")
    (project.path / "migrations" / "000002_names.down.sql").write_text(
        "DROP INDEX files_collection_index;\n"
        "ALTER TABLE collections DROP COLUMN encrypted_name, DROP COLUMN nonce;\n")
    result = run(project, "--dualwrite-backend=postgres", "-k",
                 "well_formed or downgrade_leaves_no_trace")
    result.assert_outcomes(passed=1, failed=1)
    assert failure(result, "downgrade_leaves_no_trace", "postgres") == (
        f"{project.path}/migrations/000001_init.down.sql:2: postgres refused the statement "
        "'DROP TABLE collections': cannot drop table collections because other objects "
        "depend on it")
