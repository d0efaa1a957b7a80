"""`cutover_keeps_every_record`: a hypothesis state machine over the whole timeline.

Pre-existing rows; dual-write operations, backfill batches and crashes; at a moment
hypothesis picks (before, during or after a backfill) the write cutover, after which
writes go through the spec's `Cutover`; a late, resumed or repeated backfill may still
run. The oracle is the model of the records (see `model`), not `old`: after the cutover
`old` is frozen. `read(key)` must equal the model for every key ever touched whenever
hypothesis asks, and after the cutover at the end; then the backfill runs to completion,
`new` must equal the model exactly, and again after the contract migration.

The rules are the same in every state (a rule that does not apply does nothing), so when
the shrinker removes a step the ones after it still line up.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import hypothesis
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from .backfill import Backfill
from .blame import backfill_refused
from .harness import Harness
from .model import Model
from .model_story import model_failure, read_failure
from .story import OperationLog, UserCallableFailed, callable_failure, short
from .swarm import Current, flags_first


def run_timeline(harness: Harness, settings: hypothesis.settings) -> None:
    spec = harness.spec
    rows_strategy = harness.rows_strategy(min_size=1)
    current = Current()  # the swarm flags are drawn with the rows: see swarm.py
    rows_strategy = flags_first(current, rows_strategy)

    class TimelineMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            current.machine = self
            self.log = OperationLog()
            self.stack = ExitStack()
            self.conn = self.stack.enter_context(harness.checkout())
            self.model = Model(harness)
            self.keys: list[Any] = []
            self.backfill: Backfill | None = None
            self.backfilled = spec.backfill is None  # a backfill has run to its end
            self.cut = False
            self.failed = False
            harness.stats.examples += 1

        @property
        def phase(self) -> str:
            return "cutover" if self.cut else "dual-write"

        def _guard(self, fn: Any, *args: Any) -> Any:
            try:
                return fn(*args)
            except UserCallableFailed as exc:
                self.failed = True
                # Before the cutover `old` is the truth: a refused backfill may be a write's
                # doing (see `blame`); after it, `new` is meant to differ from `old`.
                blamed = None if self.cut else backfill_refused(harness, self.conn,
                                                                self.log, exc)
                raise (blamed or callable_failure(exc, self.log)) from None
            except BaseException:
                self.failed = True
                raise

        @initialize(rows=rows_strategy)
        def pre_existing_rows(self, rows: dict[str, list[dict[str, Any]]]) -> None:
            def go() -> None:
                harness.begin_example(self.conn, rows, self.log, count_example=False)
                self.model.start(self.conn)
                self.keys = list(self.model.rows)

            self._guard(go)

        def _app(self, attr: str, shown: str, *args: Any) -> str | None:
            """One operation of the application's, through the write path of the phase
            it is in; the step's text when the database accepted it, else None."""
            name = f"cutover.{attr}" if self.cut else attr
            if spec.resolve(name) is None:
                return None
            step = f"{self.phase}: {shown}"
            self.log.add(step)
            try:
                harness.call(self.conn, name, *args)
            except UserCallableFailed as exc:
                if not harness.is_rejection(exc):
                    raise
                self.log.add(f"   ...refused by the database: {exc.original.orig}")
                return None
            return step

        @rule(data=st.data())
        def write(self, data: st.DataObject) -> None:
            row = data.draw(harness.write_strategy(self.conn), label="row")

            def go() -> None:
                key = harness.key_of(row)
                # Every key a write drew joins the keys later steps pick from, accepted
                # or not, and stays after a delete (a deleted key is where resurrections
                # show): the draws then depend on the draws alone, never on the database.
                if key not in self.keys:
                    self.keys.append(key)
                step = self._app("write", f"write({short(row, 200)})", row)
                if step is None:
                    self.model.named(key)
                    return
                self.model.wrote(row, step)

            self._guard(go)

        @rule(data=st.data())
        def update(self, data: st.DataObject) -> None:
            key = data.draw(harness.key_strategy(self.keys), label="key")
            changes = data.draw(harness.changes_strategy(self.conn), label="changes")

            def go() -> None:
                step = self._app("update", f"update(key={key!r}, changes={short(changes, 200)})",
                                 key, changes)
                if step is None:
                    self.model.named(key)
                else:
                    self.model.updated(key, changes, step)

            self._guard(go)

        @rule(data=st.data())
        def delete(self, data: st.DataObject) -> None:
            key = data.draw(harness.key_strategy(self.keys), label="key")

            def go() -> None:
                step = self._app("delete", f"delete(key={key!r})", key)
                if step is None:
                    self.model.named(key)
                    return
                self.model.deleted(key, step)

            self._guard(go)

        @rule()
        def cutover(self) -> None:
            """The write cutover; nothing once it has happened."""
            if not self.cut:
                self.cut = True
                self.log.add("write cutover: from here writes go through Cutover")

        def _backfill_run(self) -> Backfill:
            if self.backfill is None or self.backfill.finished:
                self.backfill = Backfill(harness, self.conn, self.log, guarded=True)
            return self.backfill

        def _ended(self) -> None:
            self.backfilled = True
            self.backfill = None

        @rule()
        def backfill_batch(self) -> None:
            if spec.backfill is not None and self._guard(self._backfill_run().step):
                self._ended()

        @rule()
        def backfill_to_the_end(self) -> None:
            """A whole (late or repeated) backfill as one step."""
            if spec.backfill is not None:
                self._guard(self._backfill_run().run)
                self._ended()

        @rule()
        def crash_backfill(self) -> None:
            if self.backfill is not None and not self.backfill.finished:
                self._guard(self.backfill.abandon)
                self.backfill = None

        @rule()
        def read_every_key(self) -> None:
            """`read(key)` of every key ever touched against the model, now."""
            self._guard(self._check_reads, f"({self.phase} phase)")

        def _check_reads(self, when: str) -> None:
            if spec.read is None:
                return
            expected = self.model.load(self.conn)
            problems = []
            for key in self.model.touched:
                self.log.add(f"read(key={key!r}) {when}")
                got = harness.call(self.conn, "read", key)
                problems += self._read_problem(key, expected.get(key), got)
            harness.stats.records_verified += len(self.model.touched)
            if problems:
                harness.stats.mismatches += 1
                raise read_failure(harness, self.conn, self.model, self.log, when, problems)

        def _read_problem(self, key: Any, want: Any, got: Any) -> list[tuple[Any, str | None,
                                                                             Any, Any]]:
            from .normalize import normalize

            if want is None or got is None:
                return [] if (want is None) == (got is None) else [(key, None, want, got)]
            out: list[tuple[Any, str | None, Any, Any]] = []
            for name, column_type in harness.model_table().types.items():
                value = got.get(name) if hasattr(got, "get") else getattr(got, name, None)
                if normalize(value, column_type) != normalize(want[name], column_type):
                    out.append((key, name, want[name], value))
            return out

        def _check_new(self, when: str, schema: Any) -> None:
            result = self.model.compare_new(self.conn, schema)
            harness.stats.records_verified += result.counts.old_rows
            if not result.equal:
                harness.stats.mismatches += 1
                raise model_failure(harness, self.conn, self.model, self.log, when, result)
            harness.check_spans(self.conn, self.log, when, schema)

        @invariant()
        def connection_alive(self) -> None:
            if self.conn.closed or self.conn.invalidated:
                raise AssertionError("the connection to the database was lost mid-example")

        def teardown(self) -> None:
            def finish() -> None:
                if not self.cut:
                    self.cutover()
                if spec.backfill is not None and (self.backfill is not None
                                                  or not self.backfilled):
                    self.log.add("end: the backfill runs to completion")
                    self._backfill_run().run()
                    self._ended()
                self._check_reads("at the end")
                self._check_new("at the end, after the backfill", harness.schema(harness.live))
                if harness.contract is not None:
                    harness.migrate_contract(self.conn, self.log)
                    self._check_new("after the contract migration",
                                    harness.schema(harness.contract))

            try:
                if not self.failed:
                    self._guard(finish)
            finally:
                self.stack.close()

    TimelineMachine.TestCase.settings = settings
    run_state_machine_as_test(TimelineMachine, settings=settings)


__all__ = ["run_timeline"]
