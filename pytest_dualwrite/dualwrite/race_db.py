"""The database a race example runs in: committed data, so not the rollback checkout.

Two connections commit against each other, so an example cannot live inside one
transaction that is rolled back afterwards. The cheapest correct isolation, measured
(benchmarks/RESULTS.md, "#14 races"): one copy of the template per harness, and before
each example every table emptied (a `DELETE` per table, children first: an example's
tables hold a few rows, and `TRUNCATE` costs new files per table and index) and the
sequences set back to the template's values. That is correct only when the template's
tables are empty (no rows a migration inserted, which would be lost) and the example
starts at the live schema (no migration to run after the rows go in). Otherwise each
example gets a fresh `CREATE DATABASE ... TEMPLATE` clone, the dearer isolation that is
always correct. Commits do not wait for the disk (`synchronous_commit = off`): what
another session sees is the same, only a crash of the server could lose them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..backends.base import Database
from ..backends.postgres_workspace import read_sequences

if TYPE_CHECKING:
    from .harness import Harness


class RaceDatabase:
    """Per harness: hands out a database in the `start` state for each example."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.database: Database | None = None
        self.truncate: list[str] | None = None  # the reset statements, when a reset is correct
        self.sequences: list[tuple[str, int, bool]] = []
        self.clones = 0
        self.resets = 0

    def fresh(self) -> sa.Engine:
        """An engine on a database in the `start` state, nothing else connected to it."""
        harness = self.harness
        if self.database is not None and self.truncate is not None:
            self._reset()
            return self.database.engine
        if self.database is not None:
            harness.backend.drop(self.database)
        self.database = harness.backend.database_at(
            harness._key(harness.start), harness._build(harness.start)
        )
        sa.event.listen(self.database.engine, "connect", _no_fsync)
        self.clones += 1
        if self.clones == 1:
            self._plan()
        return self.database.engine

    def _plan(self) -> None:
        """Whether a TRUNCATE resets this database: live schema, no rows in any table."""
        harness = self.harness
        assert self.database is not None
        if harness.start != harness.live:
            return
        own = set(harness.runner.own_tables)
        with self.database.engine.connect() as conn:
            tables = conn.execute(
                sa.text(
                    "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN "
                    "('pg_catalog', 'information_schema')"
                )
            ).all()
            names: dict[str, str] = {}
            for schema, table in tables:
                if table in own:
                    continue
                quoted = sa.table(table, schema=schema)
                if conn.execute(sa.select(sa.literal(1)).select_from(quoted).limit(1)).first():
                    return  # a row a migration put there: emptying would lose it
                names[f"{schema}.{table}"] = conn.dialect.identifier_preparer.format_table(quoted)
            edges = conn.execute(
                sa.text(
                    "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text, "
                    "cn.nspname || '.' || cl.relname, fn.nspname || '.' || fl.relname "
                    "FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid "
                    "JOIN pg_namespace cn ON cn.oid = cl.relnamespace "
                    "JOIN pg_class fl ON fl.oid = c.confrelid "
                    "JOIN pg_namespace fn ON fn.oid = fl.relnamespace WHERE c.contype = 'f'"
                )
            ).all()
            self.sequences = read_sequences(conn)
        order = _children_first(list(names), [(e[2], e[3]) for e in edges])
        if order is None:  # a cycle, or a table referencing itself: one TRUNCATE
            self.truncate = [f"TRUNCATE {', '.join(sorted(names.values()))} CASCADE"]
        else:
            self.truncate = [f"DELETE FROM {names[n]}" for n in order]

    def _reset(self) -> None:
        assert self.database is not None and self.truncate is not None
        with self.database.engine.connect() as conn:
            for statement in self.truncate:
                conn.exec_driver_sql(statement)
            if self.sequences:
                calls = ", ".join(
                    f"setval(CAST(:s{i} AS regclass), :v{i}, :c{i})"
                    for i in range(len(self.sequences))
                )
                params: dict[str, object] = {}
                for i, (name, value, called) in enumerate(self.sequences):
                    params.update({f"s{i}": name, f"v{i}": value, f"c{i}": called})
                conn.execute(sa.text(f"SELECT {calls}"), params)
            conn.commit()
        self.resets += 1

    def close(self) -> None:
        if self.database is not None:
            self.harness.backend.drop(self.database)
            self.database = None


def _children_first(tables: list[str], edges: list[tuple[str, str]]) -> list[str] | None:
    """Tables ordered so that each comes before the tables it references; None when the
    references make a cycle (a table referencing itself included)."""
    refs = {
        t: {parent for child, parent in edges if child == t and parent in tables} for t in tables
    }
    order: list[str] = []
    left = set(tables)
    while left:
        # a table no remaining table references can go now
        free = sorted(t for t in left if not any(t in refs[o] for o in left))
        if not free:
            return None
        order += free
        left -= set(free)
    return order


def _no_fsync(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("SET synchronous_commit = off")
    cursor.close()
    dbapi_connection.commit()  # type: ignore[attr-defined]


__all__ = ["RaceDatabase"]
