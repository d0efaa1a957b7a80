"""The spec checks (docs/items.md) as hypothesis properties, one function each.

Each check is a plain function `(harness, settings) -> None` that raises a
`DualWriteAssertion` (the shrunk example's operations and differences) when the
property fails. `spec_check` wraps one for the plugin's items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import hypothesis
import hypothesis.reporting
import sqlalchemy as sa
from hypothesis import strategies as st
from hypothesis.errors import UnsatisfiedAssumption

from .. import progress
from ..backends.base import Backend
from ..errors import Abort
from .harness import Backfill, Harness, OperationLog, UserCallableFailed, callable_failure
from .shrink_budget import shrink_budget
from .spec import DualWrite


def _given(settings: hypothesis.settings, body: Callable[..., None], **strategies: Any) -> None:
    """Run `body` as a hypothesis test; a user callable's error becomes a readable failure."""

    def test(**drawn: Any) -> None:
        progress.example()
        log = OperationLog()
        try:
            body(log=log, **drawn)
        except UserCallableFailed as exc:
            progress.failed()
            raise callable_failure(exc, log) from None
        except UnsatisfiedAssumption:
            raise
        except Exception:
            progress.failed()
            raise

    hypothesis.settings(settings)(hypothesis.given(**strategies)(test))()


@contextmanager
def _live_with_rows(harness: Harness, log: OperationLog,
                    rows: dict[str, list[dict[str, Any]]]) -> Iterator[sa.Connection]:
    """Every check's start: a checkout at the old schema, rows in, migrated to `live`."""
    with harness.checkout() as conn:
        harness.begin_example(conn, rows, log)
        yield conn


def backfill_preserves_every_record(harness: Harness, settings: hypothesis.settings) -> None:
    def body(log: OperationLog, rows: dict[str, list[dict[str, Any]]]) -> None:
        with _live_with_rows(harness, log, rows) as conn:
            Backfill(harness, conn, log).run()
            harness.check_equal(conn, log, "after the backfill")

    _given(settings, body, rows=harness.rows_strategy())


def backfill_is_idempotent(harness: Harness, settings: hypothesis.settings) -> None:
    def body(log: OperationLog, rows: dict[str, list[dict[str, Any]]]) -> None:
        with _live_with_rows(harness, log, rows) as conn:
            Backfill(harness, conn, log).run()
            snapshot = harness.snapshot_new(conn)
            log.add("backfill again")
            Backfill(harness, conn, log).run()
            harness.check_unchanged(conn, snapshot, log, "the second backfill changed `new`")
            harness.check_equal(conn, log, "after the second backfill")

    _given(settings, body, rows=harness.rows_strategy())


def backfill_resumes(harness: Harness, settings: hypothesis.settings) -> None:
    def body(log: OperationLog, rows: dict[str, list[dict[str, Any]]],
             crashes: list[int]) -> None:
        with _live_with_rows(harness, log, rows) as conn:
            for after in crashes:
                run = Backfill(harness, conn, log)
                for _ in range(after):
                    if run.step():
                        break
                if not run.finished:
                    run.abandon()
            Backfill(harness, conn, log).run()
            harness.check_equal(conn, log, "after the resumed backfill")

    _given(settings, body, rows=harness.rows_strategy(),
           crashes=st.lists(st.integers(0, 6), min_size=1, max_size=3))


def read_path_matches(harness: Harness, settings: hypothesis.settings) -> None:
    def body(log: OperationLog, rows: dict[str, list[dict[str, Any]]]) -> None:
        with _live_with_rows(harness, log, rows) as conn:
            harness.check_reads(conn, log, "before the backfill")
            if harness.spec.backfill is not None:
                Backfill(harness, conn, log).run()
                harness.check_reads(conn, log, "after the backfill")

    _given(settings, body, rows=harness.rows_strategy())


