"""Postgres through a server URL: the plugin creates `dualwrite_*` databases and drops them.

The database named in the URL is only ever used to run CREATE/DROP DATABASE from: nothing
is migrated, written to or dropped there. Clones use `CREATE DATABASE ... TEMPLATE`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import URL

from ..errors import BackendError, ConfigError, mask_password
from .base import NAME_PREFIX, Backend, Database


def parse_url(raw: str, where: str = "postgres url") -> URL:
    """Read a user's URL, defaulting the driver to psycopg 3; errors name the setting."""
    try:
        url = sa.make_url(raw.strip())
    except Exception:
        raise ConfigError(f"{where}: {mask_password(raw)!r} is not a database URL "
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


def _quote(name: str) -> str:
    # Our own generated names only; still quoted the way Postgres wants identifiers.
    return '"' + name.replace('"', '""') + '"'


class PostgresBackend(Backend):
    name = "postgres"

    def __init__(self, url: URL, origin: str = "url"):
        super().__init__()
        self.url = url
        self.origin = origin  # "url (from env)", "local cluster", "container"
        self._admin: sa.Engine | None = None
        self.server_version: str | None = None

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

    def list_databases(self, prefix: str = NAME_PREFIX) -> list[str]:
        """Every database on the server whose name starts with our prefix."""
        with self.admin().connect() as conn:
            rows = conn.execute(
                sa.text("SELECT datname FROM pg_database WHERE starts_with(datname, :p) "
                        "ORDER BY datname"), {"p": prefix})
            return [r[0] for r in rows]

    def _shutdown(self) -> None:
        if self._admin is not None:
            self._admin.dispose()
            self._admin = None
