"""`dualwrite_verify(engine, spec)`: compare a spec's two sides on a live database.

The loop: plan ranges in key order (`keys`), and per range, in its own READ ONLY,
REPEATABLE READ transaction (one snapshot for both sides and, if they differ, for the
exact comparison of that range), compare the two sides' hash aggregates; compare exactly
only where those differ. After each range the position and the findings so far go to the
resume file, if there is one. The client holds the totals, at most `max_differences`
differing keys and a bounded look-ahead of range bounds: its memory does not grow with
the tables.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..dualwrite.compare import DEFAULT_LIMIT, Comparison, Counts, describe
from ..dualwrite.sides import Sides
from ..dualwrite.spec import DualWrite
from ..dualwrite.story import differences_of
from ..errors import DualWriteAssertion, SpecError
from . import keys
from .chunk_query import Chunk, Pair, prepare_sqlite
from .readonly import Limits, connect, first_line, read_only, shown
from .state import State

DEFAULT_CHUNK_ROWS = 100_000  # per side: about 0.15 s a range on a laptop-class server


@dataclass(frozen=True)
class Progress:
    """What a run has done so far, handed to `on_chunk` after every range."""

    chunks: int
    chunks_estimated: int | None
    rows: int
    rows_estimated: int | None
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta(self) -> float | None:
        if not self.rows_estimated or not self.rate:
            return None
        return max(0.0, (self.rows_estimated - self.rows) / self.rate)


@dataclass
class VerifyResult:
    """The answer: `equal`, the merged comparison (as a failing item shows it), figures."""

    spec: DualWrite
    comparison: Comparison
    chunks: int  # ranges done, in this run and any it resumed
    chunks_read: int  # ranges this run read (a resumed run re-reads at most one)
    chunks_differing: int
    chunks_skipped: int  # left out by `sample`
    rows: int  # rows read, both sides
    seconds: float
    sample: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return self.comparison.equal

    def __bool__(self) -> bool:
        return self.equal

    @property
    def summary(self) -> str:
        s = self.spec
        if self.equal:
            return f"{s.label}: {s.old_label} and {s.new_label} are equal"
        return f"{s.label}: {s.old_label} and {s.new_label} differ"

    def describe(self) -> str:
        """The differences, worded as a failing item words them."""
        s = self.spec
        return describe(self.comparison, s.old_label, s.new_label, {**s.key_map, **s.column_map})

    def differences(self) -> list[dict[str, Any]]:
        """The differences as the JSON report's records."""
        return differences_of(self.comparison, self.spec.new_label)

    def check(self) -> None:
        """Raise the assertion a failing item raises, for a hand-written test."""
        if not self.equal:
            raise DualWriteAssertion(
                self.summary,
                [("differences", self.describe())],
                {"operations": [], "differences": self.differences()},
            )


def verifiable(spec: DualWrite) -> None:
    """Refuse, in one line, a spec whose sides cannot both be read in the database."""
    spec.check()
    if spec.new_is_callable:
        raise SpecError(
            f"{spec.where}: new={spec.new_label} is a callable: its rows come "
            "from Python, not from a table or SELECT, so they cannot be compared "
            "inside the database; verify needs new= as a table name or a SELECT"
        )


def _sides(conn: sa.Connection, spec: DualWrite, sides: Sides, where: str) -> Pair:
    """The pair of projections, or one line for a missing table, or a column or SELECT
    the database refuses, up front."""
    inspector = sa.inspect(conn)
    for side, table in (("old", spec.old_table), ("new", spec.new_table)):
        if table is not None and not inspector.has_table(table):
            raise SpecError(f"{spec.where}: {side}={table!r}: no such table in {where}")
    try:
        pair = Pair.build(conn, sides.old(), sides.new(), spec.old_keys, sides.names)
        for side in ("old", "new"):
            conn.execute(sa.select(*pair.sub(side).c).limit(0)).all()
    except sa.exc.DBAPIError as exc:
        raise SpecError(
            f"{spec.where}: {spec.old_label} and {spec.new_label} cannot be read "
            f"in {where}: {first_line(exc)}"
        ) from None
    return pair


def _compare_range(
    conn: sa.Connection,
    limits: Limits,
    pair: Pair,
    chunk: Chunk,
    state: State,
    key: list[str],
    max_differences: int,
) -> bool:
    """One range in one read-only transaction: hashes, then the exact comparison of the
    buckets that differ; the findings go into `state`. True when the range differs.

    A column type with no extended hash function (`bit`, `money`) fails the first range's
    `hash_record_extended`: from then on the row's text is hashed instead, and the range is
    read again in a new transaction (the failed one is aborted, nothing was counted).
    """
    try:
        with read_only(conn, limits) as c:
            return _hash_then_compare(c, pair, chunk, state, key, max_differences)
    except sa.exc.DBAPIError as exc:
        if pair.hash_mode != "record" or getattr(exc.orig, "sqlstate", None) != "42883":
            raise
    pair.hash_mode = "text"
    with read_only(conn, limits) as c:
        return _hash_then_compare(c, pair, chunk, state, key, max_differences)


def _hash_then_compare(
    c: sa.Connection, pair: Pair, chunk: Chunk, state: State, key: list[str], max_differences: int
) -> bool:
    found = pair.hashes(c, chunk)
    flagged = sorted(b for b, (on, oh, nn, nh) in found.items() if (on, oh) != (nn, nh))
    for b, (on, _, nn, _) in found.items():
        state.rows += on + nn
        if b not in flagged:
            state.counts["old_rows"] += on
            state.counts["new_rows"] += nn
    if not flagged:
        return False
    room = max_differences - _shown_keys(state, key)
    result = pair.exact(c, chunk, flagged, room)
    _merge(state, result, room)
    return not result.equal


