"""The kept copy a Postgres `checkout` runs in, and the sequence values it is set back to.

Its own module because the rollback checkout is one concept apart from creating and
dropping databases: a transaction on a kept connection, rolled back after each example,
with the sequences (which a rollback does not restore) read once and set back each time.
Race examples (dualwrite/race_db.py) read their sequences with `read_sequences` too,
and the scratch database (scratch.py) asks `may_be_gone` before it pings.
"""

from __future__ import annotations

import select
from dataclasses import dataclass

import sqlalchemy as sa

from .base import Database


@dataclass
class Workspace:
    """A kept copy of a template with one open connection, reused by every checkout."""

    database: Database
    connection: sa.Connection
    sequences: list[tuple[str, int, bool]]

    def begin(self) -> sa.RootTransaction:
        """The example's transaction, on a connection that is alive now.

        A session the server ended since the last example shows here and is replaced,
        instead of failing the user's first query. An idle healthy session has nothing to
        say, so only when its socket has something to read (the server's goodbye) is it
        pinged: no round trip for the hundreds of examples where nothing happened.
        """
        conn = self.connection
        if not conn.invalidated:
            transaction = conn.begin()
            if not may_be_gone(conn):
                return transaction
            try:
                conn.exec_driver_sql("SELECT 1")
                return transaction
            except sa.exc.DBAPIError as exc:
                transaction.rollback()  # on an invalid connection: no round trip
                if not exc.connection_invalidated:
                    raise
        elif conn.in_transaction():
            conn.rollback()  # a body that lost the connection left its transaction open
        # The next statement reconnects to the same database. The server rolled the lost
        # session's transaction back; sequences it advanced stay advanced, so reset them.
        self.restore_sequences()
        transaction = conn.begin()
        conn.exec_driver_sql("SELECT 1")
        return transaction

    def restore_sequences(self) -> None:
        if not self.sequences:
            return
        calls = ", ".join(f"setval(CAST(:s{i} AS regclass), :v{i}, :c{i})"
                          for i in range(len(self.sequences)))
        params: dict[str, object] = {}
        for i, (name, value, called) in enumerate(self.sequences):
            params.update({f"s{i}": name, f"v{i}": value, f"c{i}": called})
        self.connection.execute(sa.text(f"SELECT {calls}"), params)
        self.connection.commit()


def may_be_gone(conn: sa.Connection) -> bool:
    """Whether the server may have ended this idle session: its socket is readable (a
    FATAL message, or end of file). Unknown drivers are always pinged."""
    try:
        fd = conn.connection.dbapi_connection.fileno()  # type: ignore[union-attr]
        readable, _, _ = select.select([fd], [], [], 0)
    except Exception:
        return True
    return bool(readable)


def read_sequences(conn: sa.Connection) -> list[tuple[str, int, bool]]:
    rows = conn.execute(sa.text(
        "SELECT format('%I.%I', schemaname, sequencename), schemaname, sequencename "
        "FROM pg_sequences WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
    ).all()
    state = []
    for name, schema, sequence in rows:
        # Quoted by SQLAlchemy, not pasted into text(): a ':' in a name is no bind there.
        table = sa.table(sequence, sa.column("last_value"), sa.column("is_called"),
                         schema=schema)
        value, called = conn.execute(sa.select(table.c.last_value, table.c.is_called)).one()
        state.append((name, value, called))
    conn.commit()
    return state
