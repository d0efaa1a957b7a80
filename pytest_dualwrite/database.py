"""`DualwriteDB`: a throwaway database a test can move through the migration history.

Hypothesis runs many examples inside one test call, so `fresh()` (a cheap clone of a
database already migrated to a version) is callable inside the test body, not only as a
fixture; every database it hands out is dropped with the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from hypothesis.strategies import SearchStrategy

from .backends.base import Backend, Database
from .errors import ConfigError
from .migrations.runner import Runner


class DualwriteDB:
    def __init__(self, backend: Backend, database: Database, runner: Runner | None = None
                 ) -> None:
        self._backend = backend
        self._database = database
        self.runner = runner
        self._extra: list[DualwriteDB] = []

    @property
    def engine(self) -> sa.Engine:
        return self._database.engine

    @property
    def backend(self) -> str:
        return self._backend.name

    @property
    def name(self) -> str:
        return self._database.name

    @property
    def url(self) -> str:
        """The database's URL with any password masked: safe to print."""
        return self._database.url

    def _runner(self) -> Runner:
        if self.runner is None:
            raise ConfigError("no migrations folder: set dualwrite_migrations (ini) or "
                              "--dualwrite-migrations to use migrate_to()/fresh()")
        return self.runner

    @property
    def version(self) -> int | str | None:
        """The last migration applied (None when none is)."""
        runner = self._runner()
        with self.engine.connect() as conn:
            return runner.version_at(runner.current(conn))

    def migrate_to(self, version: int | str | None = None) -> None:
        """Apply (or revert) migrations until `version` is the last applied; None = head."""
        self._runner().migrate_engine(self.engine, version)

    def fresh(self, version: int | str | None = None) -> DualwriteDB:
        """Another fresh database, already at `version`: built once, then cloned."""
        runner = self._runner()
        index = runner.index(version)
        database = self._backend.database_at(
            ("dualwrite_db", id(runner), index),
            lambda db: runner.migrate_to_index_engine(db.engine, index))
        clone = DualwriteDB(self._backend, database, runner)
        self._extra.append(clone)
        return clone

    @contextmanager
    def checkout(self, version: int | str | None = None) -> Iterator[sa.Connection]:
        """A connection at `version` whose changes vanish on exit: the cheap way to start
        each hypothesis example afresh (a rolled-back transaction on Postgres, a private
        in-memory copy on SQLite). Use `conn.begin_nested()` for units of work."""
        runner = self._runner()
        index = runner.index(version)
        with self._backend.checkout(
                ("dualwrite_db", id(runner), index),
                lambda db: runner.migrate_to_index_engine(db.engine, index)) as conn:
            yield conn

    def rows(self, table: str, **overrides: Any) -> SearchStrategy[list[dict[str, Any]]]:
        """A hypothesis strategy for rows of `table` as it is in this database now."""
        from .schema.from_database import from_database
        from .strategies import rows

        schema = from_database(self.engine)
        return rows(table, schema=schema, backend=self.backend, overrides=overrides or None)

    def close(self) -> None:
        for extra in self._extra:
            extra.close()
        self._backend.drop(self._database)
