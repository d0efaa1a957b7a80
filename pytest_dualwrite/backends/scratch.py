"""One kept, empty Postgres database per backend (so per xdist worker), used only inside
transactions that are rolled back.

A check that only reads what a history builds (`upgrade_from_empty`,
`models_match_migrations`, `downgrade_leaves_no_trace`) runs every step in one transaction
here and rolls it back: Postgres DDL is transactional, so the database is empty again
afterwards, and the run pays one `CREATE DATABASE` and one `DROP DATABASE` (a checkpoint
each, 0.1-0.8 s on a shared disk) for all such checks instead of one or three per check.
The database is the backend's like any other: owned by the run's role, connected to with
`SET ROLE`, dropped with the others at the end. Should anything commit inside (a step's
own `COMMIT`), its state is unknown: the database is dropped and the next use makes a new
one. Which histories must not come here: `migrations/transactional.py`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from .base import Database


class Scratch:
    """The kept database and its one open connection, both made on first use."""

    def __init__(self, create: Callable[[], Database], drop: Callable[[Database], None],
                 may_be_gone: Callable[[sa.Connection], bool]) -> None:
        self._create, self._drop, self._may_be_gone = create, drop, may_be_gone
        self._database: Database | None = None
        self._connection: sa.Connection | None = None
        self._making: threading.Thread | None = None
        self._made: list[Database | BaseException] = []

    def warm(self) -> None:
        """Start making the database in the background: `CREATE DATABASE` is the server's
        wait (a checkpoint, WAL), so it overlaps what the check does first in Python
        (reading the models, splitting and transpiling the history)."""
        if self._database is not None or self._making is not None:
            return

        def make() -> None:
            try:
                self._made.append(self._create())
            except BaseException as exc:  # raised where the database is wanted
                self._made.append(exc)

        self._making = threading.Thread(target=make, name="dualwrite-scratch", daemon=True)
        self._making.start()

    def settle(self) -> None:
        """Wait for a database being made, so the backend knows it (and can drop it)."""
        making, self._making = self._making, None
        if making is None:
            return
        making.join()
        made = self._made.pop()
        if isinstance(made, BaseException):
            raise made
        self._database = made

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """A connection in a transaction on the empty database, rolled back at exit."""
        conn = self._connect()
        transaction = conn.begin()
        try:
            yield conn
        finally:
            clean = False
            if transaction.is_active:
                try:
                    transaction.rollback()
                    clean = True
                except Exception:
                    pass  # a lost connection; the server rolled back, but start afresh
            if not clean:  # committed by something inside, or unreachable
                self.discard()

    def _connect(self) -> sa.Connection:
        conn = self._connection
        if conn is not None and (conn.closed or conn.invalidated or not self._alive(conn)):
            self._close_connection()
        self.settle()
        if self._database is None or self._database.dropped:
            self._database = self._create()
        if self._connection is None:
            self._connection = self._database.engine.connect()
        return self._connection

    def _alive(self, conn: sa.Connection) -> bool:
        """An idle session has nothing to say; one the server ended has (see
        postgres_workspace.may_be_gone): only then is it pinged."""
        if not self._may_be_gone(conn):
            return True
        try:
            conn.exec_driver_sql("SELECT 1")
            conn.rollback()
            return True
        except sa.exc.DBAPIError:
            return False

    def _close_connection(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:
                pass  # a connection the server closed
            self._connection = None

    def discard(self) -> None:
        """Forget the database (dropped now if possible; else at the backend's close)."""
        self._close_connection()
        database, self._database = self._database, None
        if database is not None:
            try:
                self._drop(database)
            except Exception:
                pass  # still listed as created: the backend's close() tries again

    def close(self) -> None:
        """Before the backend drops its databases: the connection only."""
        try:
            self.settle()
        except Exception:
            pass  # it was not made: nothing to drop
        self._close_connection()
        self._database = None
