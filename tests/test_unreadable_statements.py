"""Defect 2 of issue 11: what sqlglot cannot read no longer stops a history.

On the dialect a migration is written in, the server is the judge: the statement runs as
written, and the item lists it. Where it would need transpiling (SQLite), the check fails
in one line naming file:line and the stand-in that would replace the file. The static
drift check names it among what it could not fold.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from pytest_dualwrite.migrations.dialects import split
from pytest_dualwrite.schema.from_sql import from_sql

from .conftest import postgres_url
from .test_dialects import as_runner, migrate, source, value

# Each one seen on a real history: Atlas writes the first for every removed comment.
UNREADABLE = [
    "COMMENT ON COLUMN t.a IS NULL",
    "CREATE TABLE w (tags text ARRAY, id int)",
    "INSERT INTO t (a, b) SELECT x.a, y.b FROM x CROSS JOIN y ON CONFLICT (a) DO UPDATE "
    "SET b = excluded.b",
]
SETUP = ("CREATE TABLE t (a int PRIMARY KEY, b int); CREATE TABLE x (a int);"
         "CREATE TABLE y (b int); INSERT INTO x VALUES (1); INSERT INTO y VALUES (2);")


@pytest.mark.parametrize("text", UNREADABLE)
def test_what_sqlglot_cannot_read_runs_on_postgres(pg_engine: sa.Engine, text: str) -> None:
    engine = as_runner(pg_engine)
    context = migrate(engine, [SETUP, f"{text};"])
    assert [(n.statement.line, n.action) for n in context.listed] == [(1, "unread")]
    if text.startswith("INSERT"):
        assert value(engine, "SELECT b FROM t WHERE a = 1") == 2


def test_the_static_fold_names_what_it_could_not_read() -> None:
    text = "CREATE TABLE t (a int PRIMARY KEY, b int);\n" + ";\n".join(UNREADABLE) + ";"
    schema = from_sql(split(source(text, "001_x.sql"), "postgres"), "postgres")
    assert [t.name for t in schema.tables] == ["t"]
    (note,) = schema.notes
    assert note.startswith("not folded: migrations/001_x.sql:3: CREATE TABLE w (tags text "
                           "ARRAY, ... (sqlglot cannot read it: ")


def test_a_history_sqlglot_cannot_read_applies_on_postgres_and_fails_in_one_line_on_sqlite(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = pytester.path / "migrations"
    folder.mkdir()
    (folder / "001_setup.sql").write_text(SETUP.replace(";", ";\n"))
    (folder / "002_odd.sql").write_text("-- as tools write them\n" + ";\n".join(UNREADABLE) + ";\n")
    pytester.makeini("[pytest]\ndualwrite_migrations = migrations\ndualwrite_dialect = postgres\n")
    backends = "sqlite,postgres" if postgres_url() else "sqlite"
    if postgres_url():
        monkeypatch.setenv("DUALWRITE_POSTGRES_URL", postgres_url() or "")
    result = pytester.runpytest_inprocess(
        "--dualwrite", f"--dualwrite-backend={backends}", "-p", "no:cacheprovider",
        "-k", "well_formed or upgrade_from_empty", "--dualwrite-report=report.json")
    where = folder / "002_odd.sql"
    failed = [line for line in result.stdout.lines if line.startswith("cannot run on sqlite")]
    # COMMENT ON is skipped on SQLite anyway; the table with the array column is not
    assert len(failed) == 2 and failed[0] == failed[1], result.stdout.str()
    assert failed[0].startswith(f"cannot run on sqlite: {where}:3: cannot parse statement: "
                                f"CREATE TABLE w (tags text ARRAY, id int) (")
    assert failed[0].endswith("add 002_odd.sqlite.sql as a stand-in")
    if postgres_url():
        result.assert_outcomes(passed=2, failed=2)
        items = json.loads((pytester.path / "report.json").read_text())["items"]
        notes = {i["check"]: i["notes"] for i in items if i["backend"] == "postgres"}
        assert [n.split(": run unread")[0] for n in notes["upgrade_from_empty"]] == [
            f"{where}:{line}" for line in (2, 3, 4)]