def _picked(seed: int, sample: float | None, chunk: Chunk) -> bool:
    """Whether `sample` keeps this range: decided by the range's start, so a resumed run
    keeps the same ranges."""
    if sample is None or sample >= 1:
        return True
    return random.Random(f"{seed}:{chunk.lo!r}:{chunk.nulls}").random() < sample


def _merge(state: State, result: Comparison, room: int) -> None:
    counts = asdict(result.counts)
    state.counts = {k: state.counts.get(k, 0) + v for k, v in counts.items()}
    if result.equal or room <= 0:
        return
    state.changed += result.changed
    state.missing += result.missing
    state.extra += result.extra
    state.duplicates += result.duplicates


def _shown_keys(state: State, key: list[str]) -> int:
    found = {d.key for d in state.changed}
    found |= {tuple(r[k] for k in key) for r in (*state.missing, *state.extra)}
    return len(found | {d.key for d in state.duplicates})


def dualwrite_verify(
    engine: sa.Engine,
    spec: DualWrite,
    *,
    max_differences: int = DEFAULT_LIMIT,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    sample: float | None = None,
    seed: int = 0,
    resume: str | Path | None = None,
    limits: Limits | None = None,
    spec_id: str | None = None,
    on_chunk: Callable[[Progress], None] | None = None,
) -> VerifyResult:
    """Compare `spec`'s `old` and `new` on the database `engine` reaches, read-only.

    Same answer as the plugin's comparison (key and mapped columns, NULL equals NULL,
    copies counted), in ranges of about `chunk_rows` keys. `sample` (0 < P <= 1) reads
    that fraction of the ranges, chosen by `seed`. `resume` names a file that holds the
    position after every range: given again after an interruption, the run goes on from
    there. `on_chunk` hears the progress after each range (before it is saved, so a
    failure it raises loses that range, as a kill would).
    """
    verifiable(spec)
    limits = limits or Limits()
    sides = Sides(spec)
    key, names = spec.old_keys, sides.names
    where = shown(engine)
    identity = {
        "spec": spec_id or spec.label,
        "database": where,
        "key": key,
        "fields": names,
        "sample": sample,
        "seed": seed,
        "chunk_rows": chunk_rows,
    }
    path = Path(resume) if resume is not None else None
    state = State.load(path, identity) if path is not None else State(identity)
    begun = time.monotonic()
    before = state.seconds
    conn = connect(engine)
    try:
        if conn.dialect.name == "sqlite":
            prepare_sqlite(conn)

        def read(fn: Callable[[sa.Connection], Any]) -> Any:
            with read_only(conn, limits) as c:
                return fn(c)

        def setup(c: sa.Connection) -> tuple[Pair, int | None]:
            pair = _sides(c, spec, sides, where)
            return pair, keys.estimate_rows(read=lambda fn: fn(c), spec=spec, pair=pair)

        pair, rows_estimated = read(setup)
        chunks_estimated = -(-rows_estimated // chunk_rows) + 1 if rows_estimated else None
        read_now = 0

        def todo() -> Iterator[Chunk]:
            if not state.ranges_done:
                yield from keys.ranges(read, spec, pair, chunk_rows, rows_estimated, state.after)
            if not state.nulls_done:
                yield Chunk(None, None, nulls=True)

        for chunk in todo():
            differing = False
            if _picked(seed, sample, chunk):
                differing = _compare_range(conn, limits, pair, chunk, state, key, max_differences)
                read_now += 1
                state.chunks_read += 1
            else:
                state.chunks_skipped += 1
            state.chunks += 1
            state.chunks_differing += differing
            if chunk.nulls:
                state.nulls_done = True
            elif chunk.hi is None:
                state.ranges_done = True
            else:
                state.after = chunk.hi
            state.seconds = before + time.monotonic() - begun
            if on_chunk is not None:
                on_chunk(
                    Progress(
                        state.chunks,
                        chunks_estimated,
                        state.rows,
                        2 * rows_estimated if rows_estimated else None,
                        state.seconds,
                    )
                )
            if path is not None:
                state.save(path)
        state.finished = True
        if path is not None:
            state.save(path)
    except sa.exc.DBAPIError as exc:
        from ..errors import BackendError

        hint = f"; run again with --resume {path} to go on from here" if path else ""
        raise BackendError(f"{where}: {first_line(exc)}{hint}") from None
    finally:
        conn.close()
    return _result(spec, state, key, names, read_now, sample)


def _result(
    spec: DualWrite,
    state: State,
    key: list[str],
    names: list[str],
    read_now: int,
    sample: float | None,
) -> VerifyResult:
    counts = Counts(**state.counts)
    equal = counts.missing_rows == 0 and counts.extra_rows == 0
    comparison = Comparison(
        equal,
        tuple(key),
        tuple(names),
        state.missing,
        state.extra,
        state.changed,
        state.duplicates,
        counts,
        truncated=counts.differing_keys > _shown_keys(state, key),
    )
    notes = []
    if sample is not None and sample < 1:
        notes.append(
            f"sampled: {state.chunks_read} of {state.chunks} key ranges read "
            f"(--sample {sample}); the other ranges were not compared"
        )
    return VerifyResult(
        spec,
        comparison,
        state.chunks,
        read_now,
        state.chunks_differing,
        state.chunks_skipped,
        state.rows,
        state.seconds,
        sample,
        notes,
    )
