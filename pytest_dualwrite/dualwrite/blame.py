"""Shrinking that explains: a backfill refused by the database, blamed on the write that
caused it.

A write path that stores a record wrongly in `new` (under another key, say) often shows
first as an `IntegrityError` of the backfill: the backfill copies the record and meets
the wrong copy on a unique constraint. Told as "backfill raised IntegrityError", the
story points at the backfill, which is right. So when a backfill batch in a state machine
is refused, the batch is rolled back to its savepoint and the two sides compared as the
writes left them: a record `new` holds that differs from `old` (changed, extra, a
duplicate, a row the join hides) cannot be a record the backfill has not reached yet, so
it is the writes' doing, and the story says so, the refusal after it. Records `new` is
only missing are the backfill's business and do not count.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ..errors import DualWriteAssertion
from . import spans
from .compare import Counts, describe
from .story import OperationLog, UserCallableFailed, differences_of, failure

if TYPE_CHECKING:
    import sqlalchemy as sa

    from .harness import Harness


def backfill_refused(harness: Harness, conn: sa.Connection, log: OperationLog,
                     exc: UserCallableFailed) -> DualWriteAssertion | None:
    """The writes' story when they left `new` wrong before a refused backfill; else None."""
    if not exc.rolled_back or exc.name != harness.spec.callable_name("backfill"):
        return None
    spec = harness.spec
    result = harness.compare(conn)
    counts = result.counts
    found = spans.unreached(conn, spec, harness.schema(harness.live))
    wrong = counts.changed_keys or counts.extra_keys or counts.duplicate_keys_new
    if not wrong and not found:
        return None
    shown = dataclasses.replace(result, missing=[], counts=dataclasses.replace(
        counts, differing_keys=counts.differing_keys - counts.missing_keys,
        missing_keys=0) if isinstance(counts, Counts) else counts)
    refusal = f"{exc.name} raised {type(exc.original).__name__}: " \
              f"{str(exc.original).splitlines()[0]}"
    lines = [f"before the backfill batch, the writes had left {spec.new_label} holding "
             f"records {spec.old_label} does not have:"]
    if wrong:
        lines.append(describe(shown, spec.old_label, spec.new_label,
                              {**spec.key_map, **spec.column_map}))
    lines += spans.describe_unreached(found, spec.new_label)
    lines.append(f"then the backfill was refused: {refusal}")
    log.add(f"backfill batch refused by the database: {refusal}")
    harness.stats.mismatches += 1
    return failure(f"{spec.label}: a write left {spec.new_label} wrong, and the backfill "
                   "then failed on it", log, "\n".join(lines),
                   differences_of(shown, spec.new_label) + spans.differences(found))
