"""`DualwriteDB`: a throwaway database a test can move through the migration history.

Hypothesis runs many examples inside one test call, so `fresh()` (a cheap clone of a
database already migrated to a version) is callable inside the test body, not only as a
fixture.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa

from .backends.base import Backend, Database

if TYPE_CHECKING:
    from .migrations.model import Migration


class DualwriteDB:
    def __init__(self, backend: Backend, database: Database,
                 migrations: Sequence[Migration] | None = None,
                 dialect: str = "postgres") -> None:
        self._backend = backend
        self._database = database
        self.migrations = list(migrations or [])
        self.dialect = dialect
        self._extra: list[Database] = []

    @classmethod
    def create(cls, backend: Backend,
               migrations: tuple[Sequence[Migration], str] | None = None) -> DualwriteDB:
        found, dialect = migrations if migrations else ([], "postgres")
        return cls(backend, backend.create_database(), found, dialect)

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

    def close(self) -> None:
        for db in (*self._extra, self._database):
            self._backend.drop(db)
