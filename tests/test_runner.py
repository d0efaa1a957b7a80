"""The runner's shortcuts for spec checks: which steps only create tables, and moving from
a known position without asking the database."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from pytest_dualwrite.migrations.discovery import discover
from pytest_dualwrite.migrations.runner import VERSION_TABLE, Runner

OLD = "CREATE TABLE products (sku VARCHAR(40) PRIMARY KEY, name TEXT NOT NULL);\n"


def runner_for(tmp_path: Path, *steps: str, target: str = "postgres") -> Runner:
    """Statements are prepared for `target` without a database: Postgres keeps a plpgsql
    function (opaque), where SQLite would ask for a stand-in."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for i, text in enumerate([OLD, *steps], 1):
        name = f"{i:03d}_step.py" if text.startswith("def ") else f"{i:03d}_step.sql"
        (folder / name).write_text(text)
    return Runner(discover(folder, lock=False), "postgres", target)


@pytest.mark.parametrize("expand", [
    "CREATE TABLE items (item_sku VARCHAR(40) PRIMARY KEY, title TEXT);\n"
    "CREATE INDEX items_title ON items (title);",
    "CREATE TABLE items (item_sku VARCHAR(40) PRIMARY KEY REFERENCES products (sku) "
    "ON DELETE CASCADE);",
    "CREATE SEQUENCE item_numbers;\nCREATE TABLE items (n BIGINT);",
])
def test_steps_that_only_create_new_tables_are_recognised(tmp_path: Path, expand: str) -> None:
    assert runner_for(tmp_path, expand).creates_only(1, 2)


@pytest.mark.parametrize("expand", [
    "ALTER TABLE products ADD COLUMN title TEXT;",
    "CREATE UNIQUE INDEX products_name ON products (name);",  # would refuse existing rows
    "CREATE TABLE items AS SELECT sku AS item_sku, name AS title FROM products;",
    "INSERT INTO products (sku, name) VALUES ('a', 'b');",
    "CREATE TABLE items (item_sku TEXT);\n"
    "CREATE FUNCTION copy_item() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN INSERT INTO items VALUES (NEW.sku); RETURN NEW; END $$;",
    "def upgrade(conn):\n    pass\n",
])
def test_steps_that_touch_what_exists_are_not(tmp_path: Path, expand: str) -> None:
    assert not runner_for(tmp_path, expand).creates_only(1, 2)


def test_an_empty_range_creates_nothing_and_is_safe(tmp_path: Path) -> None:
    assert runner_for(tmp_path, "CREATE TABLE items (a INT);").creates_only(2, 2)


def test_migrate_between_trusts_the_position_it_is_given(tmp_path: Path) -> None:
    runner = runner_for(tmp_path, "CREATE TABLE items (a INT);", "CREATE TABLE more (b INT);",
                        target="sqlite")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    runner.migrate_to_index_engine(engine, 1)
    with engine.connect() as conn, conn.begin():
        runner.migrate_between(conn, 1, 3)
    with engine.connect() as conn:
        assert runner.current(conn) == 3
        assert {"items", "more"} <= set(sa.inspect(conn).get_table_names())
        versions = conn.exec_driver_sql(f"SELECT position FROM {VERSION_TABLE}").scalars()
        assert sorted(versions) == [1, 2, 3]


# --- the tool's own bookkeeping table (defect 11) ----------------------------------------------

