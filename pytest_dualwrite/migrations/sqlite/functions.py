"""SQLite functions that transpiled SQL calls (defaults, CHECKs): Postgres' own names."""

from __future__ import annotations

import re
import sqlite3
import uuid
from datetime import datetime, timezone
from typing import Any


def _now() -> str:
    """UTC, microseconds, space-separated: how SQLite and SQLAlchemy write timestamps."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def _regexp(pattern: str | None, value: Any, flags: int = 0) -> bool | None:
    if pattern is None or value is None:
        return None
    return re.search(pattern, str(value), flags) is not None


def register_sqlite_functions(dbapi_connection: sqlite3.Connection) -> None:
    """Postgres functions the transpiled SQL calls (defaults, CHECKs), on one connection."""
    # 32 hex digits, as SQLAlchemy's Uuid stores and binds them on SQLite: a row whose id
    # the database made must be found by an ORM that binds uuid.UUID values.
    dbapi_connection.create_function("gen_random_uuid", 0, lambda: uuid.uuid4().hex)
    dbapi_connection.create_function("uuid_generate_v4", 0, lambda: uuid.uuid4().hex)
    dbapi_connection.create_function("now", 0, _now)
    # `x REGEXP p` calls regexp(p, x); Postgres `~*` becomes REGEXP_I_LIKE(x, p).
    dbapi_connection.create_function("regexp", 2, _regexp, deterministic=True)
    dbapi_connection.create_function(
        "regexp_i_like", 2, lambda value, pattern: _regexp(pattern, value, re.IGNORECASE),
        deterministic=True)


def install_sqlite_functions(engine: Any) -> None:
    """Register the functions, and turn foreign keys on, on every connection of `engine`."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        register_sqlite_functions(dbapi_connection)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
