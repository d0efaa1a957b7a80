"""Postgres migrations on SQLite, each case the minimal reproduction of a defect seen on a
real history (issue 11): the statements run, and the database then behaves as Postgres'."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pytest_dualwrite.errors import MigrationError
from pytest_dualwrite.migrations.dialects import TranspileContext, for_dialect, split

from .test_dialects import as_runner, migrate, rows, source


def test_a_not_null_column_added_to_a_table_with_a_table_constraint(
        any_engine: sa.Engine) -> None:
    """Defect 1: the rebuilt definition put the new column after UNIQUE (a): 'malformed
    database schema'."""
    engine = as_runner(any_engine)
    migrate(engine, [
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, UNIQUE (a)); INSERT INTO t VALUES (1, 2);",
        "ALTER TABLE t ADD COLUMN b INT NOT NULL DEFAULT 0;",
        "ALTER TABLE t ADD COLUMN c TEXT NOT NULL DEFAULT 'x', ADD COLUMN d INT NULL;",
    ])
    assert rows(engine, "SELECT id, a, b, c, d FROM t") == [(1, 2, 0, "x", None)]
    with engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.exec_driver_sql("INSERT INTO t (id, a) VALUES (2, 2)")  # UNIQUE (a) kept


def test_a_table_constraint_written_before_a_column(any_engine: sa.Engine) -> None:
    engine = as_runner(any_engine)
    migrate(engine, ["CREATE TABLE u (id INT, UNIQUE (a), a INT, PRIMARY KEY (id));",
                     "INSERT INTO u VALUES (1, 5);"])
    assert rows(engine, "SELECT id, a FROM u") == [(1, 5)]
    with engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.exec_driver_sql("INSERT INTO u VALUES (2, 5)")


def test_rename_without_the_column_keyword_renames_the_column(any_engine: sa.Engine) -> None:
    """Defect 4: sqlglot reads `RENAME a TO b` as a table rename."""
    engine = as_runner(any_engine)
    migrate(engine, ["CREATE TABLE s (id INT PRIMARY KEY, a TEXT); INSERT INTO s VALUES (1, 'x');",
                     "ALTER TABLE s RENAME a TO b;"])
    assert rows(engine, "SELECT id, b FROM s") == [(1, "x")]
    (statement,) = split(source("ALTER TABLE s RENAME a TO b"), "postgres")
    assert statement.expression.sql("postgres") == "ALTER TABLE s RENAME COLUMN a TO b"


def test_an_unnamed_index_gets_the_name_postgres_gives_it(any_engine: sa.Engine) -> None:
    """Defect 6: SQLite refuses an index without a name; Postgres calls it m_version_idx,
    and the second on the same columns m_version_idx1, which a later DROP INDEX names."""
    engine = as_runner(any_engine)
    migrate(engine, [
        "CREATE TABLE m (version INT, label TEXT);",
        "CREATE UNIQUE INDEX ON m (version); CREATE INDEX ON m (version, lower(label));",
        "CREATE INDEX ON m (version);",
        "DROP INDEX m_version_idx1;",
    ])
    if engine.dialect.name == "sqlite":
        names = rows(engine, "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY 1")
    else:
        names = rows(engine, "SELECT indexname FROM pg_indexes WHERE tablename = 'm' ORDER BY 1")
    assert names == [("m_version_idx",), ("m_version_lower_idx",)]
    with engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.exec_driver_sql("INSERT INTO m VALUES (1, 'a'), (1, 'b')")


