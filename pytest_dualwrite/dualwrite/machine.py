"""`dual_write_keeps_both_equal`: a hypothesis state machine over the dual-write phase.

Pre-existing old rows, then any interleaving of write / update / delete (on existing keys
and their neighbours) / one backfill batch / a crash that abandons the backfill. Once a
backfill has run to the end, `old` and `new` must stay equal after every operation; at the
end a backfill is run to completion and they must be equal again. Hypothesis shrinks a
failing interleaving to the few operations that matter.
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
    precondition,
    rule,
    run_state_machine_as_test,
)

from .harness import Backfill, Harness, OperationLog, UserCallableFailed, callable_failure, short


def run_machine(harness: Harness, settings: hypothesis.settings) -> None:
    spec = harness.spec
    # Without a backfill nothing copies pre-existing rows: start empty, equal from the start.
    # With one, at least three rows: an interleaving bug (a stale batch, a skipped page)
    # needs rows on both sides of a batch boundary, and shorter lists rarely cross one;
    # the empty and short cases are the other items' business.
    rows_strategy = harness.rows_strategy(min_size=3) if spec.backfill is not None \
        else st.just({})

    class DualWriteMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.log = OperationLog()
            self.stack = ExitStack()
            self.conn = self.stack.enter_context(harness.checkout())
            self.keys: list[Any] = []
            self.backfill: Backfill | None = None
            self.synced = spec.backfill is None
            self.failed = False
            harness.stats.examples += 1

        def _guard(self, fn: Any, *args: Any) -> Any:
            try:
                return fn(*args)
            except UserCallableFailed as exc:
                self.failed = True
                raise callable_failure(exc, self.log) from None
            except BaseException:
                self.failed = True
                raise

        def _check(self, when: str) -> None:
            if self.synced:
                harness.check_equal(self.conn, self.log, when)

        @initialize(rows=rows_strategy)
        def pre_existing_rows(self, rows: dict[str, list[dict[str, Any]]]) -> None:
            def go() -> None:
                harness.insert(self.conn, rows, self.log, count_example=False)
                harness.migrate_live(self.conn, self.log)
                self.keys = harness.keys_in_old(self.conn)

            self._guard(go)

        @rule(data=st.data())
        def write(self, data: st.DataObject) -> None:
            row = data.draw(harness.write_strategy(self.conn), label="row")

            def go() -> None:
                self.log.add(f"write({short(row, 200)})")
                try:
                    harness.call(self.conn, "write", row)
                except UserCallableFailed as exc:
                    if not harness.is_rejection(exc):
                        raise
                    self.log.add(f"   ...refused by the database: {exc.original.orig}")
                    return
                key = harness.key_of(row)
                if key not in self.keys:
                    self.keys.append(key)
                self._check(f"after write of key {key!r}")

            self._guard(go)

        @precondition(lambda self: spec.update is not None)
        @rule(data=st.data())
        def update(self, data: st.DataObject) -> None:
            key = data.draw(harness.key_strategy(self.keys), label="key")
            changes = data.draw(harness.changes_strategy(self.conn), label="changes")

            def go() -> None:
                self.log.add(f"update(key={key!r}, changes={short(changes, 200)})")
                try:
                    harness.call(self.conn, "update", key, changes)
                except UserCallableFailed as exc:
                    if not harness.is_rejection(exc):
                        raise
                    self.log.add(f"   ...refused by the database: {exc.original.orig}")
                    return
                self._check(f"after update of key {key!r}")

            self._guard(go)

        @precondition(lambda self: spec.delete is not None)
        @rule(data=st.data())
        def delete(self, data: st.DataObject) -> None:
            key = data.draw(harness.key_strategy(self.keys), label="key")

            def go() -> None:
                self.log.add(f"delete(key={key!r})")
                try:
                    harness.call(self.conn, "delete", key)
                except UserCallableFailed as exc:
                    if not harness.is_rejection(exc):
                        raise
                    self.log.add(f"   ...refused by the database: {exc.original.orig}")
                    return
                if key in self.keys:
                    self.keys.remove(key)
                self._check(f"after delete of key {key!r}")

            self._guard(go)

        @precondition(lambda self: spec.backfill is not None)
        @rule()
        def backfill_batch(self) -> None:
            def go() -> None:
                if self.backfill is None or self.backfill.finished:
                    self.backfill = Backfill(harness, self.conn, self.log)
                if self.backfill.step():
                    self.synced = True
                    self.backfill = None
                    harness.check_equal(self.conn, self.log, "after the backfill finished")

            self._guard(go)

        @precondition(lambda self: spec.backfill is not None)
        @rule()
        def backfill_to_the_end(self) -> None:
            """A whole backfill as one step: the shrinker removes it in one move."""

            def go() -> None:
                if self.backfill is None or self.backfill.finished:
                    self.backfill = Backfill(harness, self.conn, self.log)
                self.backfill.run()
                self.synced = True
                self.backfill = None
                harness.check_equal(self.conn, self.log, "after the backfill finished")

            self._guard(go)

        @precondition(lambda self: self.backfill is not None and not self.backfill.finished)
        @rule()
        def crash_backfill(self) -> None:
            def go() -> None:
                assert self.backfill is not None
                self.backfill.abandon()
                self.backfill = None

            self._guard(go)

        @invariant()
        def nothing_failed_silently(self) -> None:
            # Equality is checked after each operation above; this only keeps hypothesis
            # from running steps on a machine whose connection is gone.
            if self.conn.closed:
                raise AssertionError("the connection to the database was lost mid-example")

        def teardown(self) -> None:
            try:
                if not self.failed and spec.backfill is not None:
                    def finish() -> None:
                        self.log.add("end: run the backfill to completion")
                        Backfill(harness, self.conn, self.log).run()
                        harness.check_equal(self.conn, self.log, "at the end")

                    self._guard(finish)
                elif not self.failed and self.synced:
                    self._guard(lambda: harness.check_equal(self.conn, self.log, "at the end"))
            finally:
                self.stack.close()

    DualWriteMachine.TestCase.settings = settings
    run_state_machine_as_test(DualWriteMachine, settings=settings)


__all__ = ["OperationLog", "run_machine"]
