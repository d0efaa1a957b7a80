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
import inspect
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import sqlalchemy as sa
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..backends.base import Backend
from ..errors import DualWriteAssertion, MigrationError, SpecError
from ..migrations.runner import Runner
from ..schema.model import Schema
from ..strategies import from_column, row, rows_for_tables, sqlalchemy_table, sqlalchemy_type
from ..strategies.neighbours import neighbours
from .compare import Comparison, describe
from .normalize import normalize
from .sides import Sides
from .spec import DualWrite, _order


@dataclass
class Stats:
    """Figures for the report: what one item did."""

    examples: int = 0
    rows_generated: int = 0
    operations: int = 0
    backfill_batches: int = 0
    records_verified: int = 0
    mismatches: int = 0


class UserCallableFailed(Exception):
    """The user's own callable raised: its name and traceback are the story."""

    def __init__(self, name: str, exc: BaseException) -> None:
        self.name = name
        self.original = exc
        frames = traceback.format_exception(type(exc), exc, exc.__traceback__)
        self.traceback = "".join(frames)
        super().__init__(f"{name} raised {type(exc).__name__}: {exc}")


@dataclass
class OperationLog:
    """The operations of one example, in order, as a person reads them."""

    lines: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.lines.append(text)

    def render(self) -> str:
        return "\n".join(f"{i:>3}. {line}" for i, line in enumerate(self.lines, 1)) or "(none)"


