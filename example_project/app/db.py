"""Small database helpers the repositories share: portable upserts, engines, planted bugs."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite

# --- the deliberately broken variant ----------------------------------------------------------
#
# DUALWRITE_EXAMPLE_BROKEN switches on bugs of the kind that ship when a migration is
# checked by counting rows. The correct code path is the default; each bug is one `if`.
#   1 or truncate       products backfill copies `name` cut to 40 characters
#   update-old-only     a product update reaches `products` only
#   keep-junction       deleting a collection leaves its project_collections row behind
#   bio-null-as-empty   the character export writes a missing bio as ""
#   unlocked-batch      the consensus backfill does not lock the page it copies (a race
#                       only `backfill_races_live_writes` sees, on Postgres)
#   not-exists-copy     the short links backfill copies what `redirects` lacks by
#                       WHERE NOT EXISTS instead of ON CONFLICT DO NOTHING (a race too)
# Several at once: DUALWRITE_EXAMPLE_BROKEN=truncate,keep-junction; all of them: all.
BROKEN_ENV = "DUALWRITE_EXAMPLE_BROKEN"
BUGS = ("truncate", "update-old-only", "keep-junction", "bio-null-as-empty", "unlocked-batch",
        "not-exists-copy")


def broken(bug: str) -> bool:
    """Whether the planted bug `bug` is switched on (read on every call, not at import)."""
    assert bug in BUGS, bug
    chosen = {part.strip().lower() for part in os.environ.get(BROKEN_ENV, "").split(",")}
    chosen.discard("")
    if "1" in chosen:
        chosen.add("truncate")
    return bug in chosen or "all" in chosen


# --- upserts -----------------------------------------------------------------------------------

def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for {conn.dialect.name}")  # pragma: no cover


def _on_conflict(stmt: Any, key: list[str], update: list[str]) -> Any:
    if not update:
        return stmt.on_conflict_do_nothing(index_elements=key)
    return stmt.on_conflict_do_update(index_elements=key,
                                      set_={c: stmt.excluded[c] for c in update})


def upsert(conn: sa.Connection, table: sa.Table,
           rows: Mapping[str, Any] | Sequence[Mapping[str, Any]], key: Iterable[str],
           update: Iterable[str] | None = None) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE SET every other given column = excluded.

    The same statement on Postgres and SQLite (3.24+), built by each dialect's `insert`.
    `update` limits the columns a conflict overwrites; an empty `update` means DO NOTHING.
    """
    batch = [rows] if isinstance(rows, Mapping) else list(rows)
    if not batch:
        return
    key = list(key)
    columns = list(update) if update is not None else [c for c in batch[0] if c not in key]
    conn.execute(_on_conflict(_insert(conn, table), key, columns), batch)


def upsert_from_select(conn: sa.Connection, table: sa.Table, columns: Sequence[str],
                       select: sa.Select[Any], key: Iterable[str],
                       update: Iterable[str] | None = None) -> int:
    """INSERT INTO table (columns) SELECT ... ON CONFLICT (key) DO UPDATE: rows copied
    inside the database, values never round-tripping through Python. The SELECT must
    have a WHERE clause (SQLite needs one to parse ON CONFLICT after a SELECT).
    Returns how many rows were inserted or updated."""
    key = list(key)
    update = list(update) if update is not None else [c for c in columns if c not in key]
    stmt = _on_conflict(_insert(conn, table).from_select(list(columns), select), key, update)
    return conn.execute(stmt).rowcount


# --- engines -----------------------------------------------------------------------------------

def pages(conn: sa.Connection, table: sa.Table, key: str,
          batch_size: int) -> Iterator[list[dict[str, Any]]]:
    """The rows of `table` in `key` order, a page at a time. Keyset pagination (no OFFSET):
    rows deleted or added behind the cursor between pages never shift the next page."""
    column = table.c[key]
    last = None
    while True:
        query = sa.select(table).order_by(column).limit(batch_size)
        if last is not None:
            query = query.where(column > last)
        rows = [dict(r) for r in conn.execute(query).mappings()]
        if not rows:
            return
        yield rows
        last = rows[-1][key]


def create_engine(url: str, **kwargs: Any) -> sa.Engine:
    """An engine for the application. On SQLite it gets SQLAlchemy's documented pysqlite
    fix: the driver's own transaction handling off and BEGIN emitted by us, so that DDL is
    transactional and SAVEPOINT works (app/patchset.py relies on both), and foreign keys
    are enforced (ON DELETE CASCADE)."""
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        @event.listens_for(engine, "begin")
        def _begin(conn: sa.Connection) -> None:
            conn.exec_driver_sql("BEGIN")
    return engine
