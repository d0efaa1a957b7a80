"""`each_step_preserves_rows`: which tables a step needs rows in, the one-database walk on
Postgres, and a failing run that prints the failure, not the driver's noise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_dualwrite.errors import DualWriteAssertion
from pytest_dualwrite.migrations.model import Statement
from pytest_dualwrite.schema.model import Column, ColumnType, ForeignKey, Schema, Table
from pytest_dualwrite.session import Session
from pytest_dualwrite.settings import resolve
from pytest_dualwrite.step_tables import tables_touched, with_related
from pytest_dualwrite.steps import check_steps

from .conftest import need_postgres, postgres_url


def _table(name: str, *fks: str) -> Table:
    columns = (Column("id", ColumnType("integer")),
               *(Column(f"{ref}_id", ColumnType("integer")) for ref in fks))
    return Table(name, columns, primary_key=("id",),
                 foreign_keys=frozenset(ForeignKey((f"{ref}_id",), ref, ("id",)) for ref in fks))


# accounts <- orders <- order_lines -> products; audit stands alone
SCHEMA = Schema(tables=(_table("accounts"), _table("products"), _table("orders", "accounts"),
                        _table("order_lines", "orders", "products"), _table("audit")))


def touched(*sql: str, triggers: bool = False) -> set[str]:
    statements = [Statement(s, Path("m.sql"), 1, s) for s in sql]
    return tables_touched(statements, SCHEMA, lambda: triggers)


@pytest.mark.parametrize("sql", [
    "CREATE TABLE refunds (id INT PRIMARY KEY, order_id INT REFERENCES orders (id))",
    "CREATE INDEX ix_orders_account ON orders (accounts_id)",
    "CREATE OR REPLACE VIEW v AS SELECT * FROM orders JOIN accounts ON true",
    "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN DELETE FROM audit; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER t AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION f()",
    "COMMENT ON TABLE orders IS 'orders'",
    "GRANT SELECT ON orders TO reader",
    "-- only a comment",
])
def test_a_step_that_cannot_change_rows_needs_none(sql: str) -> None:
    assert touched(sql) == set()


def test_an_altered_table_needs_rows_with_the_tables_it_references() -> None:
    assert touched("ALTER TABLE order_lines ADD COLUMN qty INT NOT NULL") == {
        "order_lines", "orders", "products", "accounts"}
    assert touched("ALTER TABLE accounts ADD COLUMN email TEXT") == {"accounts"}
    assert touched("CREATE UNIQUE INDEX ux ON products (id)") == {"products"}


def test_a_write_reaches_the_rows_that_reference_its_table() -> None:
    everything_below = {"accounts", "orders", "order_lines", "products"}
    assert touched("DELETE FROM accounts WHERE id = 1") == everything_below
    assert touched("TRUNCATE orders CASCADE") == everything_below
    assert touched("UPDATE audit SET id = id + 1") == {"audit"}


@pytest.mark.parametrize("sql", [
    "DO $$ BEGIN EXECUTE 'DELETE FROM ' || 'audit'; END $$",
    "SELECT backfill_orders()",
    "ALTER TYPE status RENAME VALUE 'a' TO 'b'",
    "UPDATE audit SET id = rewrite(id)",
])
def test_code_or_a_type_change_may_reach_every_table(sql: str) -> None:
    assert touched(sql) == {t.name for t in SCHEMA.tables}


def test_where_a_trigger_exists_a_write_may_reach_every_table() -> None:
    assert touched("UPDATE audit SET id = 2", triggers=True) == {t.name for t in SCHEMA.tables}


def test_related_tables_close_over_foreign_keys_both_ways() -> None:
    assert with_related(SCHEMA, ["orders"]) == {"orders", "accounts"}
    assert with_related(SCHEMA, [], cascading=["products"]) == {
        "products", "order_lines", "orders", "accounts"}


def _session(folder: Path, backend: str) -> Session:
    env = {"DUALWRITE_POSTGRES_URL": postgres_url() or ""}
    ini = {"dualwrite_migrations": str(folder), "dualwrite_dialect": "postgres",
           "dualwrite_backends": backend, "dualwrite_examples": "20"}
    return Session(resolve({}, env, ini), folder)


LOSSY = {
    "001_create.sql": "CREATE TABLE accounts (id INT PRIMARY KEY, name TEXT NOT NULL);\n"
                      "CREATE TABLE notes (id INT PRIMARY KEY, body TEXT);\n",
    "002_index.sql": "CREATE INDEX ix_notes_body ON notes (body);\n",
    "003_drop_name.sql": "ALTER TABLE accounts DROP COLUMN name;\n",
    "004_add_required.sql": "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL;\n",
    "005_more.sql": "ALTER TABLE accounts ADD COLUMN email TEXT;\n",
}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_walk_reports_each_lossy_step_and_ends_at_the_head(
        tmp_path: Path, backend: str) -> None:
    if backend == "postgres":
        need_postgres()
    for name, sql in LOSSY.items():
        (tmp_path / name).write_text(sql)
    session = _session(tmp_path, backend)
    try:
        failures = check_steps(session, session.backend(backend), keep_going=True)
        with pytest.raises(DualWriteAssertion) as first:
            check_steps(session, session.backend(backend))
    finally:
        session.close()
    lines = [str(f).splitlines()[0] for f in failures]
    assert len(lines) == 2, lines
    # Shrunk: one row holds the dropped column's data (two runs, the second replaying
    # from a database, never shrank: 1-4 rows, as generated).
    assert re.fullmatch(r"003_drop_name\.sql drops column accounts\.name holding data in "
                        r"1 row\(s\)", lines[0]), lines[0]
    assert "004_add_required.sql" in lines[1] and "author" in lines[1]
    assert str(first.value).splitlines()[0] == lines[0]


PIPELINE_PROJECT = {
    "pyproject.toml": """
