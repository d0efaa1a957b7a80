"""Patch sets: a batch of schema changes that applies completely or not at all (scenario 5).

An admin screen lets operators add tables, columns and indexes to a tenant's database as
one "patch set". Half a patch (the table created, the index on it not) is worse than
none: the next attempt fails on "already exists". So a patch runs in one transaction and
a failing statement rolls back every statement before it.

That relies on transactional DDL. Postgres has it. SQLite has it too, but Python's
sqlite3 driver, by default, runs DDL outside any transaction (it only opens one before
INSERT/UPDATE/DELETE), so a "rolled back" CREATE TABLE stays. `apply_patchset` therefore
checks that the connection is really inside a transaction before the first statement,
and refuses to run when it is not; `app.db.create_engine` builds engines that pass.

Some statements cannot run inside a transaction at all (Postgres' CREATE INDEX
CONCURRENTLY, VACUUM); a patch set refuses them up front rather than half-applying.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

_NON_TRANSACTIONAL = re.compile(
    r"^\s*(create\s+(unique\s+)?index\s+concurrently|drop\s+index\s+concurrently|vacuum|"
    r"create\s+database|drop\s+database|alter\s+system|reindex\s+.*concurrently)\b",
    re.IGNORECASE | re.DOTALL)


class PatchSetError(Exception):
    """The patch set was not applied; nothing of it is in the database."""


class PatchStatementFailed(PatchSetError):
    """Statement `index` (0-based) of the patch set failed; every statement before it
    was rolled back."""

    def __init__(self, name: str, index: int, statement: str, reason: str) -> None:
        self.name = name
        self.index = index
        self.statement = statement
        self.reason = reason
        super().__init__(f"patch set {name!r}: statement {index + 1} failed and the whole "
                         f"patch set was rolled back: {reason}\n    {statement}")


@dataclass(frozen=True)
class PatchSet:
    name: str
    statements: tuple[str, ...]

    @classmethod
    def of(cls, name: str, statements: Iterable[str]) -> PatchSet:
        return cls(name, tuple(s.strip().rstrip(";") for s in statements if s.strip()))

    def check(self) -> None:
        """Refuse, before touching the database, what could not be rolled back."""
        if not self.statements:
            raise PatchSetError(f"patch set {self.name!r} is empty")
        for i, statement in enumerate(self.statements):
            if _NON_TRANSACTIONAL.match(statement):
                raise PatchSetError(
                    f"patch set {self.name!r}: statement {i + 1} cannot run inside a "
                    f"transaction, so the set could not be undone: {statement}")


def _in_real_transaction(conn: sa.Connection) -> bool:
    if conn.dialect.name != "sqlite":
        return True  # Postgres: DDL inside BEGIN is transactional
    dbapi = conn.connection.dbapi_connection
    return bool(getattr(dbapi, "in_transaction", False))


def apply_patchset(engine: sa.Engine, patch: PatchSet) -> None:
    """Apply every statement of `patch` in one transaction, or none of them.

    Raises `PatchStatementFailed` (which statement, and the database's reason) after the
    rollback, so the schema is exactly as before.
    """
    patch.check()
    with engine.connect() as conn, conn.begin():  # commits at the end, rolls back on raise
        if not _in_real_transaction(conn):
            raise PatchSetError(
                f"patch set {patch.name!r}: this SQLite engine runs DDL outside "
                "transactions (the sqlite3 driver's default), so a failure could not be "
                "rolled back; create the engine with app.db.create_engine")
        for i, statement in enumerate(patch.statements):
            try:
                conn.exec_driver_sql(statement)
            except sa.exc.DBAPIError as exc:
                reason = str(exc.orig or exc).strip().splitlines()[0]
                raise PatchStatementFailed(patch.name, i, statement, reason) from exc
