"""Split the key space into ranges of about `chunk_rows` rows, cheaply, in key order.

No count and no full scan to plan: on Postgres, a single-column key of a table side is
split at the bounds of the table's own histogram (`pg_stats.histogram_bounds`, equal-row
buckets ANALYZE keeps), and an integer key's buckets are cut further, evenly, down to
about `chunk_rows` each. Above the last bound (rows added since the last ANALYZE), and
without a histogram (never
analyzed, a composite key, a SELECT side, SQLite) the ranges come from a sparse keyset
walk: `ORDER BY key OFFSET chunk_rows LIMIT 1` from the previous bound, which reads only
the key's index, one range ahead of the comparison.

Bounds are generated lazily, so the client holds a bounded number of keys whatever the
table's size. The first range is open below and the last open above, so a key only the
new side has, below or above every old key, still falls in a range; keys holding a NULL
get a range of their own (`Chunk(nulls=True)`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa

from ..dualwrite.spec import DualWrite
from .chunk_query import Chunk, Pair

# Runs `fn(conn)` in a fresh read-only transaction and returns its result.
Reader = Callable[[Callable[[sa.Connection], Any]], Any]
_INTEGERS = ("smallint", "integer", "bigint")


def estimate_rows(read: Reader, spec: DualWrite, pair: Pair) -> int | None:
    """About how many rows the old side has: the planner's estimate, or a count on SQLite."""

    def pg(conn: sa.Connection) -> int | None:
        if spec.old_table is None:
            return None
        value = conn.execute(
            sa.text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:t)"),
            {"t": _regclass(conn, spec.old_table)},
        ).scalar()
        return int(value) if value is not None and value > 0 else None

    def sqlite(conn: sa.Connection) -> int:
        sub = pair.sub("old")
        return int(conn.execute(sa.select(sa.func.count()).select_from(sub)).scalar() or 0)

    return read(lambda conn: pg(conn) if conn.dialect.name == "postgresql" else sqlite(conn))


def _regclass(conn: sa.Connection, table: str) -> str:
    return conn.dialect.identifier_preparer.quote(table)


def _histogram(conn: sa.Connection, table: str, column: str) -> tuple[str, list[Any]] | None:
    """(the column's type, its histogram bounds in order) when ANALYZE has made some."""
    regclass = _regclass(conn, table)
    kind = conn.execute(
        sa.text(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = to_regclass(:t) AND attname = :c AND NOT attisdropped"
        ),
        {"t": regclass, "c": column},
    ).scalar()
    bounds = conn.execute(
        sa.text(
            "SELECT s.histogram_bounds::text FROM pg_stats s JOIN pg_class c "
            "ON c.relname = s.tablename JOIN pg_namespace n ON n.oid = c.relnamespace "
            "AND n.nspname = s.schemaname WHERE c.oid = to_regclass(:t) AND s.attname = :c"
        ),
        {"t": regclass, "c": column},
    ).scalar()
    if kind is None or bounds is None:
        return None
    # The type name comes from format_type (the server's own, quoted as needed).
    values = conn.execute(sa.text(f"SELECT unnest(CAST(:b AS {kind}[]))"), {"b": bounds})
    return str(kind), [v for (v,) in values]


def _cut_integers(
    hist: list[int], rows: int | None, chunk_rows: int, after: int | None
) -> Iterator[int]:
    """The histogram's bounds, each (equal-row) bucket cut evenly into pieces of about
    `chunk_rows` rows: integer keys divide by arithmetic."""
    per_bucket = (rows or 0) / max(1, len(hist) - 1)
    pieces = max(1, round(per_bucket / chunk_rows))
    if after is None or hist[0] > after:
        yield hist[0]
    for a, b in itertools.pairwise(hist):
        cuts = max(1, min(b - a, pieces))
        for j in range(1, cuts + 1):
            point = a + (b - a) * j // cuts
            if after is None or point > after:
                yield point


def _walk(
    read: Reader, pair: Pair, chunk_rows: int, after: tuple[Any, ...] | None
) -> Iterator[tuple[Any, ...]]:
    """Bounds `chunk_rows` old keys apart, found by a keyset walk over the key's order."""
    lo = after
    while True:

        def step(conn: sa.Connection, lo: tuple[Any, ...] | None = lo) -> Any:
            query, cols = pair.key_select(Chunk(lo, None))
            query = query.where(sa.and_(*(c.is_not(None) for c in cols)))
            return conn.execute(query.order_by(*cols).offset(chunk_rows).limit(1)).first()

        row = read(step)
        if row is None:
            return
        bound = tuple(row)
        if lo is not None and bound <= lo:  # one key held by more than chunk_rows rows
            return
        yield bound
        lo = bound


def bounds(
    read: Reader,
    spec: DualWrite,
    pair: Pair,
    chunk_rows: int,
    rows: int | None,
    after: tuple[Any, ...] | None,
) -> Iterator[tuple[Any, ...]]:
    """The keys where ranges start, above `after`, in order.

    Histogram bounds first (cut finer for integers); above the last bound (keys added
    since ANALYZE) and where there is no usable histogram, the keyset walk.
    """
    found = None
    if len(pair.key) == 1 and spec.old_table is not None:
        table, column = spec.old_table, spec.old_keys[0]
        found = read(
            lambda conn: (
                _histogram(conn, table, column) if conn.dialect.name == "postgresql" else None
            )
        )
    if not found or len(found[1]) < 2:
        yield from _walk(read, pair, chunk_rows, after)
        return
    kind, hist = found
    start = after[0] if after is not None else None
    per_bucket = (rows or 0) / max(1, len(hist) - 1)
    if 0 < per_bucket < chunk_rows / 2:  # small buckets: join them into ranges
        stride = int(chunk_rows // per_bucket)
        hist, per_bucket = (
            hist[::stride] + ([hist[-1]] if (len(hist) - 1) % stride else []),
            per_bucket * stride,
        )
        rows = int(per_bucket * (len(hist) - 1))
    if kind in _INTEGERS:
        points: Iterator[Any] = _cut_integers(hist, rows, chunk_rows, start)
    elif per_bucket <= 2 * chunk_rows:
        points = (b for b in hist if start is None or b > start)
    else:  # buckets too large to be ranges, and no arithmetic on these keys: walk
        yield from _walk(read, pair, chunk_rows, after)
        return
    last = after
    for point in points:
        last = (point,)
        yield last
    yield from _walk(read, pair, chunk_rows, last)


def ranges(
    read: Reader,
    spec: DualWrite,
    pair: Pair,
    chunk_rows: int,
    rows: int | None,
    after: tuple[Any, ...] | None,
) -> Iterator[Chunk]:
    """Consecutive ranges from `after` (or the lowest key) to past the highest."""
    lo = after
    for bound in bounds(read, spec, pair, chunk_rows, rows, after):
        yield Chunk(lo, bound)
        lo = bound
    yield Chunk(lo, None)
