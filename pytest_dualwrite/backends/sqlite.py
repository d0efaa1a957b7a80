"""SQLite: the embedded default. One file a database in a private temporary folder.

Files rather than shared-cache memory databases for what users get: several connections
then see each other with SQLite's ordinary locking (shared cache has table locks that
production never shows), and a clone is one `backup()` of a small file. For one hypothesis
example (`checkout`) a private in-memory copy is cheaper still: one connection, one
`backup()` of the template (see benchmarks/RESULTS.md).

Every engine gets SQLAlchemy's documented pysqlite fix (the driver's own transaction
handling off, BEGIN emitted by us) so that SAVEPOINT and transactional DDL work.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import NullPool

from .base import Backend, Database

ConnectHook = Callable[[sqlite3.Connection], None]


def _foreign_keys_on(dbapi_connection: sqlite3.Connection) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Throwaway databases: no fsync per commit (60-90% of apply time on a busy disk).
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


class SqliteBackend(Backend):
    name = "sqlite"

    def __init__(self, directory: Path | None = None, on_connect: ConnectHook | None = None):
        super().__init__()
        self._own_dir = directory is None
        self.directory = Path(directory or tempfile.mkdtemp(prefix="dualwrite-sqlite-"))
        self._on_connect = on_connect
        self._copy_of: Path | None = None  # the template the next checkout copies
        self._memory: sa.Engine | None = None

    def describe(self) -> str:
        return f"sqlite {sqlite3.sqlite_version} (files in {self.directory})"

    def _engine(self, path: Path) -> sa.Engine:
        # NullPool: no connection outlives its use, so a file can be copied or removed at once.
        return self._prepare(sa.create_engine(f"sqlite:///{path}", poolclass=NullPool))

    def _prepare(self, engine: sa.Engine) -> sa.Engine:
        hook = self._on_connect

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
            _foreign_keys_on(dbapi_connection)
            if hook is not None:
                hook(dbapi_connection)

        @event.listens_for(engine, "begin")
        def _begin(conn: sa.Connection) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine

    @contextmanager
    def checkout(
        self, key: Hashable, build: Callable[[Database], None]
    ) -> Iterator[sa.Connection]:
        """A private in-memory copy of the template: one backup(), no file, no drop.

        Every checkout goes through one engine, so SQLAlchemy's compiled-statement cache
        (the user's statements and ours) lives across examples; a new engine per example
        compiled every statement afresh, each time.
        """
        template = self.template(key, build)
        if self._memory is None:
            self._memory = self._prepare(sa.create_engine(
                "sqlite://", creator=self._memory_copy, poolclass=NullPool))
        self._copy_of = self._path(template.name)
        try:
            with self._memory.connect() as conn, conn.begin():
                yield conn
        finally:
            self._copy_of = None

    def _memory_copy(self) -> sqlite3.Connection:
        """The memory engine's creator: a new in-memory database holding the template."""
        assert self._copy_of is not None, "connect through checkout()"
        memory = sqlite3.connect(":memory:", check_same_thread=False)
        source = sqlite3.connect(self._copy_of)
        try:
            source.backup(memory)
        finally:
            source.close()
        return memory

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.db"

    def _create(self, name: str) -> Database:
        path = self._path(name)
        sqlite3.connect(path).close()  # the file exists from the start, empty
        return Database(name=name, backend=self.name, engine=self._engine(path))

    def _clone(self, template: Database, name: str) -> Database:
        path = self._path(name)
        source = sqlite3.connect(self._path(template.name))
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return Database(name=name, backend=self.name, engine=self._engine(path))

    def _drop(self, db: Database) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self._path(db.name)}{suffix}").unlink(missing_ok=True)

    def _shutdown(self) -> None:
        if self._memory is not None:
            self._memory.dispose()
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)