TOOL_HISTORIES = {
    # golang-migrate: one row, the last version, rewritten after each step
    "golang-migrate": ({
        "001_accounts.up.sql": "CREATE TABLE accounts (id INTEGER PRIMARY KEY);",
        "001_accounts.down.sql": "DROP TABLE accounts;",
        "003_report.up.sql": "CREATE VIEW applied AS SELECT version FROM schema_migrations;",
        "003_report.down.sql": "DROP VIEW applied;",
    }, "schema_migrations", "SELECT version, dirty FROM schema_migrations",
        [(3, False)], [(1, False)]),
    # dbmate: a row a migration, the version as text
    "dbmate": ({
        "20240101000000_accounts.sql": "-- migrate:up\nCREATE TABLE accounts (id INTEGER);\n"
                                       "-- migrate:down\nDROP TABLE accounts;\n",
        "20240201000000_report.sql": "-- migrate:up\nCREATE VIEW applied AS SELECT version "
                                     "FROM schema_migrations;\n-- migrate:down\nDROP VIEW "
                                     "applied;\n",
    }, "schema_migrations", "SELECT version FROM schema_migrations ORDER BY version",
        [("20240101000000",), ("20240201000000",)], [("20240101000000",)]),
    # goose: version 0 when the table is made, then a row a step
    "goose": ({
        "00001_accounts.sql": "-- +goose Up\nCREATE TABLE accounts (id INTEGER);\n"
                              "-- +goose Down\nDROP TABLE accounts;\n",
        "00002_report.sql": "-- +goose Up\nCREATE VIEW applied AS SELECT version_id FROM "
                            "goose_db_version;\n-- +goose Down\nDROP VIEW applied;\n",
    }, "goose_db_version", "SELECT version_id FROM goose_db_version ORDER BY id",
        [(0,), (1,), (2,)], [(0,), (1,)]),
    # Flyway: a row a migration, its rank, version, description and script
    "flyway": ({
        "V1__accounts.sql": "CREATE TABLE accounts (id INTEGER);",
        "V1_1__report.sql": 'CREATE VIEW applied AS SELECT "version" FROM '
                            '"flyway_schema_history";',
        "U1_1__report.sql": "DROP VIEW applied;",
    }, "flyway_schema_history",
        'SELECT "installed_rank", "version", "description", "script" FROM '
        '"flyway_schema_history" ORDER BY 1',
        [(1, "1", "accounts", "V1__accounts.sql"), (2, "1.1", "report", "V1_1__report.sql")],
        [(1, "1", "accounts", "V1__accounts.sql")]),
}


@pytest.mark.parametrize("tool", sorted(TOOL_HISTORIES))
def test_the_tools_table_is_made_and_kept_as_the_tool_does(
        tmp_path: Path, any_engine: sa.Engine, tool: str) -> None:
    files, table, query, at_head, after_down = TOOL_HISTORIES[tool]
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    target = any_engine.dialect.name.replace("postgresql", "postgres")
    runner = Runner(discover(folder), "postgres", target)
    assert runner.own_tables == {VERSION_TABLE, table}
    runner.migrate_to_index_engine(any_engine, 2)
    with any_engine.connect() as conn:
        assert [tuple(r) for r in conn.exec_driver_sql(query)] == at_head
        assert conn.exec_driver_sql("SELECT count(*) FROM applied").scalar() == len(at_head)
    runner.migrate_to_index_engine(any_engine, 1)
    with any_engine.connect() as conn:
        assert [tuple(r) for r in conn.exec_driver_sql(query)] == after_down


def test_a_history_that_never_names_the_tools_table_gets_none(
        tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    runner = runner_for(tmp_path, "CREATE TABLE items (a INT);", target="sqlite")
    assert runner.own_tables == {VERSION_TABLE}
    runner.migrate_to_index_engine(sqlite_engine, 2)
    assert set(sa.inspect(sqlite_engine).get_table_names()) == {
        VERSION_TABLE, "products", "items"}


# --- the runner's own table does not depend on search_path (issue 13, item 6) ------------------

SEARCH_PATH_STEPS = {
    "pg_dump preamble": "SELECT pg_catalog.set_config('search_path', '', false);\n"
                        "CREATE TABLE public.items (id integer PRIMARY KEY);",
    "SET search_path": "CREATE SCHEMA s2;\nSET search_path TO s2;\n"
                       "CREATE TABLE items (id integer PRIMARY KEY);",
    "DROP SCHEMA public": "DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n"
                          "CREATE TABLE items (id integer PRIMARY KEY);",
}


@pytest.mark.parametrize("step", sorted(SEARCH_PATH_STEPS))
def test_the_version_table_survives_search_path_changes_on_postgres(
        tmp_path: Path, pg_engine: sa.Engine, step: str) -> None:
    runner = runner_for(tmp_path, SEARCH_PATH_STEPS[step], "CREATE TABLE later (id integer);")
    with pg_engine.connect() as conn:
        runner.migrate_to_index(conn, 3)
        assert runner.current(conn) == 3
        # the step's search_path does not leak into the next one, nor into the checks
        assert conn.exec_driver_sql("SHOW search_path").scalar() == '"$user", public'
        assert "later" in sa.inspect(conn).get_table_names()
    with pg_engine.connect() as conn:  # a fresh connection finds where it is
        assert runner.current(conn) == 3
    # the plugin's own table is out of the user's schema
    assert VERSION_TABLE not in sa.inspect(pg_engine).get_table_names()
