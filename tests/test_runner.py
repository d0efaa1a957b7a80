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
