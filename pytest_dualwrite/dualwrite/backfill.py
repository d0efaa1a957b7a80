"""One run of the user's backfill, batch by batch, so a check can interleave or crash it."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .story import OperationLog, UserCallableFailed

if TYPE_CHECKING:
    from .harness import Harness


class Backfill:
    """One run of the user's backfill; a generator ends a batch at each `yield`."""

    def __init__(self, harness: Harness, conn: sa.Connection, log: OperationLog,
                 guarded: bool = False) -> None:
        self.harness = harness
        # A savepoint before each batch, so a batch the database refuses (IntegrityError)
        # can be undone and what the writes before it left behind looked at (`blame`).
        self.guarded = guarded
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
        if self.guarded:
            self.conn.exec_driver_sql("SAVEPOINT dw_batch")
        try:
            with harness.bounds.limit(self.conn, harness.spec.where, f"backfill={self.name}"):
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
            failed = UserCallableFailed(self.name, exc)
            if self.guarded and isinstance(exc, sa.exc.IntegrityError):
                try:
                    self.conn.exec_driver_sql("ROLLBACK TO SAVEPOINT dw_batch")
                    failed.rolled_back = True
                except sa.exc.DBAPIError:
                    pass
            raise failed from exc
        if self.finished:
            self.log.add(f"backfill finished after {self.batches} batch(es)")
        else:
            harness.bounds.check_batches(harness.spec.where, self.name, self.batches)
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
