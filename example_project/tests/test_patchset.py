"""Scenario 5: a patch set of schema changes applies completely or not at all.

A hand-written hypothesis property on the plugin's `dualwrite_db` fixture, so it runs on
every selected backend (`--dualwrite-backend all`: SQLite and Postgres): for any patch
set of table, column, index and data changes, with or without one failing statement at
any position, either every change is there afterwards or the schema and the data are
exactly as before. The patch sets are built here from portable SQL, so this test needs
none of the migrations.
"""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db import create_engine
from app.patchset import PatchSet, PatchSetError, PatchStatementFailed, apply_patchset

BASE = (
    "CREATE TABLE widgets (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, "
    "qty INTEGER NOT NULL CHECK (qty >= 0))",
    "INSERT INTO widgets (id, name, qty) VALUES (1, 'bolt', 10), (2, 'nut', 0)",
)

# One change of each kind; {n} makes names unique per example (the database is shared by
# the examples of one test, and successful patch sets stay applied).
CHANGES = {
    "create table": "CREATE TABLE p{n}_t{i} (id INTEGER PRIMARY KEY, label VARCHAR(20))",
    "add column": "ALTER TABLE widgets ADD COLUMN p{n}_c{i} INTEGER",
    "create index": "CREATE INDEX p{n}_ix{i} ON widgets (name, qty)",
    "insert": "INSERT INTO widgets (id, name, qty) VALUES ({n}000{i}, 'washer', 1)",
    "update": "UPDATE widgets SET qty = qty + 1",
}
FAILURES = {
    "missing table": "ALTER TABLE p{n}_missing ADD COLUMN x INTEGER",
    "table exists": "CREATE TABLE widgets (id INTEGER)",
    "check violated": "UPDATE widgets SET qty = -1",
    "duplicate key": "INSERT INTO widgets (id, name, qty) VALUES (1, 'again', 1)",
    "missing column": "CREATE INDEX p{n}_bad{i} ON widgets (no_such_column)",
}


def snapshot(engine: sa.Engine) -> tuple:
    """Tables with their columns and indexes, and every widget: what a patch may change."""
    inspector = sa.inspect(engine)  # a new inspector each time: they cache
    tables = {}
    for name in sorted(inspector.get_table_names()):
        columns = tuple(c["name"] for c in inspector.get_columns(name))
        indexes = tuple(sorted((i["name"], tuple(i["column_names"]))
                               for i in inspector.get_indexes(name)))
        tables[name] = (columns, indexes)
    with engine.connect() as conn:
        widgets = conn.execute(sa.text("SELECT * FROM widgets ORDER BY id")).all()
    return tables, widgets


patches = st.tuples(
    st.lists(st.sampled_from(sorted(CHANGES)), min_size=1, max_size=6),
    st.none() | st.tuples(st.sampled_from(sorted(FAILURES)), st.integers(0, 6)),
)


def test_a_patch_set_applies_completely_or_not_at_all(dualwrite_db):
    engine = dualwrite_db.engine
    with engine.begin() as conn:
        for statement in BASE:
            conn.exec_driver_sql(statement)
    numbers = itertools.count(1)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(patches)
    def check(patch: tuple) -> None:
        kinds, failure = patch
        n = next(numbers)
        statements = [CHANGES[kind].format(n=n, i=i) for i, kind in enumerate(kinds)]
        if failure is not None:
            kind, position = failure
            position = min(position, len(statements))
            statements.insert(position, FAILURES[kind].format(n=n, i=position))
        before = snapshot(engine)

        if failure is None:
            apply_patchset(engine, PatchSet.of(f"patch {n}", statements))
            tables, _ = snapshot(engine)
            for i, kind in enumerate(kinds):
                if kind == "create table":
                    assert f"p{n}_t{i}" in tables
                elif kind == "add column":
                    assert f"p{n}_c{i}" in tables["widgets"][0]
                elif kind == "create index":
                    assert f"p{n}_ix{i}" in {name for name, _ in tables["widgets"][1]}
            return

        with pytest.raises(PatchStatementFailed) as failed:
            apply_patchset(engine, PatchSet.of(f"patch {n}", statements))
        assert failed.value.index == position
        assert snapshot(engine) == before, f"{dualwrite_db.backend}: a failed patch set left " \
                                           "changes behind"

    check()


def test_a_patch_set_refuses_statements_it_could_not_undo():
    patch = PatchSet.of("concurrently", ["CREATE INDEX CONCURRENTLY ix ON widgets (name)"])
    with pytest.raises(PatchSetError, match="cannot run inside a transaction"):
        patch.check()


def test_a_sqlite_engine_that_autocommits_ddl_is_refused(tmp_path):
    """Python's sqlite3 driver, as configured by default, runs CREATE TABLE outside any
    transaction: a rollback would not undo it. The patch set refuses such an engine;
    `app.db.create_engine` makes one where DDL is transactional."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    patch = PatchSet.of("two tables", ["CREATE TABLE a (id INTEGER)",
                                       "CREATE TABLE b (id INTEGER)"])
    plain = sa.create_engine(url)
    with pytest.raises(PatchSetError, match="outside transactions"):
        apply_patchset(plain, patch)
    assert sa.inspect(plain).get_table_names() == []
    plain.dispose()

    fixed = create_engine(url)
    apply_patchset(fixed, patch)
    assert sa.inspect(fixed).get_table_names() == ["a", "b"]
    with pytest.raises(PatchStatementFailed):
        apply_patchset(fixed, PatchSet.of("fails", ["CREATE TABLE c (id INTEGER)",
                                                    "CREATE TABLE a (id INTEGER)"]))
    assert sa.inspect(fixed).get_table_names() == ["a", "b"]
    fixed.dispose()
