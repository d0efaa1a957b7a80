"""Shapes met on the five public histories of issue 11's acceptance (marquez, evidential-be,
ente, openfga, river), each as a minimal history written here: it applies on SQLite and
Postgres, and the rows read back the same on both."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from pytest_dualwrite.errors import MigrationError
from pytest_dualwrite.migrations.dialects import for_dialect, split

from .test_dialects import as_runner, migrate, rows, source


def decoded(raw: Any) -> Any:
    return raw if raw is None or isinstance(raw, (dict, list)) else json.loads(raw)


def test_jsonb_agg_of_a_row_from_a_scalar_subquery(any_engine: sa.Engine) -> None:
    """marquez V29: `jsonb_agg((SELECT x FROM (SELECT ..., ARRAY(...) AS tags) AS x))` was
    'no such column: x' on SQLite; each row is a JSON object, its array nested."""
    engine = as_runner(any_engine)
    migrate(engine, [
        "CREATE TABLE v (id INT PRIMARY KEY, fields JSONB);"
        "CREATE TABLE f (v_id INT, name TEXT, kind TEXT);"
        "CREATE TABLE tags (f_name TEXT, tag TEXT);"
        "INSERT INTO v (id) VALUES (1), (2); INSERT INTO f VALUES (1, 'a', 'INT');"
        "INSERT INTO tags VALUES ('a', 'pii');",
        "UPDATE v SET (fields) = (SELECT jsonb_agg((SELECT x FROM (SELECT f.name, f.kind, "
        "ARRAY(SELECT t.tag FROM tags t WHERE t.f_name = f.name) AS tags) AS x)) "
        "FROM f WHERE f.v_id = v.id GROUP BY f.v_id);",
    ])
    got = [(i, decoded(f)) for i, f in rows(engine, "SELECT id, fields FROM v ORDER BY id")]
    assert got == [(1, [{"name": "a", "kind": "INT", "tags": ["pii"]}]), (2, None)]


def test_a_view_keeps_its_columns_through_a_column_rename(any_engine: sa.Engine) -> None:
    """marquez V61: SQLite rewrote the unaliased `name` of a recursive CTE in a view, then
    refused the rename ('error in view jobs_view after rename: no such column: j2.name').
    Postgres binds the view to the column: it keeps its output names and its rows."""
    engine = as_runner(any_engine)
    migrate(engine, [
        "CREATE TABLE jobs (id INT PRIMARY KEY, name TEXT, parent INT);"
        "INSERT INTO jobs VALUES (1, 'a', NULL), (2, 'b', 1);"
        "CREATE VIEW jobs_view AS WITH RECURSIVE fqn AS (SELECT id, name, parent FROM jobs "
        "UNION SELECT j1.id, j2.name || '.' || j1.name AS name, j2.parent FROM jobs j1 "
        "JOIN fqn j2 ON j2.id = j1.parent) SELECT fqn.id, fqn.name, j.name AS simple "
        "FROM fqn JOIN jobs j ON j.id = fqn.id;",
        "ALTER TABLE jobs RENAME COLUMN name TO simple_name;"
        "ALTER TABLE jobs ADD COLUMN name TEXT;",
    ])
    assert rows(engine, "SELECT id, name, simple FROM jobs_view ORDER BY id, name") == [
        (1, "a", "a"), (2, "a.b", "b"), (2, "b", "b")]


def test_lateral_json_elements_and_one_row_lateral_aggregates(any_engine: sa.Engine) -> None:
    """evidential-be: `CROSS JOIN LATERAL jsonb_array_elements(doc->'arms') AS d(arm)`;
    ente: `FROM users, LATERAL (SELECT SUM(size) AS s ...) q` with a bare `s` outside.
    SQLite has no LATERAL: json_each, and a correlated scalar subquery."""
    engine = as_runner(any_engine)
    migrate(engine, [
        "CREATE TABLE e (id INT PRIMARY KEY, spec JSONB);"
        "CREATE TABLE arms (id TEXT PRIMARY KEY, name TEXT, e_id INT);"
        "CREATE TABLE files (owner INT, size INT); CREATE TABLE usage (owner INT, total INT);"
        "INSERT INTO e VALUES (1, '{\"arms\": [{\"arm_id\": \"x\", \"arm_name\": \"X\"}, "
        "{\"arm_id\": \"y\", \"arm_name\": \"Y\"}]}'), (2, '{\"arms\": []}');"
        "INSERT INTO files VALUES (1, 5), (1, 7);",
        "WITH src AS (SELECT d.arm->>'arm_id' AS id, d.arm->>'arm_name' AS name, e.id AS e_id "
        "FROM e CROSS JOIN LATERAL jsonb_array_elements(e.spec->'arms') AS d(arm)) "
        "INSERT INTO arms (SELECT * FROM src ORDER BY id);"
        "INSERT INTO usage (owner, total) SELECT e.id, COALESCE(s + 1, 0) FROM e, "
        "LATERAL (SELECT SUM(size) AS s FROM files WHERE files.owner = e.id) q;",
    ])
    assert rows(engine, "SELECT id, name, e_id FROM arms ORDER BY id") == [
        ("x", "X", 1), ("y", "Y", 1)]
    assert rows(engine, "SELECT owner, total FROM usage ORDER BY owner") == [(1, 13), (2, 0)]


def test_a_lateral_sqlite_cannot_rewrite_is_refused_naming_the_line() -> None:
    text = "SELECT 1;\nSELECT * FROM e, LATERAL (SELECT x FROM f WHERE f.e = e.id LIMIT 2) q;"
    with pytest.raises(MigrationError, match=r"001_init.sql:2: .*SQLite has no LATERAL join"):
        for_dialect(split(source(text), "postgres"), "postgres", "sqlite")


def test_json_values_keys_and_paths(any_engine: sa.Engine) -> None:
    """evidential-be: jsonb_set(.., to_jsonb(x)), `jsonb - 'key'`, jsonb_path_exists."""
    engine = as_runner(any_engine)
    migrate(engine, [
        "CREATE TABLE ev (id INT PRIMARY KEY, data JSONB, ds TEXT);"
        "INSERT INTO ev VALUES (1, '{\"a\": 1, \"hook\": 2}', 'd1'), (2, '{\"a\": 2}', NULL);",
        "UPDATE ev SET data = jsonb_set(data, '{ds}', to_jsonb(ds)) WHERE ds IS NOT NULL;"
        "UPDATE ev SET data = data - 'hook' WHERE jsonb_path_exists(data, '$.hook');",
    ])
    got = [(i, decoded(d)) for i, d in rows(engine, "SELECT id, data FROM ev ORDER BY id")]
    assert got == [(1, {"a": 1, "ds": "d1"}), (2, {"a": 2})]


def test_a_sql_function_is_inlined_where_sqlite_calls_it(any_engine: sa.Engine) -> None:
    """ente: `now_utc_micro_seconds()`, a LANGUAGE sql function of one SELECT, in DEFAULTs
    and backfills; EXTRACT(EPOCH FROM ...) on SQLite."""
    engine = as_runner(any_engine)
    context = migrate(engine, [
        "CREATE OR REPLACE FUNCTION micros() RETURNS BIGINT AS\n$$\nSELECT CAST(extract(EPOCH "
        "from now() at time zone 'utc') * 1000000 as BIGINT) ;\n$$ language sql;"
        "CREATE TABLE tag (id INT PRIMARY KEY, at BIGINT NOT NULL DEFAULT micros(), "
        "year INT);",
        "INSERT INTO tag (id) VALUES (1);"
        "UPDATE tag SET year = extract(year FROM timestamp '2024-03-05 10:00:00');",
    ])
    with engine.connect() as conn:
        now = conn.exec_driver_sql(
            "SELECT CAST(extract(epoch FROM now()) * 1000000 AS BIGINT)" if
            engine.dialect.name == "postgresql" else
            "SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)").scalar()
    at, year = rows(engine, "SELECT at, year FROM tag")[0]
    assert abs(now - at) < 60_000_000 and year == 2024
    if engine.dialect.name == "sqlite":
        assert [n.reason for n in context.skipped] == [
            "SQLite has no stored functions or procedures; its calls are inlined (one SQL "
            "expression)"]


def test_add_generated_identity_on_a_serial_key(any_engine: sa.Engine) -> None:
    """ente 25: DROP DEFAULT, DROP SEQUENCE, then ADD GENERATED ALWAYS AS IDENTITY
    (RESTART n): the next row gets n on both backends."""
    engine = as_runner(any_engine)
    migrate(engine, [
        "CREATE TABLE c (id SERIAL PRIMARY KEY, v TEXT); INSERT INTO c (v) VALUES ('a');",
        "ALTER TABLE c ALTER id DROP DEFAULT; DROP SEQUENCE c_id_seq;\n"
        "ALTER TABLE c\n    ALTER id ADD GENERATED ALWAYS AS IDENTITY (RESTART 1000);",
        "INSERT INTO c (v) VALUES ('b');",
    ])
    assert rows(engine, "SELECT id, v FROM c ORDER BY id") == [(1, "a"), (1000, "b")]


def test_identity_on_a_column_sqlite_cannot_number_is_refused(sqlite_engine: sa.Engine) -> None:
    engine = as_runner(sqlite_engine)
    with pytest.raises(MigrationError, match=r"002_step.sql:1: sqlite refused .*SQLite can only "
                                             r"number an INTEGER PRIMARY KEY, and c.n is not"):
        migrate(engine, ["CREATE TABLE c (id INT PRIMARY KEY, n INT NOT NULL);",
                         "ALTER TABLE c ALTER COLUMN n ADD GENERATED BY DEFAULT AS IDENTITY;"])