def contract_keeps_every_record(harness: Harness, settings: hypothesis.settings) -> None:
    def body(log: OperationLog, rows: dict[str, list[dict[str, Any]]]) -> None:
        with _live_with_rows(harness, log, rows) as conn:
            Backfill(harness, conn, log).run()
            kept = harness.snapshot_old(conn)
            harness.migrate_contract(conn, log)
            harness.check_against(conn, kept, log, "after the contract migration")

    _given(settings, body, rows=harness.rows_strategy())


def dual_write_keeps_both_equal(harness: Harness, settings: hypothesis.settings) -> None:
    from .machine import run_machine

    run_machine(harness, settings)


def cutover_keeps_every_record(harness: Harness, settings: hypothesis.settings) -> None:
    from .timeline import run_timeline

    run_timeline(harness, settings)


def backfill_races_live_writes(harness: Harness, settings: hypothesis.settings) -> None:
    from .races import run_races

    run_races(harness, settings)


CHECKS: dict[str, Callable[[Harness, hypothesis.settings], None]] = {
    "backfill_preserves_every_record": backfill_preserves_every_record,
    "backfill_is_idempotent": backfill_is_idempotent,
    "backfill_resumes": backfill_resumes,
    "dual_write_keeps_both_equal": dual_write_keeps_both_equal,
    "read_path_matches": read_path_matches,
    "contract_keeps_every_record": contract_keeps_every_record,
    "cutover_keeps_every_record": cutover_keeps_every_record,
    "backfill_races_live_writes": backfill_races_live_writes,
}


def skip_reason(item: str, backend: str) -> str | None:
    """Why an item does not run on a backend, shown as its skip; None when it runs."""
    if item == "backfill_races_live_writes" and backend == "sqlite":
        from .races import SQLITE_SKIP

        return SQLITE_SKIP
    return None


def replay_reports(printed: list[object]) -> None:
    """Print what hypothesis reported while a check held it back (a seed to reproduce).
    Checks call it unless they end in an `Abort`: that error's one line stands alone."""
    for value in printed:
        hypothesis.reporting.default(value)


def mapping_is_lossless(session: Any, backend: Backend, spec: DualWrite) -> list[str]:
    """Every old -> new pair read from the live schema, before any data: a pair that cannot
    keep every value fails the item with one line, unless the spec accepts it."""
    from ..errors import DualWriteAssertion, DualWriteError
    from . import lossless

    harness = session.harness(spec, backend)  # validates the spec's tables and columns
    try:
        schema = lossless.static_schema(session.runner(session.source_dialect()),
                                        harness.live)
    except DualWriteError:  # SQL the fold cannot read: the backend's own database says
        schema = None
    if schema is None or not (schema.has_table(spec.old_table or "")
                              and schema.has_table(spec.new_table or "")):
        schema = harness.schema(harness.live)
    verdict = lossless.judge(spec, schema)
    if verdict.lossy:
        raise DualWriteAssertion(lossless.failure_text(verdict.lossy))
    return list(verdict.notes)


def spec_check(spec: DualWrite, item: str) -> Callable[[Any, Backend], Any]:
    """The function an item calls: build the harness on the run's session, run one check."""
    if item == "mapping_is_lossless":
        def static(session: Any, backend: Backend) -> list[str]:
            return mapping_is_lossless(session, backend, spec)

        static.__name__ = item
        static.spec = spec  # type: ignore[attr-defined]
        return static
    check = CHECKS[item]

    def run(session: Any, backend: Backend) -> None:
        harness = session.harness(spec, backend)
        before = harness.stats.__dict__.copy()
        printed: list[object] = []
        try:
            # What hypothesis prints (a seed to reproduce) is held back until the check
            # ends: a callable out of bounds fails with its one line and nothing else.
            with hypothesis.reporting.with_reporter(printed.append), shrink_budget():
                check(harness, session.hypothesis_settings())
        except Abort as abort:
            raise abort.error from None
        except BaseException:
            replay_reports(printed)
            raise
        else:
            replay_reports(printed)
        finally:
            session.record(spec, item, backend.name, harness.stats, before)

    run.__name__ = item
    run.spec = spec  # type: ignore[attr-defined]  # items list the spec's partial notes
    return run