def short(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


class Harness:
    def __init__(self, spec: DualWrite, backend: Backend, runner: Runner) -> None:
        spec.check()
        self.spec = spec
        self.backend = backend
        self.runner = runner
        expand = self._position("expand")
        self.before = max(expand - 1, 0)
        self.contract = self._position("contract") if spec.contract is not None else None
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
        fn = getattr(self.spec, attr)
        self.stats.operations += 1
        try:
            if attr not in _WRITES:
                return fn(conn, *args)
            conn.exec_driver_sql("SAVEPOINT dw_write")
            try:
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
        source = [typed.c[k] for k in keys]
        rows = conn.execute(sa.select(*source).order_by(*source)).all()
        return [r[0] if len(keys) == 1 else tuple(r) for r in rows]

    def _parent_values(self, conn: sa.Connection, schema: Schema) -> dict[str, tuple[Any, ...]]:
        """FK columns of a generated write: the parent keys that exist now."""
        table = schema.table(self.spec.old_table or "")
        out: dict[str, tuple[Any, ...]] = {}
        for fk in table.foreign_keys:
            if len(fk.columns) != 1 or fk.ref_table == table.name:
                continue
            ref_type = schema.table(fk.ref_table).column(fk.ref_columns[0]).type \
                if schema.has_table(fk.ref_table) else None
            ref = sa.table(fk.ref_table, sa.column(fk.ref_columns[0], sqlalchemy_type(
                ref_type) if ref_type is not None else None))
            values = conn.execute(sa.select(ref.c[0]).distinct().order_by(ref.c[0])
                                  .limit(50)).scalars().all()
            if values:
                out[fk.columns[0]] = tuple(values)
        return out

    def write_strategy(self, conn: sa.Connection) -> SearchStrategy[dict[str, Any]]:
        """One row the app writes at the live schema: every key column generated.

        Built once per set of parent keys: building a row strategy resolves every column,
        far dearer than drawing from it, and a state machine draws one per step.
        """
        schema = self.schema(self.live)
        parents = self._parent_values(conn, schema)
        cache_key = tuple(sorted(parents.items()))
        strategy = self._write_strategies.get(cache_key)
        if strategy is None:
            table = schema.table(self.spec.old_table or "")
            overrides: dict[str, Any] = {k: ... for k in self.spec.old_keys}
            for column, values in parents.items():
                choice: SearchStrategy[Any] = st.sampled_from(values)
                overrides[column] = st.none() | choice if table.column(column).nullable \
                    else choice
            overrides.update(self.spec.strategies or {})
            strategy = row(table, schema=schema, backend=self.backend.name,
                           overrides=overrides)
            if len(self._write_strategies) > 64:
                self._write_strategies.clear()
            self._write_strategies[cache_key] = strategy
        return strategy

    def changes_strategy(self, conn: sa.Connection) -> SearchStrategy[dict[str, Any]]:
        """A non-empty subset of the mapped columns with new values."""
        schema = self.schema(self.live)
        table = schema.table(self.spec.old_table or "")
        columns = list(self.spec.column_map) or [
            c.name for c in table.columns
            if c.name not in self.spec.old_keys and not c.autoincrement]
        full = self.write_strategy(conn)
        if self._chosen is None:
            self._chosen = st.sets(st.sampled_from(columns), min_size=1) if columns \
                else st.just(set())
        return st.tuples(full, self._chosen).map(
            lambda pair: {c: pair[0][c] for c in sorted(pair[1]) if c in pair[0]})

    def key_strategy(self, keys: list[Any]) -> SearchStrategy[Any]:
        """Mostly existing keys; sometimes a neighbour or a key that does not exist.

        The same draws whatever `keys` holds (a branch, then an index or a fresh key), so
        when the shrinker removes a row or a step, the choices after it still line up and
        the shrink can be kept.
        """
        if self._fresh_keys is None:
            table = self.schema(self.live).table(self.spec.old_table or "")
            fresh: SearchStrategy[Any] = st.tuples(*(
                from_column(table.column(k), backend=self.backend.name)
                for k in self.spec.old_keys))
            if len(self.spec.old_keys) == 1:
                fresh = fresh.map(lambda t: t[0])
            self._fresh_keys = fresh
        fresh_keys = self._fresh_keys
        near = [n for k in keys for n in self._neighbours(k)]

        @st.composite
        def pick(draw: st.DrawFn) -> Any:
            branch = draw(st.integers(0, 3))  # 0-1 existing, 2 a neighbour, 3 fresh
            pool = keys if branch < 2 else near if branch == 2 else []
            if pool:
                # Counted from the end, so it shrinks towards the last key (sorted): the
                # one a batched backfill reaches last, where interleavings go wrong; and
                # removing an earlier row leaves the choice pointing at the same key.
                return pool[-1 - draw(st.integers(0, len(pool) - 1))]
            return draw(fresh_keys)

        return pick()

    # --- comparing ---------------------------------------------------------------------------
    def compare(self, conn: sa.Connection) -> Comparison:
        return self.sides.compare(conn, self.schema(self.live), self.schema(self.live))

    def check_equal(self, conn: sa.Connection, log: OperationLog, when: str) -> None:
        result = self.compare(conn)
        self.stats.records_verified += result.counts.old_rows
        if not result.equal:
            self.stats.mismatches += 1
            spec = self.spec
            raise failure(f"{spec.label}: {spec.old_label} and {spec.new_label} differ {when}",
                          log, describe(result, spec.old_label, spec.new_label),
                          differences_of(result, spec.new_label))

    def snapshot_new(self, conn: sa.Connection) -> Any:
        return self.sides.keep_new(conn, self.schema(self.live))

    def snapshot_old(self, conn: sa.Connection) -> Any:
        return self.sides.keep(conn, "old", self.schema(self.live))

    def check_unchanged(self, conn: sa.Connection, kept: Any, log: OperationLog,
                        summary: str) -> None:
        equal, details, count = self.sides.compare_kept(conn, kept, self.schema(self.live))
        self.stats.records_verified += count
        if not equal:
            self.stats.mismatches += 1
            raise failure(f"{self.spec.label}: {summary}", log, details)

    def check_against(self, conn: sa.Connection, kept: Any, log: OperationLog,
                      when: str) -> None:
        schema = self.schema(self.contract) if self.contract else None
        equal, details, count = self.sides.compare_kept(conn, kept, schema)
        self.stats.records_verified += count
        if not equal:
            self.stats.mismatches += 1
            raise failure(f"{self.spec.label}: records of {self.spec.old_label} lost or "
                          f"changed in {self.spec.new_label} {when}", log, details)

    def check_reads(self, conn: sa.Connection, log: OperationLog, when: str) -> None:
        """`read(key)` for every key (and a missing neighbour) against the old row."""
        spec = self.spec
        schema = self.schema(self.live)
        old = schema.table(spec.old_table or "")
        typed = self.table(old.name)
        fields = spec.fields
        keys = self.keys_in_old(conn)
        expected: dict[Any, dict[str, Any]] = {}
        for r in conn.execute(sa.select(*(typed.c[f] for f in fields))).mappings():
            expected[self.key_of(r)] = dict(r)
        probes = keys + [n for k in keys[:1] for n in self._neighbours(k) if n not in expected]
        problems: list[str] = []
        for key in probes:
            log.add(f"read(key={key!r}) {when}")
            got = self.call(conn, "read", key)
            want = expected.get(key)
            problems += _read_problems(spec.old_label, key, want, got, fields, old)
        self.stats.records_verified += len(keys)
        if problems:
            self.stats.mismatches += 1
            raise failure(f"{spec.label}: the read path disagrees with {spec.old_label} {when}",
                          log, "\n".join(problems))

    def _neighbours(self, key: Any) -> list[Any]:
        """Neighbouring keys of the key column's type (an int4 key has no 2**31)."""
        table = self.schema(self.live).table(self.spec.old_table or "")
        types = [table.column(k).type for k in self.spec.old_keys]
        return neighbours(key, types, self.backend.name)

    def key_of(self, row: Mapping[str, Any]) -> Any:
        keys = self.spec.old_keys
        return row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)

    def key_dict(self, key: Any) -> dict[str, Any]:
        keys = self.spec.old_keys
        values = (key,) if len(keys) == 1 else tuple(key)
        return dict(zip(keys, values, strict=True))


