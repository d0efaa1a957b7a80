"""Applying migrations to a database: up, down, to a version; each step in its own transaction.

The runner records what it applied in `dualwrite_schema_version`, so a database can be
moved from wherever it is to any version. On Postgres that table lives in the runner's
own schema, always named with it, so a migration that empties `search_path` (pg_dump's
preamble), points it elsewhere or drops `public` cannot lose it; and a step that changes
`search_path` gets the one it started with back, as Flyway does, since the next
migration of a real deploy starts on a fresh connection.

Where the history uses its tool's own bookkeeping table (`GRANT ... ON schema_migrations`),
the runner makes that table the way the tool does and writes the tool's rows.

A failure names the migration and the statement (file:line) and carries the server's
own message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from ..errors import MigrationError
from .model import Migration, PythonStep, SqlSource, Statement, canonical_dialect
from .readers import Bookkeeping, bookkeeping_for

VERSION_TABLE = "dualwrite_schema_version"
VERSION_SCHEMA = "dualwrite"  # Postgres: the runner's own schema
_SEARCH_PATH = re.compile(r"search_path|\bset\s+schema\b", re.I)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__


class Runner:
    """Moves databases of one dialect through one history of migrations."""

    def __init__(self, migrations: Sequence[Migration], source_dialect: str,
                 target_dialect: str) -> None:
        self.migrations = sorted(migrations, key=lambda m: (m.repeatable, m.version))
        self.source = canonical_dialect(source_dialect)
        self.target = canonical_dialect(target_dialect)
        self._statements: dict[tuple[int, str], list[Statement]] = {}
        self._context: Any = None
        self._positions = {id(m): i for i, m in enumerate(self.migrations)}
        self._prepared = 0  # ups prepared so far, in history order
        self._rolled_back = False  # see rolled_back()
        self.bookkeeping: tuple[Bookkeeping, ...] = bookkeeping_for(self.migrations)
        # What discovery had to say (a History's notes): files it saw but cannot run.
        self.reading_notes: tuple[str, ...] = tuple(getattr(migrations, "notes", ()))
        self.version_table = (f"{VERSION_SCHEMA}.{VERSION_TABLE}" if self.target == "postgres"
                              else VERSION_TABLE)

    @contextmanager
    def rolled_back(self) -> Iterator[None]:
        """For a caller whose transaction is rolled back whatever happens, and which stops
        at the first failure (checks.on_empty_database): steps take no savepoint each,
        half the round trips of a step that is one statement."""
        self._rolled_back = True
        try:
            yield
        finally:
            self._rolled_back = False

    @property
    def own_tables(self) -> frozenset[str]:
        """Bookkeeping, not the user's schema: the runner's table and the tool's, which no
        check may count as drift or as a table a step dropped."""
        return frozenset({VERSION_TABLE, *(b.table for b in self.bookkeeping)})

    # --- versions -----------------------------------------------------------------------
    def index(self, version: int | str | None) -> int:
        """Position just after `version` in the history (0 = empty; None = head)."""
        if version is None:
            return len(self.migrations)
        wanted = str(version)
        for i, m in enumerate(self.migrations):
            if str(m.number) == wanted or m.version_text == wanted or (
                    wanted.isdigit() and m.version == (int(wanted),)):
                return i + 1
        prefixed = [i for i, m in enumerate(self.migrations)
                    if m.convention == "alembic" and m.version_text.startswith(wanted)]
        if len(prefixed) == 1:  # Alembic users name a revision by a unique prefix
            return prefixed[0] + 1
        if prefixed:
            names = ", ".join(self.migrations[i].version_text for i in prefixed)
            raise MigrationError(f"revision prefix {version!r} is ambiguous: {names}")
        known = ", ".join(str(m.number) for m in self.migrations) or "none"
        raise MigrationError(f"migration {version!r} is not in the history (versions: {known})")

    def version_at(self, index: int) -> int | str | None:
        return self.migrations[index - 1].number if index > 0 else None

    # --- statements ---------------------------------------------------------------------
    def statements(self, migration: Migration, direction: str = "up") -> list[Statement]:
        """The statements of one step, ready for the target dialect (cached).

        Steps are prepared in history order through one context, so what an earlier file
        declares (an enum type) is known when a later one uses it.
        """
        from . import dialects

        if self._context is None:
            self._context = dialects.TranspileContext()
        position = self._positions[id(migration)]
        while self._prepared <= position:  # every earlier up first, once
            earlier = self.migrations[self._prepared]
            if isinstance(earlier.up, SqlSource):
                self._statements[(self._prepared, "up")] = dialects.prepare(
                    earlier, "up", self.source, self.target, context=self._context)
            self._prepared += 1
        if direction == "down" and (position, "down") not in self._statements \
                and isinstance(migration.down, SqlSource):
            self._statements[(position, "down")] = dialects.prepare(
                migration, "down", self.source, self.target, context=self._context)
        return self._statements.get((position, direction), [])

    def creates_only(self, start: int, end: int) -> bool:
        """Whether the steps after position `start` up to `end` only create new tables
        (and indexes and sequences on them).

        Such steps cannot change, constrain or react to rows that exist before them, so
        rows inserted after them are the same records as rows inserted before: the dual-write
        checks then start every example at `end` instead of re-running the steps each time.
        Anything else (a trigger, an ALTER of an existing table, a data step, a statement
        sqlglot keeps opaque, CREATE TABLE AS) answers False.
        """
        from sqlglot import exp

        created: set[str] = set()
        for migration in self.migrations[start:end]:
            if not isinstance(migration.up, SqlSource):
                return False
            for statement in self.statements(migration, "up"):
                tree = statement.expression
                if statement.opaque or not isinstance(tree, exp.Create):
                    return False
                kind = (tree.args.get("kind") or "").upper()
                target = tree.this.find(exp.Table) if tree.this is not None else None
                name = target.name.lower() if target is not None else ""
                if kind == "TABLE" and tree.expression is None and name:
                    created.add(name)
                elif (kind == "INDEX" and name in created) or kind == "SEQUENCE":
                    continue
                else:
                    return False
        return True

    @property
    def notes(self) -> list[str]:
        """Statements skipped or adjusted for the target (e.g. CREATE EXTENSION on SQLite)."""
        return [str(note) for note in getattr(self._context, "notes", [])]

    @property
    def context(self) -> Any:
        """The TranspileContext of the steps prepared so far (None before the first)."""
        return self._context

    def prepare_all(self) -> None:
        """Split and transpile every step now, so a problem shows before anything runs."""
        for migration in self.migrations:
            self.statements(migration, "up")
            if migration.down is not None:
                self.statements(migration, "down")

    # --- applying -----------------------------------------------------------------------
    @contextmanager
    def _unit(self, conn: sa.Connection, where: str = "") -> Iterator[None]:
        """One migration's transaction: a savepoint when the caller already holds one,
        nothing at all inside `rolled_back()`."""
        if conn.in_transaction() and self._rolled_back:
            yield  # a failure ends the check; the caller rolls everything back
        elif conn.in_transaction():
            with conn.begin_nested():
                yield
        elif self.target == "sqlite":  # foreign keys off, checked at commit: table rebuilds
            from .sqlite.transaction import foreign_keys_checked_at_commit

            with foreign_keys_checked_at_commit(conn, where):
                yield
        else:
            with conn.begin():
                yield

    def ensure_version_table(self, conn: sa.Connection) -> None:
        """The runner's table, and the tool's tables the history uses, as the tool makes
        them (in the current schema, before any migration runs)."""
        with self._unit(conn):
            if self.target == "postgres":
                conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {VERSION_SCHEMA}")
            conn.exec_driver_sql(
                f"CREATE TABLE IF NOT EXISTS {self.version_table} "
                "(position INTEGER PRIMARY KEY, version VARCHAR(64) NOT NULL, "
                "name VARCHAR(255) NOT NULL)")
            if self.bookkeeping:
                present = set(sa.inspect(conn).get_table_names())
                for keeping in self.bookkeeping:
                    if keeping.table not in present:
                        for sql in keeping.ddl(self.target):
                            conn.execution_options(no_parameters=True).exec_driver_sql(sql)

    def current(self, conn: sa.Connection) -> int:
        """How many migrations are applied (0 when none, or no version table yet)."""
        if self.target == "postgres":
            found = conn.exec_driver_sql(
                f"SELECT to_regclass('{self.version_table}') IS NOT NULL").scalar()
        else:
            found = sa.inspect(conn).has_table(VERSION_TABLE)
        if not found:
            return 0
        value = conn.exec_driver_sql(
            f"SELECT MAX(position) FROM {self.version_table}").scalar()
        return int(value or 0)

    def apply(self, conn: sa.Connection, migration: Migration, direction: str = "up") -> None:
        position = self._positions[id(migration)] + 1
        step = migration.up if direction == "up" else migration.down
        if step is None:
            raise MigrationError(f"{migration.label}: has no down migration")
        with self._unit(conn, str(step.path)):
            saved = self._search_path(conn, migration, direction)
            if isinstance(step, PythonStep):
                fn = step.upgrade if direction == "up" else step.downgrade
                if fn is None:
                    raise MigrationError(f"{step.path}: has no downgrade(conn)")
                try:
                    fn(conn)
                except MigrationError:  # a tool's own step already names its file
                    raise
                except Exception as exc:
                    raise MigrationError(
                        f"{step.path}: {'upgrade' if direction == 'up' else 'downgrade'}"
                        f"(conn) failed: {type(exc).__name__}: {_first_line(exc)}") from exc
            else:
                for statement in self.statements(migration, direction):
                    self._execute(conn, statement)
            if saved is not None:
                conn.execute(sa.text("SELECT set_config('search_path', :p, false)"),
                             {"p": saved})
            self._record(conn, migration, position, direction)

    def _run_of_many(self, start: int, target: int) -> int:
        """How many ups from `start` (before `target`) one tool call can apply together
        (`PythonStep.many`); 1 when the step stands alone."""
        many = getattr(self.migrations[start].up, "many", None)
        end = start + 1
        while many is not None and end < target and getattr(
                self.migrations[end].up, "many", None) is many:
            end += 1
        return end - start

    def _apply_many(self, conn: sa.Connection, start: int, end: int) -> None:
        """The ups of positions `start` to `end` in one call of the tool and one unit (as
        `alembic upgrade head` runs them), each step's rows recorded after. A failure is
        the tool's one line, naming the revision that failed."""
        first = self.migrations[start]
        steps = [m.up for m in self.migrations[start:end]]
        many = steps[0].many  # type: ignore[union-attr]
        with self._unit(conn, str(steps[0].path)):
            saved = self._search_path(conn, first, "up")
            try:
                many(conn, steps)  # type: ignore[misc, arg-type]
            except MigrationError:
                raise
            except Exception as exc:
                raise MigrationError(
                    f"{steps[0].path}: upgrade failed: {type(exc).__name__}: "
                    f"{_first_line(exc)}") from exc
            if saved is not None:
                conn.execute(sa.text("SELECT set_config('search_path', :p, false)"),
                             {"p": saved})
            if any(keeping.applied for keeping in self.bookkeeping):
                for position in range(start, end):
                    self._record(conn, self.migrations[position], position + 1, "up")
            else:  # the runner's rows alone: one statement for the range
                rows = [{"p": p + 1, "v": self.migrations[p].version_text,
                         "n": self.migrations[p].label} for p in range(start, end)]
                conn.execute(sa.text(f"INSERT INTO {self.version_table} (position, "
                                     "version, name) VALUES (:p, :v, :n)"), rows)

    def _search_path(self, conn: sa.Connection, migration: Migration,
                     direction: str) -> str | None:
        """Postgres `search_path` before a step that may change it (None: it cannot)."""
        if self.target != "postgres":
            return None
        step = migration.up if direction == "up" else migration.down
        if not isinstance(step, PythonStep) and not any(
                _SEARCH_PATH.search(s.sql) for s in self.statements(migration, direction)):
            return None
        return str(conn.exec_driver_sql("SELECT current_setting('search_path')").scalar())

    def _record(self, conn: sa.Connection, migration: Migration, position: int,
                direction: str) -> None:
        """The runner's row, and the rows the tool writes after a step."""
        if direction == "up":
            conn.execute(sa.text(f"INSERT INTO {self.version_table} (position, version, name)"
                                 " VALUES (:p, :v, :n)"),
                         {"p": position, "v": migration.version_text, "n": migration.label})
        else:
            conn.execute(sa.text(f"DELETE FROM {self.version_table} WHERE position = :p"),
                         {"p": position})
        previous = self.migrations[position - 2] if position > 1 else None
        for keeping in self.bookkeeping:
            params = keeping.params(migration, previous)
            for sql in keeping.applied if direction == "up" else keeping.reverted:
                conn.execute(sa.text(sql), params)

    def _execute(self, conn: sa.Connection, statement: Statement) -> None:
        from . import dialects

        try:
            for sql in dialects.expand_at_apply(conn, statement, self.target):
                # no_parameters: a `%` in a migration (LIKE 'a%', format()) is SQL, not a
                # driver placeholder; psycopg would refuse it or rewrite '%%' to '%'.
                conn.execution_options(no_parameters=True).exec_driver_sql(sql)
        except sa.exc.DBAPIError as exc:
            raise MigrationError(
                f"{statement.where}: {self.target} refused the statement "
                f"{_short(statement.source_sql)!r}: {_first_line(exc)}") from None

    def migrate(self, conn: sa.Connection, to: int | str | None) -> None:
        """Move the database up or down to just after version `to` (None = head)."""
        self.migrate_to_index(conn, self.index(to))

    def migrate_to_index(self, conn: sa.Connection, target: int) -> None:
        """Each step commits on its own, unless the caller holds a transaction (savepoints)."""
        outer = conn.in_transaction()
        self.ensure_version_table(conn)
        current = self.current(conn)
        if not outer:
            conn.commit()
        self.migrate_between(conn, current, target)

    def migrate_between(self, conn: sa.Connection, current: int, target: int) -> None:
        """Move from a position the caller knows (a checkout of a template it built) to
        `target`, without asking the database where it is: a hypothesis example does this
        hundreds of times, and each question is a round trip."""
        while current < target:
            run = self._run_of_many(current, target)
            if run > 1:
                self._apply_many(conn, current, current + run)
                current += run
                continue
            self.apply(conn, self.migrations[current], "up")
            current += 1
        while current > target:
            self.apply(conn, self.migrations[current - 1], "down")
            current -= 1

    def migrate_engine(self, engine: sa.Engine, to: int | str | None) -> None:
        self.migrate_to_index_engine(engine, self.index(to))

    def migrate_to_index_engine(self, engine: sa.Engine, target: int) -> None:
        with engine.connect() as conn:
            self.migrate_to_index(conn, target)


def _short(sql: str, width: int = 80) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
