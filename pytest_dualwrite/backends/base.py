"""The one interface every backend keeps: fresh, uniquely named databases, dropped afterwards.

A backend hands out `Database` values; it remembers every database it created and drops
them all in `close()`, so a failing test still leaves nothing behind. Names carry the run's
start time, a random part and the xdist worker, so parallel workers never collide and a
later run can tell leftovers of an interrupted one.
"""

from __future__ import annotations

import itertools
import os
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..secrets import mask
from .cleanup import Owner, this_owner

NAME_PREFIX = "dualwrite_"
# One counter for the process: the backends of a run share its run id, not their numbers.
_COUNTER = itertools.count(1)


def new_run_id() -> str:
    """The start time (8 hex digits) and a random part: names sort by age, never collide."""
    return f"{int(time.time()):08x}{secrets.token_hex(2)}"


def worker_id() -> str:
    """xdist's worker id (`gw0`), or `main` when not under xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@dataclass
class Database:
    """A database the plugin owns: its engine, its name, and a URL safe to print."""

    name: str
    backend: str
    engine: sa.Engine
    dropped: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return mask(self.engine.url.render_as_string(hide_password=False))


class Backend(ABC):
    """A source of throwaway databases of one kind."""

    name: str = ""

    def __init__(self) -> None:
        self._counter = _COUNTER
        self._run = new_run_id()
        self.owner: Owner = this_owner(self._run)
        self._created: list[Database] = []
        self._templates: dict[Hashable, Database] = {}

    def join(self, owner: Owner) -> None:
        """Name and mark databases as the run `owner` describes (under xdist: the
        controller's), so the controller, or a later run, can find and judge them."""
        if self._created:
            raise RuntimeError("join() a run before creating databases")
        self.owner, self._run = owner, owner.run

    @property
    def run(self) -> str:
        return self._run

    def new_name(self) -> str:
        return f"{NAME_PREFIX}{self._run}_{worker_id()}_{next(self._counter)}"

    @abstractmethod
    def describe(self) -> str:
        """One line for the report header: where the databases come from."""

    @abstractmethod
    def _create(self, name: str) -> Database: ...

    @abstractmethod
    def _clone(self, template: Database, name: str) -> Database: ...

    @abstractmethod
    def _drop(self, db: Database) -> None: ...

    def create_database(self) -> Database:
        """A fresh, empty database that nothing else sees."""
        db = self._create(self.new_name())
        self._created.append(db)
        return db

    def clone(self, template: Database) -> Database:
        """A fresh database holding a copy of `template`'s schema and rows."""
        db = self._clone(template, self.new_name())
        self._created.append(db)
        return db

    def template(self, key: Hashable, build: Callable[[Database], None]) -> Database:
        """The database in the state `build` produces, built once per key and kept."""
        return self._kept(key, self.create_database, build)

    def template_from(self, key: Hashable, base: Database,
                      build: Callable[[Database], None]) -> Database:
        """Like `template`, but starting from a clone of `base` (a template one step
        behind): a walk through N steps then applies N migrations, not N²/2."""
        return self._kept(key, lambda: self.clone(base), build)

    def _kept(self, key: Hashable, make: Callable[[], Database],
              build: Callable[[Database], None]) -> Database:
        """The template for `key`: made and built once, dropped if the build fails."""
        template = self._templates.get(key)
        if template is None:
            template = make()
            try:
                build(template)
            except BaseException:
                self.drop(template)
                raise
            template.engine.dispose()
            self._templates[key] = template
        return template

    def database_at(self, key: Hashable, build: Callable[[Database], None]) -> Database:
        """A fresh database in the state `build` produces, building that state once per key.

        Hypothesis runs many examples per test; re-applying N migrations for each costs
        N statements per table, a clone costs one copy (see benchmarks/RESULTS.md).
        """
        return self.clone(self.template(key, build))

    @contextmanager
    def checkout(
        self, key: Hashable, build: Callable[[Database], None]
    ) -> Iterator[sa.Connection]:
        """A connection, inside a transaction, to the state `build` produces.

        Everything done through it is rolled back on exit, so the next checkout starts
        from the same state; callers make units of work with `conn.begin_nested()`. The
        default clones; backends override it with something cheaper.
        """
        db = self.database_at(key, build)
        try:
            with db.engine.connect() as conn, conn.begin():
                yield conn
        finally:
            self.drop(db)

    def rolled_back(self) -> AbstractContextManager[sa.Connection] | None:
        """A connection inside a transaction on an empty database, everything rolled back
        at exit (backends/scratch.py); None where the backend has none. SQLite has none:
        its table rebuilds switch foreign keys off, which no transaction can."""
        return None

    def warm_scratch(self) -> None:
        """Start making what `rolled_back()` uses, where the backend has one."""
        return None

    def _settle(self) -> None:
        """Wait for databases still being made, before dropping them all."""
        return None

    def drop(self, db: Database) -> None:
        if db.dropped:
            return
        db.engine.dispose()
        self._drop(db)
        db.dropped = True

    def close(self) -> None:
        """Drop every database this backend created; stop what it started."""
        stopping: list[str] = []
        self._settle()
        try:
            errors = self._drop_all([db for db in reversed(self._created) if not db.dropped])
        finally:
            self._created.clear()
            self._templates.clear()
            try:
                self._shutdown()
            except Exception as exc:  # the run's role: still report the databases
                stopping.append(str(exc))
        errors += stopping
        if errors:
            raise RuntimeError("could not drop: " + "; ".join(errors))

    def _drop_all(self, dbs: list[Database]) -> list[str]:
        """Drop `dbs` (newest first), each failure as a line; backends may do it faster."""
        errors: list[str] = []
        for db in dbs:
            try:
                self.drop(db)
            except Exception as exc:  # keep dropping the others
                errors.append(f"{db.name}: {exc}")
        return errors

    def _shutdown(self) -> None:
        """Stop servers the backend started itself (local cluster, container)."""
        return None

    def created_names(self) -> list[str]:
        return [db.name for db in self._created if not db.dropped]
