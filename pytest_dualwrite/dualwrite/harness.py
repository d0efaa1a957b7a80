"""Everything one spec check needs on one backend: versions, rows, the user's callables.

The harness knows the three points of a spec's history: `before` (the old schema, where
pre-existing rows are generated), `live` (the schema the dual-write code runs against:
just before `contract`, or the head) and `contract`. Each hypothesis example checks out
the database at `before` (a cheap copy, see backends), inserts rows, migrates to `live`
and runs the user's code. Where the steps between `before` and `live` only create new
tables, the example starts at `live` instead: the rows are the same records either way,
and the steps are not re-run hundreds of times. A write, update or delete runs after a
savepoint, so a row the database refuses is undone and the example goes on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import hypothesis
import sqlalchemy as sa
from hypothesis.strategies import SearchStrategy

from ..backends.base import Backend
from ..errors import MigrationError, SpecError
from ..migrations.runner import Runner
from ..schema.model import Schema
from ..strategies import rows_for_tables, sqlalchemy_table
from .backfill import Backfill
from .bounds import Bounds
from .draws import Draws
from .model import ModelTable
from .seen import Seen
from .sides import Sides
from .spec import DualWrite, _order
from .spelling import spelled
from .story import (
    OperationLog,
    UserCallableFailed,
    callable_failure,
    differences_of,
    failure,
    short,
)
from .verify import Verify

__all__ = ["Backfill", "Harness", "OperationLog", "Stats", "UserCallableFailed",
           "callable_failure", "differences_of", "failure", "short"]


@dataclass
class Stats:
    """Figures for the report: what one item did."""

    examples: int = 0
    rows_generated: int = 0
    operations: int = 0
    backfill_batches: int = 0
    records_verified: int = 0
    mismatches: int = 0


class Harness(Draws, Verify):
    """One spec on one backend (draws and checks come from the mixins)."""

    def __init__(self, spec: DualWrite, backend: Backend, runner: Runner) -> None:
        spec.check()
        self.spec = spec
        self.backend = backend
        self.runner = runner
        expand = self._position("expand")
        self.before = max(expand - 1, 0)
        self.contract = self._position("contract") if spec.contract is not None else None
        if self.contract is not None and self.contract <= expand:  # revision ids: by position
            raise SpecError(f"{spec.where}: contract={spec.contract!r} must come after "
                            f"expand={spec.expand!r} in the history")
        self.live = self.contract - 1 if self.contract is not None else len(runner.migrations)
        if self.before == 0 and expand >= 1:
            self.before = expand  # `old` is created by the expand step itself
        # Where examples start: `live` when nothing between changes existing rows.
        self.start = self.live if runner.creates_only(self.before, self.live) else self.before
        self._expand_labels = ", ".join(m.label for m in runner.migrations[self.before:self.live])
        self.stats = Stats()
        self._schemas: dict[int, Schema] = {}
        self._tables: dict[str, sa.Table] = {}
        self.sides = Sides(spec)
        self._write_strategies: dict[Any, SearchStrategy[dict[str, Any]]] = {}
        self._fresh_keys: SearchStrategy[Any] | None = None
        self._chosen: SearchStrategy[set[str]] | None = None
        self.seen = Seen()  # this example's values, for writes and updates to reuse
        self._changes: dict[int, Any] = {}
        self._model_table: ModelTable | None = None
        self.bounds = Bounds()  # the run's limits: the session sets its own

    def _position(self, attr: str) -> int:
        """Where `expand`/`contract` falls in the history. A version the history lacks is
        the spec's mistake (a typo, or a migration not written yet), so the error names the
        spec, its file and line, and the last migration there is."""
        version = getattr(self.spec, attr)
        try:
            return self.runner.index(version)
        except MigrationError as exc:
            last = next((m for m in reversed(self.runner.migrations) if not m.repeatable), None)
            try:
                beyond = last is not None and _order(version) > last.version
            except SpecError:  # not a number: the history's own message lists the versions
                beyond = False
            if beyond and last is not None:
                raise SpecError(f"{self.spec.where}: {attr}={version!r} is beyond the last "
                                f"migration, {last.number!r} ({last.label})") from None
            raise SpecError(f"{self.spec.where}: {attr}={version!r}: {exc}") from None

    # --- databases ----------------------------------------------------------------------
    def _key(self, index: int) -> tuple[Any, ...]:
        return ("dualwrite-at", id(self.runner), index)

    def _build(self, index: int) -> Callable[[Any], None]:
        return lambda db: self.runner.migrate_to_index_engine(db.engine, index)

    @contextmanager
    def checkout(self, index: int | None = None) -> Iterator[sa.Connection]:
        index = self.start if index is None else index
        if self.spec.reset is not None:
            self.spec.reset()
        with self.backend.checkout(self._key(index), self._build(index)) as conn:
            yield conn

    def schema(self, index: int | None = None) -> Schema:
        """The reflected schema at a point of the history (for row strategies). The old
        table is the same at `before` and `start`, so `start` serves both."""
        from ..schema.from_database import from_database

        index = self.start if index is None else index
        if index not in self._schemas:
            template = self.backend.template(self._key(index), self._build(index))
            self._schemas[index] = from_database(template.engine)
            template.engine.dispose()
        return self._schemas[index]

    def begin_example(self, conn: sa.Connection, rows: Mapping[str, list[dict[str, Any]]],
                      log: OperationLog, count_example: bool = True) -> None:
        """A fresh checkout to `live` with the pre-existing rows in it."""
        self.seen.clear()
        self.seen.remember(rows.get(self.spec.old_table or "", []))
        names = self._expand_labels
        if self.start == self.live and names:
            log.add(f"migrate: {names} (it only creates tables: rows go in after it)")
        self.insert(conn, rows, log, count_example=count_example)
        if self.start < self.live:
            self.runner.migrate_between(conn, self.start, self.live)
            log.add(f"migrate: {names}")

    def migrate_contract(self, conn: sa.Connection, log: OperationLog) -> None:
        assert self.contract is not None
        self.runner.migrate_between(conn, self.live, self.contract)
        log.add(f"migrate (contract): {self.runner.migrations[self.contract - 1].label}")

    # --- the user's callables -----------------------------------------------------------
    def call(self, conn: sa.Connection, attr: str, *args: Any) -> Any:
        """Run one user callable; it 'commits' when it returns.

        Writes (write, update, delete) run after a savepoint: the database may refuse one
        (a duplicate key), which is then rolled back to it, and the example goes on without
        it. The savepoint is never released: the example's transaction is rolled back as a
        whole, so a release would be one more round trip per write for nothing. Any other
        callable that raises ends the example, so it needs none.
        """
        fn = self.spec.resolve(attr)
        assert fn is not None, attr
        self.stats.operations += 1
        self.remember(attr, args)
        if attr.removeprefix("cutover.") in ("write", "update") \
                and self.spec.old_table is not None:
            # The row (write) or the changes (update), keyed as the database spells them.
            table = self.schema(self.live).table(self.spec.old_table)
            args = (*args[:-1], spelled(table, args[-1]))
        limit = self.bounds.limit(conn, self.spec.where,
                                  f"{attr}={self.spec.callable_name(attr)}")
        try:
            if attr.removeprefix("cutover.") not in _WRITES:
                with limit:
                    return fn(conn, *args)
            conn.exec_driver_sql("SAVEPOINT dw_write")
            try:
                with limit:
                    return fn(conn, *args)
            except Exception:
                with contextlib.suppress(sa.exc.DBAPIError):  # a lost connection: say why
                    conn.exec_driver_sql("ROLLBACK TO SAVEPOINT dw_write")
                raise
        except Exception as exc:
            raise UserCallableFailed(self.spec.callable_name(attr), exc) from exc

    def is_rejection(self, exc: UserCallableFailed) -> bool:
        """The database refused the write (a unique or check violation): not a finding."""
        return isinstance(exc.original, sa.exc.IntegrityError)

    # --- validation and rows -------------------------------------------------------------
    def validate(self) -> None:
        """The spec against the schema: `old` where rows are generated, `new` where written."""
        self.spec.validate(self.schema(self.start), sides=("old",))
        self.spec.validate(self.schema(self.live), sides=("new",))

    def _old_closure(self, schema: Schema) -> list[str]:
        """The old table and every table its foreign keys reach (their rows come first)."""
        assert self.spec.old_table is not None
        seen: list[str] = []
        todo = [self.spec.old_table]
        while todo:
            name = todo.pop()
            if name in seen or not schema.has_table(name):
                continue
            seen.append(name)
            todo += [fk.ref_table for fk in schema.table(name).foreign_keys]
        return seen

    def rows_strategy(self, min_size: int = 0) -> SearchStrategy[dict[str, list[dict[str, Any]]]]:
        """Pre-existing rows: the old table and its FK targets, at the `before` schema."""
        if self.spec.old_table is None:
            raise SpecError(f"{self.spec.label}: old= is a SELECT, so there is no table to "
                            "generate rows for; name the old table")
        schema = self.schema(self.start)
        overrides = {self.spec.old_table: dict(self.spec.strategies)} \
            if self.spec.strategies else None
        return rows_for_tables(schema, self._old_closure(schema), backend=self.backend.name,
                               overrides=overrides, min_size=min_size)

    def insert(self, conn: sa.Connection, rows: Mapping[str, list[dict[str, Any]]],
               log: OperationLog, count_example: bool = True) -> None:
        """Insert generated rows; rows the database refuses (a CHECK we cannot read) are
        not records, so the example is rejected rather than failed (and the checkout, with
        its half-done transaction, is rolled back: no savepoint needed)."""
        if count_example:
            self.stats.examples += 1
        for name, batch in rows.items():
            if not batch:
                continue
            try:
                conn.execute(sa.insert(self.table(name)), batch)
            except (sa.exc.IntegrityError, sa.exc.DataError):
                hypothesis.reject()
            self.stats.rows_generated += len(batch)
            log.add(f"insert {len(batch)} row(s) into {name}:")
            for generated in batch:
                log.add(f"    {short(generated, 240)}")

    def table(self, name: str) -> sa.Table:
        """A typed SQLAlchemy table of the `start` schema, built once (binds values as
        SQLAlchemy stores them)."""
        if name not in self._tables:
            self._tables[name] = sqlalchemy_table(self.schema(self.start).table(name))
        return self._tables[name]

    def keys_in_old(self, conn: sa.Connection) -> list[Any]:
        """Keys as their logical type (uuid.UUID on SQLite too), as callables get them."""
        keys = self.spec.old_keys
        typed = self.table(self.spec.old_table or "")
        source = [typed.c[k.lower()] for k in keys]
        rows = conn.execute(sa.select(*source).order_by(*source)).all()
        return [r[0] if len(keys) == 1 else tuple(r) for r in rows]

    def model_table(self) -> ModelTable:
        """The model's temporary table and its comparison, built once per harness."""
        if self._model_table is None:
            self._model_table = ModelTable(self)
        return self._model_table

    def key_of(self, row: Mapping[str, Any]) -> Any:
        keys = self.spec.old_keys
        return row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)

    def key_dict(self, key: Any) -> dict[str, Any]:
        keys = self.spec.old_keys
        values = (key,) if len(keys) == 1 else tuple(key)
        return dict(zip(keys, values, strict=True))


_WRITES = frozenset({"write", "update", "delete"})
