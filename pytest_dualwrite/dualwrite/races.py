"""`backfill_races_live_writes`: the backfill against live writes, on real connections.

Every other item runs an example on one connection, inside one transaction: a backfill
that reads rows and writes them back after a concurrent update cannot go wrong there.
Here (Postgres) the backfill runs on its own connection and thread and stops before each
SQL statement it sends and before each commit (a batch commits at its `yield`); the
application's writes, updates and deletes run on a second connection, one at a time, and
stop the same way, each committing when it returns. At each stop hypothesis picks which
side takes the next step, so it can put an update between a batch's SELECT and its upsert,
or a backfill statement inside an operation's transaction. A step that waits for a row
lock the other side holds (the server says so) lets the other side move on, as the server
would. The oracle is the model of the records: once the backfill has run to its end (and
the operation in flight has committed), `new` must hold exactly the model.

SQLite has one writer: a backfill's transaction and an application's never overlap, so
there is no such race to find there; the item is collected on SQLite as a skip that says
so (see `SQLITE_SKIP`).
"""

from __future__ import annotations

import inspect
import time
from typing import Any

import hypothesis
import sqlalchemy as sa
from hypothesis import strategies as st
from hypothesis.errors import UnsatisfiedAssumption

from .. import progress
from ..errors import Abort, UserCodeError
from .harness import Harness, OperationLog, UserCallableFailed, callable_failure, short
from .interleave import Side, settle, waits_on_lock
from .model import Model
from .model_story import model_failure
from .race_db import RaceDatabase
from .spelling import spelled

SQLITE_SKIP = (
    "SQLite has a single writer: a backfill's transaction and the application's "
    "never overlap, so there is no race to find"
)
MAX_OPERATIONS = 5  # the application's operations per example
_RETRY_STATES = ("40P01", "40001")  # deadlock, serialization failure: the app retries


def race_database(harness: Harness) -> RaceDatabase:
    """The harness's race database (one per spec and backend), made on first use."""
    db = getattr(harness, "race_db", None)
    if db is None:
        db = RaceDatabase(harness)
        harness.race_db = db  # type: ignore[attr-defined]
    return db


def run_races(harness: Harness, settings: hypothesis.settings) -> None:
    if harness.backend.name != "postgres":
        raise UserCodeError(f"{harness.spec.where}: backfill_races_live_writes: {SQLITE_SKIP}")
    db = race_database(harness)
    rows = harness.rows_strategy(min_size=1)

    def test(rows: dict[str, list[dict[str, Any]]], data: st.DataObject) -> None:
        progress.example()
        try:
            Race(harness, db, data).run(rows)
        except UnsatisfiedAssumption:
            raise
        except BaseException:
            progress.failed()
            raise

    hypothesis.settings(settings)(hypothesis.given(rows=rows, data=st.data())(test))()


