"""Connections that cannot write: every transaction READ ONLY, every statement timed out.

`verify` runs against databases the plugin did not create, production replicas among them,
so "read-only" is not a promise about the queries it happens to send but a property of the
session: on Postgres each transaction starts with `SET TRANSACTION ... READ ONLY` and a
`SET LOCAL statement_timeout` and `lock_timeout`, so a bug here could not write, and a
range that runs long, or waits behind another session's lock (and would make every later
lock request wait behind it), ends on its own. On SQLite the connection sets
`PRAGMA query_only`. Nothing is created on the server: no temporary table, no function,
no prepared statement.

The only locks taken are those of plain SELECTs: ACCESS SHARE on the two tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

from ..errors import BackendError, ConfigError
from ..secrets import mask

DEFAULT_STATEMENT_TIMEOUT = 30.0  # seconds: a range is sized to take well under one
DEFAULT_LOCK_TIMEOUT = 2.0  # seconds: never queue long behind another session's lock


@dataclass(frozen=True)
class Limits:
    """The timeouts every transaction sets (seconds)."""

    statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT


def engine_for(raw_url: str) -> sa.Engine:
    """An engine for the user's URL: Postgres (psycopg by default) or SQLite.

    MySQL and others are refused in one line: the project has no MySQL backend yet.
    """
    from ..backends.postgres import parse_url

    scheme = raw_url.strip().split("://", 1)[0].split("+", 1)[0].lower()
    if scheme in ("postgres", "postgresql"):
        return sa.create_engine(parse_url(raw_url, "--url"), poolclass=sa.pool.NullPool)
    if scheme == "sqlite":
        try:
            url = sa.make_url(raw_url.strip())
        except Exception:
            raise ConfigError(f"--url {mask(raw_url)!r} is not a database URL") from None
        database = url.database or ""
        if not database or database == ":memory:":
            raise ConfigError(
                f"--url {raw_url!r}: an in-memory SQLite database holds no "
                "tables to verify; give sqlite:///path/to/file.db"
            )
        return sa.create_engine(url, poolclass=sa.pool.NullPool)
    raise ConfigError(
        f"--url {mask(raw_url)!r}: verify runs on postgresql:// and sqlite:// "
        f"databases ({scheme or 'no scheme'} has no backend in this project)"
    )


def shown(engine: sa.Engine) -> str:
    """The engine's URL as printed: password hidden."""
    return mask(engine.url.render_as_string(hide_password=True))


def connect(engine: sa.Engine) -> sa.Connection:
    """A connection, or one line saying why there is none (password masked)."""
    try:
        conn = engine.connect()
    except sa.exc.DBAPIError as exc:
        raise BackendError(f"cannot connect to {shown(engine)}: {first_line(exc)}") from None
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA query_only = ON")
        conn.commit()
    return conn


def first_line(exc: BaseException) -> str:
    """A driver error's own first line (not SQLAlchemy's wrapping), masked."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip()
    return mask(text.splitlines()[0] if text else type(original).__name__)


@contextmanager
def read_only(conn: sa.Connection, limits: Limits) -> Iterator[sa.Connection]:
    """One short transaction that cannot write; rolled back at the end (it wrote nothing)."""
    with conn.begin() as transaction:
        if conn.dialect.name == "postgresql":
            # One snapshot for every statement of the transaction: both sides of a range,
            # and its exact comparison, see the same moment of a database still written to.
            conn.exec_driver_sql(
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
                f"SET LOCAL statement_timeout = {int(limits.statement_timeout * 1000)}; "
                f"SET LOCAL lock_timeout = {int(limits.lock_timeout * 1000)}"
            )
        try:
            yield conn
        finally:
            if transaction.is_active:
                transaction.rollback()
