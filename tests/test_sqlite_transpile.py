"""Postgres migrations on SQLite, each case the minimal reproduction of a defect seen on a
real history (issue 11): the statements run, and the database then behaves as Postgres'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from pytest_dualwrite.errors import MigrationError
from pytest_dualwrite.migrations.dialects import TranspileContext, for_dialect, split

from .test_dialects import as_runner, migrate, rows, source, value


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


def test_set_not_null_on_a_column_declared_null(any_engine: sa.Engine) -> None:
    """evidential-be: `x timestamptz NULL`, then `SET NOT NULL, SET DEFAULT now()` in one
    statement; SQLite kept the explicit NULL and dropped the NOT NULL."""
    engine = as_runner(any_engine)
    migrate(engine, [
        "CREATE TABLE tasks (id INT PRIMARY KEY, until timestamptz NULL);",
        "ALTER TABLE tasks ALTER COLUMN until SET NOT NULL, ALTER COLUMN until SET DEFAULT now();",
    ])
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO tasks (id) VALUES (1)")  # the default fills it
    with engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.exec_driver_sql("INSERT INTO tasks (id, until) VALUES (2, NULL)")


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


def test_dropped_triggers_functions_and_materialized_views(sqlite_engine: sa.Engine) -> None:
    """What Postgres drops after SQLite skipped creating it: no error, nothing lost."""
    engine = as_runner(sqlite_engine)
    context = migrate(engine, [
        "CREATE TABLE jobs (id INT);\n"
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
        "CREATE TRIGGER t1 BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION f();\n"
        "CREATE MATERIALIZED VIEW mv AS SELECT id FROM jobs;\n"
        "ALTER TABLE jobs SET (autovacuum_analyze_scale_factor = 0.01);",
        "DROP TRIGGER t1 ON jobs; DROP FUNCTION f; DROP MATERIALIZED VIEW mv;",
    ])
    assert rows(engine, "SELECT type, name FROM sqlite_master") == [("table", "jobs")]
    assert [n.reason for n in context.skipped] == [
        "SQLite has no stored functions or procedures",
        "SQLite cannot run a trigger written for Postgres: what it would do to rows is not done",
        "SQLite has no storage parameters", "SQLite has no stored functions or procedures"]


def test_json_aggregates_and_functions(any_engine: sa.Engine) -> None:
    """jsonb_agg of a column and of a derived table's row, array_agg, jsonb_set with a
    literal path, to_timestamp: the same JSON and times on both backends (NULL over no rows)."""
    engine = as_runner(any_engine)
    migrate(engine, [
        "CREATE TABLE j (id INT PRIMARY KEY, doc JSONB, names JSONB, at TIMESTAMP);"
        "CREATE TABLE v (j_id INT, name TEXT, n INT);"
        "INSERT INTO j (id, doc) VALUES (1, '{\"a\": 1}'), (2, '{\"a\": 2}');"
        "INSERT INTO v VALUES (1, 'x', 5), (1, 'y', 6);",
        "UPDATE j SET names = (SELECT jsonb_agg(q) FROM (SELECT v.name AS Label, v.n FROM v "
        "WHERE v.j_id = j.id ORDER BY v.n) q);"
        "UPDATE j SET doc = jsonb_set(doc, '{b}', '\"I\"') WHERE id = 1;"
        "UPDATE j SET at = to_timestamp(0);",
    ])
    got = rows(engine, "SELECT id, doc, names FROM j ORDER BY id")
    decoded = [(i, d if isinstance(d, dict) else json.loads(d),
                n if n is None or isinstance(n, list) else json.loads(n)) for i, d, n in got]
    assert decoded == [(1, {"a": 1, "b": "I"}, [{"label": "x", "n": 5}, {"label": "y", "n": 6}]),
                       (2, {"a": 2}, None)]
    assert str(value(engine, "SELECT at FROM j WHERE id = 2")).startswith("1970-01-01 00:00:00")


def test_insert_from_a_parenthesized_select_and_an_upsert_from_a_select(
        any_engine: sa.Engine) -> None:
    engine = as_runner(any_engine)
    migrate(engine, [
        "CREATE TABLE u (a INT PRIMARY KEY, b INT); CREATE TABLE x (a INT, b INT);"
        "INSERT INTO x VALUES (1, 1), (2, 2); INSERT INTO u VALUES (1, 0);",
        "INSERT INTO u (a, b) SELECT a, b FROM x ON CONFLICT (a) DO UPDATE SET b = excluded.b;"
        "INSERT INTO u (a, b) (SELECT a + 10, b FROM x);",
    ])
    assert rows(engine, "SELECT a, b FROM u ORDER BY a") == [(1, 1), (2, 2), (11, 1), (12, 2)]


def test_dropping_a_column_drops_its_constraints(sqlite_engine: sa.Engine) -> None:
    """SQLite refuses to drop a UNIQUE or foreign-key column; Postgres drops the constraints
    with it (seen on ente and evidential-be)."""
    engine = as_runner(sqlite_engine)
    migrate(engine, [
        "CREATE TABLE users (id INT PRIMARY KEY, email TEXT UNIQUE, name TEXT);"
        "CREATE TABLE owners (id INT PRIMARY KEY); INSERT INTO owners VALUES (1);"
        "CREATE TABLE tasks (id INT PRIMARY KEY, owner INT REFERENCES owners (id), "
        "note TEXT, CHECK (note <> ''));"
        "INSERT INTO users VALUES (1, 'a@b', 'x'); INSERT INTO tasks VALUES (1, 1, 'n');",
        "ALTER TABLE users DROP COLUMN email; ALTER TABLE tasks DROP COLUMN owner;"
        "ALTER TABLE tasks DROP COLUMN note;",
    ])
    assert rows(engine, "SELECT * FROM users") == [(1, "x")]
    assert rows(engine, "SELECT * FROM tasks") == [(1,)]


def test_a_referenced_table_is_rebuilt_by_the_runner(sqlite_engine: sa.Engine,
                                                     tmp_path: Path) -> None:
    """The runner turns foreign keys off for a migration and checks them as it commits
    (SQLite's procedure), so a table others reference can be rebuilt; a row the migration
    leaves without its parent is still refused, naming the file."""
    from pytest_dualwrite.migrations.discovery import discover
    from pytest_dualwrite.migrations.runner import Runner

    for name, text in {
        "001_init.sql": "CREATE TABLE p (id INT PRIMARY KEY, code TEXT, UNIQUE (code));"
                        "CREATE TABLE c (p_id INT REFERENCES p (id) ON DELETE CASCADE);"
                        "INSERT INTO p VALUES (1, 'a'); INSERT INTO c VALUES (1);",
        "002_relax.sql": "ALTER TABLE p DROP CONSTRAINT p_code_key;",
        "003_orphan.sql": "INSERT INTO c VALUES (7);",
    }.items():
        (tmp_path / name).write_text(text)
    engine = as_runner(sqlite_engine)
    runner = Runner(discover(tmp_path, lock=False), "postgres", "sqlite")
    runner.migrate_engine(engine, 2)
    assert rows(engine, "SELECT p_id FROM c") == [(1,)]  # no cascade ran
    with pytest.raises(MigrationError, match=r"003_orphan.sql: sqlite refused the migration: a "
                                             r"row of table \"c\" violates its foreign key"):
        runner.migrate_engine(engine, 3)
    assert rows(engine, "SELECT p_id FROM c") == [(1,)]
    assert value(engine, "PRAGMA foreign_keys") == 1


def test_unique_using_index_becomes_the_constraint(any_engine: sa.Engine) -> None:
    engine = as_runner(any_engine)
    migrate(engine, [
        "CREATE TABLE jobs (name TEXT, ns TEXT);"
        "CREATE UNIQUE INDEX jobs_ns_name ON jobs (name, ns);",
        "ALTER TABLE jobs ADD CONSTRAINT unique_jobs_ns_name UNIQUE USING INDEX jobs_ns_name;",
        "ALTER TABLE jobs DROP CONSTRAINT unique_jobs_ns_name;",
        "INSERT INTO jobs VALUES ('a', 'b'), ('a', 'b');",
    ])
    assert value(engine, "SELECT count(*) FROM jobs") == 2


def test_a_sqlite_blob_holding_json_text_runs_on_postgres(pg_engine: sa.Engine) -> None:
    """river's SQLite history: `metadata blob NOT NULL DEFAULT (json('{}'))` was refused
    by Postgres ('column "metadata" is of type bytea but default expression is of type
    json'); the BYTEA column takes the JSON text."""
    text = ("CREATE TABLE q (name text PRIMARY KEY NOT NULL, "
            "metadata blob NOT NULL DEFAULT (json('{ }')), tags blob DEFAULT (json('[]')));"
            "INSERT INTO q (name) VALUES ('a');")
    statements = for_dialect(split(source(text), "sqlite"), "sqlite", "postgres")
    with pg_engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement.sql)
    assert rows(pg_engine, "SELECT convert_from(metadata, 'UTF8'), convert_from(tags, 'UTF8') "
                           "FROM q") == [("{}", "[]")]


def test_array_subqueries_and_filtered_aggregates(any_engine: sa.Engine) -> None:
    """ARRAY(SELECT ...) and array_agg(...) FILTER (WHERE ...) as JSON arrays on SQLite
    (marquez), NULL over no rows as in Postgres; an index on a materialized view (a plain
    view there) is skipped."""
    engine = as_runner(any_engine)
    context = migrate(engine, [
        "CREATE TABLE t0 (id INT PRIMARY KEY, tags TEXT[], big TEXT[]);"
        "CREATE TABLE tags (name TEXT, x INT);"
        "INSERT INTO t0 (id) VALUES (1), (2); INSERT INTO tags VALUES ('b', 1), ('a', 1);"
        "CREATE MATERIALIZED VIEW mv AS SELECT id FROM t0; CREATE INDEX mv_id ON mv (id);",
        "UPDATE t0 SET tags = ARRAY(SELECT t.name FROM tags t WHERE t.x = t0.id "
        "ORDER BY t.name);"
        "UPDATE t0 SET big = (SELECT array_agg(t.name) FILTER (WHERE "
        "t.name > 'a') FROM tags t WHERE t.x = t0.id);",
    ])
    got = [(i, t if isinstance(t, list) else json.loads(t),
            b if b is None or isinstance(b, list) else json.loads(b))
           for i, t, b in rows(engine, "SELECT id, tags, big FROM t0 ORDER BY id")]
    assert got == [(1, ["a", "b"], ["b"]), (2, [], None)]
    if engine.dialect.name == "sqlite":
        assert "SQLite cannot index a view" in " ".join(n.reason for n in context.skipped)