class Race:
    """One example: rows in, the backfill started, steps picked until both sides are done."""

    def __init__(self, harness: Harness, db: RaceDatabase, data: st.DataObject) -> None:
        self.harness = harness
        self.spec = harness.spec
        self.db = db
        self.data = data
        self.log = OperationLog()
        self.kinds = [k for k in ("write", "update", "delete") if self.spec.resolve(k)]
        self.left = MAX_OPERATIONS
        self.op: tuple[str, str, tuple[Any, ...], Any] | None = None  # kind, text, args, key
        self.blocked: dict[str, bool] = {"backfill": False, "app": False}
        self.backfill_over = False
        self.timeout = harness.bounds.call_timeout or 24 * 3600.0
        self.name = self.spec.callable_name("backfill")

    def run(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        engine = self.db.fresh()
        with (
            engine.connect() as app,
            engine.connect() as bf,
            engine.connect().execution_options(isolation_level="AUTOCOMMIT") as monitor,
        ):
            # The model's temporary table lives as long as the pooled session: made once.
            made = app.exec_driver_sql("SELECT to_regclass('pg_temp.dw_model')").scalar()
            self.harness.begin_example(app, rows, self.log)
            self.model = Model(self.harness)
            self.model.start(app, create=made is None)
            # In the database's order: the rows' places on disk change between examples
            # (the tables are emptied, not rolled back), so the draws must not see them.
            self.keys = self.harness.keys_in_old(app)
            app.commit()
            self.backfill, self.app = Side("backfill", bf), Side("app", app)

            self.monitor = monitor
            try:
                self._race()
            finally:
                for side in (self.backfill, self.app):
                    if side.live:
                        side.cancel(join=self.timeout)
                    side.close()
                for conn in (app, bf):
                    if conn.in_transaction() and not conn.invalidated:
                        conn.rollback()
            self._check(app)

    # --- the schedule ---------------------------------------------------------------------
    def _race(self) -> None:
        self.harness.stats.operations += 1
        self.backfill.start(self._backfill_work)
        while True:
            self._rest()
            if not (self.backfill.live or (self.op is not None and self.app.live)):
                return
            # The first choice is what the shrinker goes to. While an operation is in
            # flight, its next statement: a counterexample then names only the backfill
            # steps that must come between, and removing a row the backfill copies does
            # not push the operation's steps past the batch's commit. Otherwise the
            # backfill's step: no operation, no race.
            choices = []
            if self.op is not None and self.app.state == "paused":
                choices.append("app")
            if self.backfill.state == "paused":
                choices.append("backfill")
            if self.op is None and self.left and self.backfill.live:
                choices.append("start")
            if not choices:  # each waits on the other: the server's deadlock detector ends it
                self._wait_deadlock()
                continue
            pick = (
                choices[0]
                if len(choices) == 1
                else choices[self.data.draw(st.integers(0, len(choices) - 1), label="next step")]
            )
            if pick == "start":
                self._start_operation()
            elif pick == "backfill":
                self._step(self.backfill, "backfill")
            else:
                self._step(self.app, f"   {self.op[1]}")  # type: ignore[index]

    def _step(self, side: Side, who: str) -> None:
        self.log.add(f"{who}: {side.at}")
        self.blocked[side.label] = False
        side.go()

    def _rest(self) -> None:
        """Wait until each side has stopped, ended, or waits on a lock the other holds
        (the server says which); a side that ended is accounted for once."""
        for side, other in ((self.backfill, self.app), (self.app, self.backfill)):
            if side.state != "running":
                self._ended(side)
                continue
            if self.blocked[side.label] and waits_on_lock(self.monitor, side):
                continue  # still waiting: the other side must move first
            outcome = settle(side, self.monitor, time.monotonic() + self.timeout)
            if outcome == "timeout":
                self._timed_out(side)
            if outcome == "blocked" and not self.blocked[side.label]:
                self.log.add(f"   ...the {side.label} waits for a row lock the {other.label} holds")
            self.blocked[side.label] = outcome == "blocked"
            self._ended(side)
        if any(self.blocked.values()) and not all(self.blocked.values()):
            # the one that waits may have been let go by what the other just did
            for side in (self.backfill, self.app):
                if self.blocked[side.label] and (
                    side.settled(0) or not waits_on_lock(self.monitor, side)
                ):
                    self.blocked[side.label] = False
                    self._rest()
                    return

    def _wait_deadlock(self) -> None:
        deadline = time.monotonic() + self.timeout
        while not (self.backfill.settled(0.05) or self.app.settled(0.05)):
            if time.monotonic() > deadline:
                self._timed_out(self.backfill)
        self.blocked = {"backfill": False, "app": False}

    def _timed_out(self, side: Side) -> None:
        name = (
            self.name
            if side is self.backfill
            else self.spec.callable_name(self.op[0] if self.op else "write")
        )
        raise Abort(
            UserCodeError(
                f"{self.spec.where}: {name} did not reach its next statement within "
                f"{self.timeout:g} s while racing (--dualwrite-call-timeout / "
                "dualwrite_call_timeout); does it wait on something that never comes?"
            )
        )

    # --- the backfill's side ----------------------------------------------------------------
    def _backfill_work(self, conn: sa.Connection) -> None:
        harness, side = self.harness, self.backfill
        if not inspect.isgeneratorfunction(self.spec.backfill):
            self.spec.backfill(conn)  # type: ignore[misc]
        else:
            batches = 0
            for _ in self.spec.backfill(conn):  # type: ignore[misc]
                batches += 1
                harness.stats.backfill_batches += 1
                side.stop(f"commit (end of batch {batches})")
                conn.commit()
                harness.bounds.check_batches(self.spec.where, self.name, batches)
        side.stop("commit (end of the backfill)")
        conn.commit()

    def _ended(self, side: Side) -> None:
        if (
            side.state not in ("done", "failed")
            or (side is self.app and self.op is None)
            or (side is self.backfill and self.backfill_over)
        ):
            return
        if side is self.backfill:
            self.backfill_over = True
            if side.error is not None:
                if isinstance(side.error, Abort):
                    raise side.error
                self.log.add(f"backfill raised {type(side.error).__name__}")
                raise callable_failure(
                    UserCallableFailed(self.name, side.error), self.log
                ) from None
            self.log.add(f"backfill finished ({side.statements} statement(s))")
        else:
            self._operation_ended()

    # --- the application's side -------------------------------------------------------------
    def _start_operation(self) -> None:
        harness, conn, data = self.harness, self.app.conn, self.data
        kind = data.draw(st.sampled_from(self.kinds), label="operation")
        if kind == "write":
            row = data.draw(harness.write_strategy(conn), label="row")
            key, args, text = harness.key_of(row), (row,), f"write({short(row, 200)})"
            if key not in self.keys:
                self.keys.append(key)
        else:
            key = data.draw(harness.key_strategy(self.keys, either_end=True), label="key")
            if kind == "update":
                changes = data.draw(harness.changes_strategy(conn), label="changes")
                args, text = (key, changes), f"update(key={key!r}, changes={short(changes, 200)})"
            else:
                args, text = (key,), f"delete(key={key!r})"
        conn.commit()  # what the draws read: the operation starts a transaction of its own
        self.left -= 1
        harness.stats.operations += 1
        self.op = (kind, text, args, key)
        self.log.add(f"dual-write: {text} begins on the application's connection")
        fn = self.spec.resolve(kind)
        table = harness.schema(harness.live).table(self.spec.old_table or "")
        call = (*args[:-1], spelled(table, args[-1])) if kind != "delete" else args

        def work(conn: sa.Connection) -> None:
            fn(conn, *call)  # type: ignore[misc]
            self.app.stop("commit")
            conn.commit()

        self.app.start(work)

    def _operation_ended(self) -> None:
        assert self.op is not None
        kind, text, args, key = self.op
        self.op = None
        error = self.app.error
        step = f"dual-write: {text}"
        if error is None:
            self.log.add(f"   {text} committed")
            if kind == "write":
                self.model.wrote(args[0], step)
            elif kind == "update":
                self.model.updated(key, args[1], step)
            else:
                self.model.deleted(key, step)
            return
        self.app.conn.rollback()
        self.model.named(key)
        state = getattr(getattr(error, "orig", None), "sqlstate", None)
        if isinstance(error, sa.exc.IntegrityError) or state in _RETRY_STATES:
            self.log.add(
                f"   ...refused by the database, rolled back: "
                f"{str(getattr(error, 'orig', error)).splitlines()[0]}"
            )
            return
        raise callable_failure(
            UserCallableFailed(self.spec.callable_name(kind), error), self.log
        ) from None

    # --- the oracle -------------------------------------------------------------------------
    def _check(self, conn: sa.Connection) -> None:
        harness = self.harness
        result = self.model.compare_new(conn, harness.schema(harness.live))
        harness.stats.records_verified += result.counts.old_rows
        if not result.equal:
            harness.stats.mismatches += 1
            raise model_failure(
                harness,
                conn,
                self.model,
                self.log,
                "after the backfill raced the application's writes",
                result,
            )


__all__ = ["MAX_OPERATIONS", "SQLITE_SKIP", "run_races"]
