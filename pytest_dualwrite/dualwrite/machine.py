"""`dual_write_keeps_both_equal`: a hypothesis state machine over the dual-write phase.

Pre-existing old rows (in half the examples copied by a whole backfill at once), then any
interleaving of write / update / delete (on existing keys, often ones with relatives, and
their neighbours) / one backfill batch / a crash that abandons the backfill. `old` and
`new` must be equal whenever a backfill has just run to the end, and at the end of the
example: then, if a backfill has finished, before anything else (dual-writing alone must
have kept them equal), and after one last backfill run to completion. Comparing only at
those points, not after every write, keeps an example to a few queries; a difference a
write leaves behind persists to the end, and hypothesis shrinks the failing interleaving
to the few operations that matter, which the failure lists in order.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import hypothesis
from hypothesis import strategies as st
from hypothesis.errors import UnsatisfiedAssumption
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from .. import progress
from .blame import backfill_refused
from .harness import Backfill, Harness, OperationLog, UserCallableFailed, callable_failure, short
from .swarm import Current, flags_first


def run_machine(harness: Harness, settings: hypothesis.settings) -> None:
    spec = harness.spec
    # Without a backfill nothing copies pre-existing rows: start empty, equal from the start.
    # With one, at least three rows: an interleaving bug (a stale batch, a skipped page)
    # needs rows on both sides of a batch boundary, and shorter lists rarely cross one;
    # the empty and short cases are the other items' business.
    rows_strategy = harness.rows_strategy(min_size=3) if spec.backfill is not None \
        else st.just({})
    current = Current()  # the swarm flags are drawn with the rows: see swarm.py
    rows_strategy = flags_first(current, rows_strategy)

    class DualWriteMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            current.machine = self
            self.log = OperationLog()
            self.stack = ExitStack()
            self.conn = self.stack.enter_context(harness.checkout())
            self._keys: list[Any] = []
            self._keys_stale = False  # a write ran since the keys were read
            self.backfill: Backfill | None = None
            self.synced = spec.backfill is None
            self.compared = False  # the sides were found equal, and nothing ran since
            self.runs_unchanged = 0  # whole backfill runs since the last write: see _idle
            self.failed = False
            harness.stats.examples += 1
            progress.example()

        def _guard(self, fn: Any, *args: Any) -> Any:
            try:
                return fn(*args)
            except UserCallableFailed as exc:
                self.failed = True
                progress.failed()
                blamed = backfill_refused(harness, self.conn, self.log, exc)
                raise (blamed or callable_failure(exc, self.log)) from None
            except BaseException as exc:
                self.failed = True
                if not isinstance(exc, UnsatisfiedAssumption):  # a rejected example
                    progress.failed()
                raise

        @initialize(rows=rows_strategy,
                    backfilled=st.booleans() if spec.backfill is not None else st.just(False))
        def pre_existing_rows(self, rows: dict[str, list[dict[str, Any]]],
                              backfilled: bool) -> None:
            def go() -> None:
                harness.begin_example(self.conn, rows, self.log, count_example=False)
                self._keys = harness.keys_in_old(self.conn)
                # Half the examples start with the rows copied: a write that reaches one
                # table only shows on a copied record, and waiting for a backfill step
                # (which swarm testing disables in many examples) left a third of the
                # updates on records not yet copied. Shrinks to False: a failure that
                # does not need it drops it.
                if backfilled:
                    self._backfill_run().run()
                    self._backfilled()

            self._guard(go)

        def _app(self, attr: str, shown: str, *args: Any) -> bool:
            """One write of the application's; False when the database refused it (a
            duplicate key): the write is undone and the example goes on."""
            self.log.add(shown)
            self.compared = False
            self.runs_unchanged = 0
            try:
                harness.call(self.conn, attr, *args)
            except UserCallableFailed as exc:
                if not harness.is_rejection(exc):
                    raise
                self.log.add(f"   ...refused by the database: {exc.original.orig}")
                return False
            return True

        def _backfilled(self) -> None:
            """A backfill ran to its end: from now on the two sides must stay equal."""
            self.synced = True
            self.backfill = None
            self.runs_unchanged += 1
            harness.check_equal(self.conn, self.log, "after the backfill finished")
            self.compared = True

        @property
        def keys(self) -> list[Any]:
            """The old table's keys in the database's order, read again after a write only
            when a step needs them (writes in a row cost one read, not one each)."""
            if self._keys_stale:
                self._keys = harness.keys_in_old(self.conn)
                self._keys_stale = False
            return self._keys

        def _idle(self) -> bool:
            """No run in flight, and two whole runs since the last write or crash: a third
            would repeat the second over the same rows, so a backfill step (and the final
            backfill) does nothing. A quarter to a third of the runs in products' examples
            were such repeats (benchmarks/RESULTS.md, "#16 the backfill runs that
            repeated themselves"); the steps' choices are unchanged."""
            return self.runs_unchanged >= 2 and (self.backfill is None
                                                 or self.backfill.finished)

        def _backfill_run(self) -> Backfill:
            if self.backfill is None or self.backfill.finished:
                self.backfill = Backfill(harness, self.conn, self.log, guarded=True)
            return self.backfill

        @rule(data=st.data())
        def write(self, data: st.DataObject) -> None:
            row = data.draw(harness.write_strategy(self.conn), label="row")

            def go() -> None:
                if self._app("write", f"write({short(row, 200)})", row):
                    # Read back in the database's order, not appended: "counted from the
                    # end" must keep meaning the key a batched backfill reaches last.
                    self._keys_stale = True

            self._guard(go)

        @precondition(lambda self: spec.update is not None)
        @rule(data=st.data())
        def update(self, data: st.DataObject) -> None:
            key = data.draw(harness.key_strategy(self.keys), label="key")
            changes = data.draw(harness.changes_strategy(self.conn), label="changes")
            self._guard(lambda: self._app(
                "update", f"update(key={key!r}, changes={short(changes, 200)})", key, changes))

        if spec.key_moves and spec.update is not None:
            @rule(data=st.data())
            def move_key(self, data: st.DataObject) -> None:
                """An update that changes the record's key: an operation of its own, so it
                is drawn as often as a write, not once in many updates."""
                key = data.draw(harness.key_strategy(self.keys), label="key")
                changes = data.draw(harness.key_move_strategy(self.keys), label="changes")
                self._guard(self._moved, key, changes)

        if spec.update is not None and harness.parent_columns():
            @rule(data=st.data())
            def move_to_another_parent(self, data: st.DataObject) -> None:
                """An update that changes only the column placing the record under a
                parent, to a parent that exists: the child leaves its siblings."""
                key = data.draw(harness.key_strategy(self.keys), label="key")
                changes = data.draw(harness.parent_move_strategy(self.conn), label="changes")
                if changes:
                    self._guard(self._moved, key, changes)

        def _moved(self, key: Any, changes: dict[str, Any]) -> None:
            if self._app("update", f"update(key={key!r}, changes={short(changes, 200)})",
                         key, changes):
                self._keys_stale = True  # a key moved: read them again when next needed

        @precondition(lambda self: spec.delete is not None)
        @rule(data=st.data())
        def delete(self, data: st.DataObject) -> None:
            key = data.draw(harness.key_strategy(self.keys), label="key")

            def go() -> None:
                if self._app("delete", f"delete(key={key!r})", key) and key in self.keys:
                    self.keys.remove(key)

            self._guard(go)

        @precondition(lambda self: spec.backfill is not None)
        @rule()
        def backfill_batch(self) -> None:
            def go() -> None:
                if self._idle():
                    return
                self.compared = False
                if self._backfill_run().step():
                    self._backfilled()

            self._guard(go)

        @precondition(lambda self: spec.backfill is not None)
        @rule()
        def backfill_to_the_end(self) -> None:
            """A whole backfill as one step: the shrinker removes it in one move."""

            def go() -> None:
                if self._idle():
                    return
                self._backfill_run().run()
                self._backfilled()

            self._guard(go)

        @precondition(lambda self: spec.backfill is not None)
        @rule()
        def crash_backfill(self) -> None:
            """A crash of the backfill in flight; nothing when none is. (No precondition on
            the state: rules that come and go with it make removed steps shift the ones
            after them, and the shrinker then gives up on removing them.)"""

            def go() -> None:
                if self.backfill is None or self.backfill.finished:
                    return
                self.compared = False  # the user's generator may run code as it closes
                self.runs_unchanged = 0
                self.backfill.abandon()
                self.backfill = None

            self._guard(go)

        @invariant()
        def nothing_failed_silently(self) -> None:
            # Keeps hypothesis from running steps on a machine whose connection is gone.
            if self.conn.closed or self.conn.invalidated:
                raise AssertionError("the connection to the database was lost mid-example")

        def teardown(self) -> None:
            def finish() -> None:
                # Equal when last compared, and nothing ran since: no need to ask again.
                if self.synced and not self.compared:
                    when = "at the end" + (", before the last backfill"
                                           if spec.backfill is not None else "")
                    harness.check_equal(self.conn, self.log, when)
                if spec.backfill is not None and not self._idle():
                    self.log.add("end: run the backfill to completion")
                    Backfill(harness, self.conn, self.log, guarded=True).run()
                    harness.check_equal(self.conn, self.log, "at the end")

            try:
                if not self.failed:
                    self._guard(finish)
            finally:
                self.stack.close()

    DualWriteMachine.TestCase.settings = settings
    run_state_machine_as_test(DualWriteMachine, settings=settings)


__all__ = ["OperationLog", "run_machine"]