def test_collate_c_on_an_index_is_binary_on_sqlite(any_engine: sa.Engine) -> None:
    """Defect 7: 'no such collation sequence: C'."""
    engine = as_runner(any_engine)
    context = migrate(engine, [
        "CREATE TABLE tuple (store TEXT, _user TEXT);",
        'CREATE INDEX idx_user_lookup ON tuple (store, _user COLLATE "C");',
        'CREATE INDEX idx_other ON tuple (_user COLLATE "de_DE");' if engine.dialect.name
        == "sqlite" else "SELECT 1;",
        "INSERT INTO tuple VALUES ('s', 'b'), ('s', 'B');",
        """UPDATE tuple SET store = 't' WHERE _user COLLATE "C" > 'a';""",
    ])
    assert rows(engine, "SELECT _user, store FROM tuple ORDER BY 1") == [("B", "s"), ("b", "t")]
    if engine.dialect.name == "sqlite":
        assert [n.reason for n in context.notes] == [
            "collation de_DE dropped (SQLite has BINARY, NOCASE, RTRIM)"]


def test_drop_schema_public_cascade_drops_every_table(sqlite_engine: sa.Engine) -> None:
    """Issue 13 item 6: an AttributeError in the fix-ups; now every table and view goes,
    as on Postgres, and the history goes on in the recreated schema."""
    engine = as_runner(sqlite_engine)
    context = migrate(engine, [
        "CREATE TABLE p (id INT PRIMARY KEY); CREATE TABLE c (p_id INT REFERENCES p (id));"
        "CREATE VIEW v AS SELECT * FROM c; INSERT INTO p VALUES (1); INSERT INTO c VALUES (1);",
        "DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE TABLE p (id INT);",
    ])
    assert rows(engine, "SELECT type, name FROM sqlite_master") == [("table", "p")]
    assert [n.reason for n in context.skipped] == ["SQLite has one schema"]
    with pytest.raises(MigrationError, match=r"002_step.sql:1: sqlite refused the statement "
                                             r"'DROP SCHEMA public': cannot drop schema public"):
        migrate(engine, ["DROP SCHEMA public;"], start=2)


def test_drop_of_another_schema() -> None:
    statements = split(source("DROP SCHEMA IF EXISTS audit CASCADE;\nDROP SCHEMA audit;"),
                       "postgres")
    context = TranspileContext()
    with pytest.raises(MigrationError, match=r"001_init.sql:2: .*SQLite has no schemas"):
        for_dialect(statements, "postgres", "sqlite", context=context)
    assert [n.reason for n in context.skipped] == ["SQLite has no other schema than its own"]


@pytest.mark.parametrize("begin", ["BEGIN", "START TRANSACTION", "BEGIN ISOLATION LEVEL "
                                   "SERIALIZABLE"])
@pytest.mark.parametrize("end", ["COMMIT", "END", "ABORT", "ROLLBACK"])
def test_transaction_control_words_are_left_to_the_runner(begin: str, end: str) -> None:
    """Issue 13 item 7: START TRANSACTION and ABORT were 'not a statement; a typo?'."""
    statements = split(source(f"{begin};\nCREATE TABLE a (id int);\n{end};"), "postgres")
    for target in ("postgres", "sqlite"):
        context = TranspileContext()
        out = for_dialect(statements, "postgres", target, context=context)
        assert [s.line for s in out] == [2]
        assert [n.action for n in context.notes] == ["skipped", "skipped"]


def test_savepoints_run_as_written(any_engine: sa.Engine) -> None:
    """SAVEPOINT, ROLLBACK TO and RELEASE work inside the migration's transaction on both
    backends: what is rolled back to is undone, the rest is kept."""
    engine = as_runner(any_engine)
    context = migrate(engine, [
        "CREATE TABLE a (id INT);\nSAVEPOINT before_seed;\nINSERT INTO a VALUES (1);\n"
        "ROLLBACK TO SAVEPOINT before_seed;\nINSERT INTO a VALUES (2);\n"
        "RELEASE SAVEPOINT before_seed;\nSAVEPOINT two;\nINSERT INTO a VALUES (3);\n"
        "ROLLBACK TO two;\nRELEASE two;"])
    assert rows(engine, "SELECT id FROM a") == [(2,)]
    assert context.notes == []
