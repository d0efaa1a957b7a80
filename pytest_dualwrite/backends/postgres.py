"""Postgres through a server URL: the plugin creates `dualwrite_*` databases and drops them.

The database named in the URL is only ever used to run CREATE/DROP DATABASE from: nothing
is migrated, written to or dropped there. Clones use `CREATE DATABASE ... TEMPLATE`, which
costs 20-150 ms by disk; so one hypothesis example (`checkout`) instead runs inside a
transaction on a kept copy and is rolled back (DDL included: Postgres DDL is
transactional), and the sequences, which a rollback does not restore, are set back.

A kept connection the server has closed since (`pg_terminate_backend`, a restart, an idle
timeout) is reconnected before the next example rather than failing it: the server rolled
its transaction back, so the copy is still in its starting state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import URL

from ..errors import BackendError
from . import role as roles
from .base import NAME_PREFIX, Backend, Database, worker_id
from .cleanup import Leftovers, classify, drop_in_parallel, started
from .postgres_url import parse_url as parse_url  # re-exported
from .postgres_url import shown  # used here, and still importable from here
from .postgres_workspace import Workspace, may_be_gone, read_sequences
from .scratch import Scratch

# Drivers that take libpq's `application_name`: every connection the plugin opens then
# shows in pg_stat_activity as `pytest-dualwrite <run> <worker>`.
_NAMED_DRIVERS = ("psycopg", "psycopg2", "pg8000")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
        self._workspaces: dict[Hashable, Workspace] = {}
        self._scratch = Scratch(self.create_database, self.drop, may_be_gone)
        self._connect_args: dict[str, str] = {}
        # Least privilege (backends/role.py): the run's role, or why there is none.
        self.restrict = True
        self.role: str | None = None
        self.privileges: roles.Privileges | None = None
        self.unrestricted = "not connected yet"
        if url.get_driver_name() in _NAMED_DRIVERS and "application_name" not in url.query:
            self._connect_args["application_name"] = f"pytest-dualwrite {self._run} {worker_id()}"

    def describe(self) -> str:
        version = f" {self.server_version}" if self.server_version else ""
        text = f"postgres{version}, {self.origin}: {shown(self.url)}"
        if self.privileges is None:  # not connected yet
            return text
        return f"{text}; {roles.describe(self.role, self.privileges, self.unrestricted)}"

    def admin(self) -> sa.Engine:
        """An AUTOCOMMIT engine on the URL's database, for CREATE/DROP DATABASE and ROLE only."""
        if self._admin is None:
            try:
                # pre_ping: a killed admin connection is replaced, so cleanup still runs.
                engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT",
                                          pool_pre_ping=True, connect_args=self._connect_args)
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
            self._restrict(engine)
        return self._admin

    def _restrict(self, engine: sa.Engine) -> None:
        """Create the run's role where the URL's role may (see backends/role.py)."""
        with engine.connect() as conn:
            self.privileges = roles.read_privileges(conn)
            if not (self.restrict and self.privileges.can_restrict):
                self.unrestricted = roles.why_unrestricted(self.privileges, self.restrict)
                return
            name = f"{NAME_PREFIX}role_{self._run}_{worker_id()}"
            try:
                roles.create_role(conn, name, self.privileges)
            except sa.exc.DBAPIError as exc:
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                self.unrestricted = f"could not create a role for the run: {reason}"
                return
            self.role = name

    def _engine(self, name: str) -> sa.Engine:
        args: dict[str, object] = dict(self._connect_args)
        if self.url.get_driver_name() == "psycopg":
            # psycopg prepares a statement run five times, and forgets (DEALLOCATE ALL)
            # every one at each ROLLBACK: with a rollback per example that is a cost with no
            # gain, and it would drop the comparison statement compare() prepares itself.
            args["prepare_threshold"] = None
        engine = sa.create_engine(self.url.set(database=name), connect_args=args)
        if self.url.get_driver_name() == "psycopg":
            # A list of rows goes as multi-row INSERT ... VALUES statements (as with
            # psycopg2), not psycopg 3's executemany: that runs in pipeline mode, and a
            # refused row there logs "error ignored terminating Pipeline" at WARNING, once
            # per refused batch; hypothesis rejects dozens, so a failure printed dozens.
            engine.dialect.use_insertmanyvalues_wo_returning = True
        if self.role is not None:
            roles.set_role_on_connect(engine, self.role)
        return engine

    def _owner(self) -> str:
        return f" OWNER {roles.quote(self.role)}" if self.role is not None else ""

    def _create(self, name: str) -> Database:
        with self.admin().connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {_quote(name)}{self._owner()}")
            self._mark(conn, name)
        return Database(name=name, backend=self.name, engine=self._engine(name))

    def _clone(self, template: Database, name: str) -> Database:
        template.engine.dispose()  # TEMPLATE needs the source without connections
        with self.admin().connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {_quote(name)} TEMPLATE "
                                 f"{_quote(template.name)}{self._owner()}")
            self._mark(conn, name)
        return Database(name=name, backend=self.name, engine=self._engine(name))

    def _mark(self, conn: sa.Connection, name: str) -> None:
        """Record the run's owner on the database: what --dualwrite-drop-stale judges by."""
        try:
            conn.exec_driver_sql(
                f"COMMENT ON DATABASE {_quote(name)} IS {_literal(self.owner.comment())}")
        except BaseException:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")
            raise

    def _drop(self, db: Database) -> None:
        self._drop_name(db.name)

    def _drop_name(self, name: str) -> None:
        if not name.startswith(NAME_PREFIX) or name == self.url.database:
            raise ValueError(f"refusing to drop {name!r}: not a database of ours")
        with self.admin().connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")

    def rolled_back(self) -> AbstractContextManager[sa.Connection]:
        return self._scratch.transaction()

    def warm_scratch(self) -> None:
        self.admin()  # connected (and the run's role made) here, never on two threads
        self._scratch.warm()

    def _settle(self) -> None:
        self._scratch.close()

    def _drop_all(self, dbs: list[Database]) -> list[str]:
        """All at once: each DROP waits for a checkpoint, parallel ones share it."""
        for workspace in self._workspaces.values():
            try:
                workspace.connection.close()
            except Exception:
                pass  # a connection the server closed
        self._workspaces.clear()
        for db in dbs:
            db.engine.dispose()

        def drop(name: str) -> None:
            self._drop_name(name)
            next(db for db in dbs if db.name == name).dropped = True

        return drop_in_parallel([db.name for db in dbs], drop)

    @contextmanager
    def checkout(
        self, key: Hashable, build: Callable[[Database], None]
    ) -> Iterator[sa.Connection]:
        workspace, transaction = self._resume(key) or self._new_workspace(key, build)
        conn = workspace.connection
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
                if not conn.invalidated:
                    # Not a lost connection: the copy's state is unknown, start afresh.
                    self._discard(key)
                if not body_failed:
                    raise
                # else the lost connection is reconnected by the next checkout

    def _resume(self, key: Hashable) -> tuple[Workspace, sa.RootTransaction] | None:
        """The kept copy for `key` in a new transaction, or None when there is none (or it
        cannot be reached any more: dropped by someone, or the server is gone)."""
        workspace = self._workspaces.get(key)
        if workspace is None:
            return None
        try:
            return workspace, workspace.begin()
        except Exception:
            self._discard(key)  # build afresh from the template (which raises if it can't)
            return None

    def _new_workspace(self, key: Hashable, build: Callable[[Database], None]
                       ) -> tuple[Workspace, sa.RootTransaction]:
        database = self.database_at(key, build)
        connection = database.engine.connect()
        workspace = Workspace(database, connection, read_sequences(connection))
        self._workspaces[key] = workspace
        return workspace, connection.begin()

    def _discard(self, key: Hashable) -> None:
        workspace = self._workspaces.pop(key, None)
        if workspace is None:
            return
        try:
            workspace.connection.close()
        except Exception:
            pass  # already broken; dropping the database is what matters
        try:
            self.drop(workspace.database)
        except Exception:
            pass  # still listed as created: close() tries again and reports it

    def list_databases(self, prefix: str = NAME_PREFIX) -> list[str]:
        """Every database on the server whose name starts with our prefix."""
        with self.admin().connect() as conn:
            rows = conn.execute(
                sa.text("SELECT datname FROM pg_database WHERE starts_with(datname, :p) "
                        "ORDER BY datname"), {"p": prefix})
            return [r[0] for r in rows]

    def leftovers(self, min_age: float = 1800.0) -> Leftovers:
        """Other runs' `dualwrite_*` databases this role owns, sorted by whether their
        owner process is provably gone. Databases with open connections are in use: never
        listed."""
        with self.admin().connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT d.datname, shobj_description(d.oid, 'pg_database'), "
                "EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname) "
                "FROM pg_database d WHERE starts_with(d.datname, :p) "
                # only what this role could drop: other roles' runs are none of ours
                "AND pg_has_role(d.datdba, 'MEMBER') ORDER BY d.datname"),
                {"p": NAME_PREFIX}).all()
        protected = {name for name, _, busy in rows if busy}
        protected |= set(self.created_names()) | {self.url.database or ""}
        found = classify([(name, comment) for name, comment, _ in rows], here=self.owner,
                         protected=protected, prefix=NAME_PREFIX)
        # Ones we cannot judge are worth a word only once no run could still be making them.
        old = time.time() - min_age
        found.elsewhere = [n for n in found.elsewhere if (started(n) or 0) < old]
        found.unknown = [n for n in found.unknown if (started(n) or 0) < old]
        return found

    def drop_named(self, names: list[str]) -> list[str]:
        """Drop leftovers by name (only ever `dualwrite_*`, never the URL's database);
        the failures as lines."""
        return drop_in_parallel(names, self._drop_name)

    def drop_run(self, run: str) -> tuple[list[str], list[str]]:
        """Drop every database of run `run`, whichever process made it (the controller's
        sweep after xdist workers ended, or died): (dropped, failures)."""
        names = self.list_databases(f"{NAME_PREFIX}{run}_")
        problems = self.drop_named(names)
        failed = {p.split(":", 1)[0] for p in problems}
        return [n for n in names if n not in failed], problems + self._drop_run_roles(run)

    def _drop_run_roles(self, run: str) -> list[str]:
        """The roles of run `run` (backends/role.py) that a killed worker could not drop:
        after the databases, which they own; only roles the URL's role is a member of."""
        problems = []
        with self.admin().connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT rolname FROM pg_roles WHERE starts_with(rolname, :p) "
                "AND pg_has_role(oid, 'MEMBER') ORDER BY rolname"),
                {"p": f"{NAME_PREFIX}role_{run}_"}).scalars().all()
            for name in rows:
                try:
                    roles.drop_role(conn, name)
                except sa.exc.DBAPIError as exc:
                    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                    problems.append(f"role {name}: {reason}")
        return problems

    def _shutdown(self) -> None:
        self._scratch.close()
        for workspace in self._workspaces.values():
            try:
                workspace.connection.close()
            except Exception:
                pass  # a connection the server closed; its database is dropped already
        self._workspaces.clear()
        if self._admin is not None:
            try:
                if self.role is not None:  # after its databases: it owns nothing any more
                    with self._admin.connect() as conn:
                        roles.drop_role(conn, self.role)  # the name stays, for the report
            except sa.exc.DBAPIError as exc:
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                raise RuntimeError(f"could not drop role {self.role}: {reason}") from None
            finally:
                self._admin.dispose()
                self._admin = None
