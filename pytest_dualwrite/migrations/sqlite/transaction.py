"""One migration's transaction on SQLite, as SQLite's documented procedure for schema
changes wants it (https://sqlite.org/lang_altertable.html#otheralter, steps 1 and 10-12):
foreign keys off while it runs, checked with `foreign_key_check` before it commits.

Only then can a table other tables reference be rebuilt (`rebuild.py`): inside a
transaction `PRAGMA foreign_keys` cannot change, and with it on, dropping the old table
would run its ON DELETE actions on the referencing rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ...errors import MigrationError
from .table import quote


@contextmanager
def foreign_keys_checked_at_commit(conn: Any, where: str) -> Iterator[None]:
    """`with conn.begin()`, with foreign keys off inside and checked before the commit.

    `conn`: a SQLAlchemy Connection to SQLite, not in a transaction. Raises MigrationError
    naming `where` (the migration) and rolls back when a row breaks a key.
    """
    raw = conn.connection.dbapi_connection
    if not raw.execute("PRAGMA foreign_keys").fetchone()[0]:
        with conn.begin():
            yield
        return
    raw.execute("PRAGMA foreign_keys=OFF")  # outside any transaction: it takes effect
    try:
        with conn.begin():
            yield
            bad = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
            if bad is not None:
                table, _rowid, parent, _fk = bad
                raise MigrationError(
                    f"{where}: sqlite refused the migration: a row of table {quote(table)} "
                    f"violates its foreign key to {quote(parent)} (checked as it commits)")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")