class Backfill:
    """One run of the user's backfill; a generator ends a batch at each `yield`."""

    def __init__(self, harness: Harness, conn: sa.Connection, log: OperationLog) -> None:
        self.harness = harness
        self.conn = conn
        self.log = log
        self.batches = 0
        self.finished = False
        self.name = harness.spec.callable_name("backfill")
        self._generator: Iterator[Any] | None = None
        self._is_generator = inspect.isgeneratorfunction(harness.spec.backfill)

    def step(self) -> bool:
        """Run one batch (a plain function: all of it); True once the backfill is done."""
        if self.finished:
            return True
        harness = self.harness
        harness.stats.operations += 1
        # No savepoint per batch: a batch that raises ends the example (rolled back with
        # the checkout), and one that returns is as committed as the outer transaction lets
        # anything be; other operations see its rows either way.
        try:
            if not self._is_generator:
                harness.spec.backfill(self.conn)  # type: ignore[misc]
                self.finished = True
            else:
                if self._generator is None:
                    self._generator = harness.spec.backfill(self.conn)  # type: ignore[misc]
                next(self._generator)  # type: ignore[arg-type]
        except StopIteration:
            self.finished = True
        except Exception as exc:
            raise UserCallableFailed(self.name, exc) from exc
        if self.finished:
            self.log.add(f"backfill finished after {self.batches} batch(es)")
        else:
            self.batches += 1
            harness.stats.backfill_batches += 1
            self.log.add(f"backfill batch {self.batches}")
        return self.finished

    def run(self) -> None:
        while not self.step():
            pass

    def abandon(self) -> None:
        """A crash: the batch in flight is lost; committed batches stay."""
        if self._generator is not None and not self.finished:
            try:
                self._generator.close()  # type: ignore[attr-defined]
            except Exception as exc:
                raise UserCallableFailed(self.name, exc) from exc
        self.log.add(f"backfill abandoned after batch {self.batches} (crash)")
        self.finished = True


_WRITES = frozenset({"write", "update", "delete"})


def failure(summary: str, log: OperationLog, details: str,
            differences: list[dict[str, Any]] | None = None) -> DualWriteAssertion:
    sections = [("operations", log.render()), ("differences", details)]
    data = {"operations": list(log.lines),
            "differences": differences if differences is not None else [
                {"kind": "other", "table": "", "key": None, "field": None,
                 "old": None, "new": line} for line in details.splitlines()]}
    return DualWriteAssertion(summary, sections, data)


def differences_of(result: Comparison, new_label: str) -> list[dict[str, Any]]:
    """A comparison's samples as report records: table, key, field, old, new."""
    def key(values: Any) -> Any:
        values = list(values)
        return values[0] if len(values) == 1 else values

    out: list[dict[str, Any]] = []
    for d in result.changed:
        out.append({"kind": "changed", "table": new_label, "key": key(d.key), "field": d.field,
                    "old": d.old_value, "new": d.new_value})
    for r in result.missing:
        out.append({"kind": "missing", "table": new_label, "key": key(r[k] for k in result.key),
                    "field": None, "old": dict(r), "new": None})
    for r in result.extra:
        out.append({"kind": "extra", "table": new_label, "key": key(r[k] for k in result.key),
                    "field": None, "old": None, "new": dict(r)})
    for dup in result.duplicates:
        out.append({"kind": "duplicate", "table": new_label, "key": key(dup.key),
                    "field": None, "old": dup.old_count, "new": dup.new_count})
    return out


def callable_failure(exc: UserCallableFailed, log: OperationLog) -> DualWriteAssertion:
    return DualWriteAssertion(
        f"{exc.name} raised {type(exc.original).__name__}: {exc.original}",
        [("operations", log.render()), (f"traceback of {exc.name}", exc.traceback)])


def _read_problems(old_label: str, key: Any, want: Mapping[str, Any] | None, got: Any,
                   fields: list[str], table: Any) -> list[str]:
    if want is None:
        return [] if got is None else [f"key={key!r}: read returned {short(dict(got), 200)} "
                                       f"but {old_label} has no such row"]
    if got is None:
        return [f"key={key!r}: read returned None but {old_label} has "
                f"{short(dict(want), 200)}"]
    out = []
    for name in fields:
        column_type = table.column(name).type
        value = got.get(name) if isinstance(got, Mapping) else getattr(got, name, None)
        if normalize(value, column_type) != normalize(want[name], column_type):
            out.append(f"key={key!r}: {old_label}.{name}: old {want[name]!r} != read "
                       f"{value!r}")
    return out