[tool.pytest.ini_options]
dualwrite_migrations = "migrations"
dualwrite_dialect = "postgres"
dualwrite_backends = "postgres"
""",
    # An `inet` column the user fills from their own strategy: text the server refuses
    # and a value the driver cannot send. A batch holding both (refused row first) made
    # psycopg log "error ignored terminating Pipeline" for every such example hypothesis
    # tried. Derandomized, so the run draws such batches every time.
    "conftest.py": """
import hypothesis
import hypothesis.strategies as st
from pytest_dualwrite.strategies import register_type_strategy

hypothesis.settings.register_profile("fixed", derandomize=True, database=None)
hypothesis.settings.load_profile("fixed")
register_type_strategy("unknown", st.sampled_from(["not an address"] * 3 + [object()]))
""",
    "migrations/001_create_places.sql":
        "CREATE TABLE places (id INT PRIMARY KEY, spot INET NOT NULL);\n",
    "migrations/002_add_label.sql": "ALTER TABLE places ADD COLUMN label TEXT;\n",
}


def test_a_failing_run_prints_no_pipeline_warnings(pytester: pytest.Pytester,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    url = need_postgres()
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", url)
    for name, text in PIPELINE_PROJECT.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    # A subprocess: the conftest registers a strategy for the whole interpreter.
    result = pytester.runpytest_subprocess(
        "--dualwrite", "--dualwrite-examples=60", "-p", "no:cacheprovider",
        "-k", "each_step_preserves_rows")
    result.assert_outcomes(failed=1)
    out = result.stdout.str() + result.stderr.str()
    assert "cannot adapt type 'object'" in out
    assert "Pipeline" not in out, out


def test_a_refused_batch_logs_nothing_from_the_driver(caplog: pytest.LogCaptureFixture) -> None:
    """The cause, without hypothesis' luck: a batch whose first row the server refuses and
    whose last the driver cannot send, on an engine the backend made."""
    import logging

    import sqlalchemy as sa

    from pytest_dualwrite.backends.postgres import PostgresBackend, parse_url

    backend = PostgresBackend(parse_url(need_postgres()))
    try:
        db = backend.create_database()
        table = sa.table("places", sa.column("spot"))
        with db.engine.connect() as conn, caplog.at_level(logging.WARNING, "psycopg"):
            conn.exec_driver_sql("CREATE TABLE places (spot INET NOT NULL)")
            rows = [{"spot": "not an address"}] * 300 + [{"spot": object()}]
            with pytest.raises(sa.exc.SQLAlchemyError):
                conn.execute(sa.insert(table), rows)
            conn.rollback()
    finally:
        backend.close()
    assert [r.getMessage() for r in caplog.records if r.name.startswith("psycopg")] == []
