"""Postgres through a server URL: the plugin creates `dualwrite_*` databases and drops them.

The database named in the URL is only ever used to run CREATE/DROP DATABASE from: nothing
is migrated, written to or dropped there. Clones use `CREATE DATABASE ... TEMPLATE`, which
costs 20-150 ms by disk; so one hypothesis example (`checkout`) instead runs inside a
transaction on a kept copy and is rolled back (DDL included: Postgres DDL is
transactional), and the sequences, which a rollback does not restore, are set back.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import URL

from ..errors import BackendError, ConfigError, mask_password
from .base import NAME_PREFIX, Backend, Database


def parse_url(raw: str, where: str = "postgres url") -> URL:
    """Read a user's URL, defaulting the driver to psycopg 3; errors name the setting."""
    try:
        url = sa.make_url(raw.strip())
    except Exception:
        # mask_password knows `scheme://user:pw@`; without a scheme, hide all before `@`.
        text = mask_password(raw) if "://" in raw else re.sub(r"^[^@]*@", "***@", raw)
        raise ConfigError(f"{where}: {text!r} is not a database URL "
                          "(expected postgresql://user:password@host:5432/dbname)") from None
    backend = url.get_backend_name()
    if backend in ("postgres", "postgresql"):
        driver = url.get_driver_name() if "+" in url.drivername else "psycopg"
        url = url.set(drivername=f"postgresql+{driver}")
    else:
        raise ConfigError(f"{where}: {mask_password(raw)!r} is not a Postgres URL "
                          f"(scheme {url.drivername!r}; expected postgresql://...)")
    return url


def shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _started(name: str) -> float | None:
    """The start time a database name carries (`dualwrite_<8 hex: epoch><4 hex>_...`)."""
    run = name[len(NAME_PREFIX):].split("_", 1)[0]
    if len(run) != 12:
        return None
    try:
        return float(int(run[:8], 16))
    except ValueError:
        return None


def _quote(name: str) -> str:
    # Our own generated names only; still quoted the way Postgres wants identifiers.
    return '"' + name.replace('"', '""') + '"'


@dataclass
class _Workspace:
    """A kept copy of a template with one open connection, reused by every checkout."""

    database: Database
    connection: sa.Connection
    sequences: list[tuple[str, int, bool]]

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


def _read_sequences(conn: sa.Connection) -> list[tuple[str, int, bool]]:
    names = conn.execute(sa.text(
        "SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")).scalars().all()
    state = []
    for name in names:
        value, called = conn.execute(
            sa.text(f"SELECT last_value, is_called FROM {name}")).one()
        state.append((name, value, called))
    conn.commit()
    return state


class PostgresBackend(Backend):
    name = "postgres"

    def __init__(self, url: URL, origin: str = "url"):
        super().__init__()
        self.url = url
        self.origin = origin  # "url (from env)", "local cluster", "container"
        self._admin: sa.Engine | None = None
        self.server_version: str | None = None
        self._workspaces: dict[Hashable, _Workspace] = {}

    def describe(self) -> str:
        version = f" {self.server_version}" if self.server_version else ""
        return f"postgres{version}, {self.origin}: {shown(self.url)}"

    def admin(self) -> sa.Engine:
        """An AUTOCOMMIT engine on the URL's database, for CREATE/DROP DATABASE only."""
        if self._admin is None:
            try:
                engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT",
                                          pool_pre_ping=True)
            except (ModuleNotFoundError, sa.exc.NoSuchModuleError) as exc:
                raise BackendError(
                    f"postgres: the driver for {self.url.drivername} is not installed ({exc}); "
                    "pip install 'pytest-dualwrite[postgres]'") from None
            try:
                with engine.connect() as conn:
                    self.server_version = conn.exec_driver_sql("SHOW server_version").scalar()
            except sa.exc.DBAPIError as exc:
                engine.dispose()
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                raise BackendError(
                    f"postgres: cannot connect to {shown(self.url)} ({self.origin}): "
                    f"{reason}") from None
            self._admin = engine
        return self._admin

    def _engine(self, name: str) -> sa.Engine:
        return sa.create_engine(self.url.set(database=name))

    def _create(self, name: str) -> Database:
        with self.admin().connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {_quote(name)}")
        return Database(name=name, backend=self.name, engine=self._engine(name))

    def _clone(self, template: Database, name: str) -> Database:
        template.engine.dispose()  # TEMPLATE needs the source without connections
        with self.admin().connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {_quote(name)} TEMPLATE {_quote(template.name)}")
        return Database(name=name, backend=self.name, engine=self._engine(name))

    def _drop(self, db: Database) -> None:
        with self.admin().connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quote(db.name)} WITH (FORCE)")

    @contextmanager
    def checkout(
        self, key: Hashable, build: Callable[[Database], None]
    ) -> Iterator[sa.Connection]:
        workspace = self._workspaces.get(key)
        if workspace is None:
            database = self.database_at(key, build)
            connection = database.engine.connect()
            workspace = _Workspace(database, connection, _read_sequences(connection))
            self._workspaces[key] = workspace
        conn = workspace.connection
        transaction = conn.begin()
        body_failed = False
        try:
            yield conn
        except BaseException:
            body_failed = True
            raise
        finally:
            try:
                if transaction.is_active:
                    transaction.rollback()
                workspace.restore_sequences()
            except Exception:
                # A broken connection (a killed backend): start afresh next time.
                self._discard(key)
                if not body_failed:
                    raise

    def _discard(self, key: Hashable) -> None:
        workspace = self._workspaces.pop(key, None)
        if workspace is None:
            return
        try:
            workspace.connection.close()
        except Exception:
            pass  # already broken; dropping the database is what matters
        self.drop(workspace.database)

    def list_databases(self, prefix: str = NAME_PREFIX) -> list[str]:
        """Every database on the server whose name starts with our prefix."""
        with self.admin().connect() as conn:
            rows = conn.execute(
                sa.text("SELECT datname FROM pg_database WHERE starts_with(datname, :p) "
                        "ORDER BY datname"), {"p": prefix})
            return [r[0] for r in rows]

    def stale_databases(self, min_age: float = 1800.0) -> list[str]:
        """`dualwrite_*` databases an earlier run left behind (killed before it cleaned up).

        A name starts with its run's start time; one older than `min_age` seconds with no
        open connection belongs to no running test run. Younger ones may be another run's
        (a parallel CI job), so they are left alone.
        """
        cutoff = time.time() - min_age
        mine = set(self.created_names())
        with self.admin().connect() as conn:
            busy = set(conn.execute(sa.text(
                "SELECT DISTINCT datname FROM pg_stat_activity WHERE datname IS NOT NULL")
            ).scalars())
        stale = []
        for name in self.list_databases():
            started = _started(name)
            if name in mine or name in busy or started is None or started >= cutoff:
                continue
            stale.append(name)
        return stale

    def drop_named(self, names: list[str]) -> None:
        """Drop leftovers by name (only ever `dualwrite_*` names)."""
        with self.admin().connect() as conn:
            for name in names:
                if name.startswith(NAME_PREFIX):
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")

    def _shutdown(self) -> None:
        for workspace in self._workspaces.values():
            workspace.connection.close()
        self._workspaces.clear()
        if self._admin is not None:
            self._admin.dispose()
            self._admin = None
