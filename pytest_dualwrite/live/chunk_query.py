"""One key range of both sides: a hash aggregate first, the exact comparison only if needed.

Per range the database answers a few small rows per side: for each of 64 buckets of keys
(equal sub-ranges of a bounded integer key range, else by a hash of the key), how many
rows, and the sum of a 64-bit hash of each row (key and mapped columns). Count and sum are
order-independent and count copies, so equal pairs mean equal multisets (up to a 2^-64
collision); nothing but those numbers leaves the server. Only the buckets whose numbers
differ are compared exactly (about 1/64 of a range per differing key; for an integer key
read by that sub-range's index range alone), by the plugin's own comparer
(`dualwrite.compare.compare`: GROUP BY, NULL equals NULL, multiset counts), which fetches
just the differing rows of the keys it shows. The hash is a filter and never the verdict:
a bucket it flags that the comparer finds equal (`-0.0` and `0.0`, `1.0` and `1.00`) costs
one exact comparison and counts as equal.

Both sides go through one `UNION ALL`, so Postgres gives each compared column one type
(int4 and int8, varchar and text, timestamp and timestamptz), casting where the comparer
casts (`_casts`), and a value hashes the same on both sides. The row hash is
`hash_record_extended(ROW(...), 0)` (Postgres 14+; 2.5x cheaper than rendering the row as
text), else `hashtextextended(ROW(...)::text, 0)`. On SQLite, which has no hash function,
the connection gets a deterministic one (`dw_row_hash`, blake2b of the typed values,
32 bits so the SUM of 2^31 rows cannot overflow); it lives in the client process, as
SQLite does, and creates nothing in the database file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..dualwrite.compare import Comparison, Projection, compare
from ..dualwrite.compare_plan import _casts

SIDE = "dw_side"
# Keys are spread over this many buckets within a range (an integer key's sub-ranges, else
# by a hash of the key): a range that differs is compared exactly only on the buckets
# whose hashes differ.
BUCKETS = 64


@dataclass(frozen=True)
class Chunk:
    """Keys `lo <= key < hi` (None: unbounded), or with `nulls`, keys holding a NULL."""

    lo: tuple[Any, ...] | None
    hi: tuple[Any, ...] | None
    nulls: bool = False

    def where(self, cols: Sequence[sa.ColumnElement[Any]]) -> Any:
        if self.nulls:
            return sa.or_(*(c.is_(None) for c in cols))
        single = len(cols) == 1
        key = cols[0] if single else sa.tuple_(*cols)
        conds = []
        if self.lo is not None:
            conds.append(key >= (self.lo[0] if single else sa.tuple_(*map(sa.literal, self.lo))))
        if self.hi is not None:
            conds.append(key < (self.hi[0] if single else sa.tuple_(*map(sa.literal, self.hi))))
        return sa.and_(sa.true(), *conds)


def _row_hash(*values: Any) -> int:
    text = repr(tuple((type(v).__name__, v) for v in values)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=4).digest(), "big")


def prepare_sqlite(conn: sa.Connection) -> None:
    """Give this SQLite connection the row hash (client-side, like SQLite itself)."""
    raw = conn.connection.driver_connection
    raw.create_function("dw_row_hash", -1, _row_hash, deterministic=True)  # type: ignore[union-attr]


@dataclass
class Pair:
    """The spec's two projections, with what every range's queries share."""

    old: Projection
    new: Projection
    key: list[str]
    names: list[str]
    casts: dict[str, Any]
    hash_mode: str  # "record", "text" (Postgres) or "sqlite"

    @classmethod
    def build(
        cls, conn: sa.Connection, old: Projection, new: Projection, key: list[str], names: list[str]
    ) -> Pair:
        mode = "sqlite"
        casts: dict[str, Any] = {}
        if conn.dialect.name == "postgresql":
            version = conn.dialect.server_version_info or (0,)
            mode = "record" if version >= (14,) else "text"
            casts = _casts(
                conn, old, new, old.subquery(names, "dw_old"), new.subquery(names, "dw_new"), names
            )
        return cls(old, new, key, names, casts, mode)

    def sub(self, side: str) -> sa.Subquery:
        projection = self.old if side == "old" else self.new
        return projection.subquery(self.names, f"dw_{side}")

    def key_select(self, chunk: Chunk | None = None) -> tuple[sa.Select[Any], list[Any]]:
        """The old side's key columns (for walking the key order), and those columns."""
        sub = self.sub("old")
        cols = [sub.c[k] for k in self.key]
        query = sa.select(*cols)
        return (query.where(chunk.where(cols)) if chunk else query), cols

    def ranged(
        self,
        side: str,
        chunk: Chunk,
        cast: bool,
        buckets: Sequence[int] | None = None,
    ) -> sa.Select[Any]:
        """One side's rows in a range (and, given `buckets`, only keys in those buckets:
        sub-ranges of an integer key's range, else keys hashed into them)."""
        sub = self.sub(side)
        cast_cols = {
            n: sa.cast(sub.c[n], self.casts[n]) if n in self.casts else sub.c[n] for n in self.names
        }
        cols = [(cast_cols[n] if cast else sub.c[n]).label(n) for n in self.names]
        keys = [sub.c[k] for k in self.key]
        if buckets is not None and self._width(chunk):
            parts = self._parts(chunk, buckets)
            return sa.select(*cols).where(sa.or_(*(p.where(keys) for p in parts)))
        query = sa.select(*cols).where(chunk.where(keys))
        if buckets is not None:
            query = query.where(self._bucket([cast_cols[k] for k in self.key], chunk).in_(buckets))
        return query

    def _width(self, chunk: Chunk) -> int | None:
        """hi - lo of a bounded range of one integer key (uncast): buckets are then
        sub-ranges, so a differing bucket is read again by its index range alone."""
        lo, hi = chunk.lo, chunk.hi
        if lo is None or hi is None or len(lo) != 1 or self.key[0] in self.casts:
            return None
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (lo[0], hi[0])):
            return None
        return int(hi[0] - lo[0]) if hi[0] - lo[0] >= BUCKETS else None

    def _parts(self, chunk: Chunk, buckets: Sequence[int]) -> list[Chunk]:
        """The key sub-ranges of `buckets`: bucket b holds lo + ceil(b*w/B) <= key <
        lo + ceil((b+1)*w/B), exactly the keys with (key - lo) * B // w == b."""
        lo, width = chunk.lo[0], self._width(chunk)  # type: ignore[index]
        assert width is not None
        parts: list[Chunk] = []
        for b in sorted(buckets):
            start = lo + -(-b * width // BUCKETS)
            end = lo + -(-(b + 1) * width // BUCKETS)
            if parts and parts[-1].hi == (start,):
                parts[-1] = Chunk(parts[-1].lo, (end,))
            else:
                parts.append(Chunk((start,), (end,)))
        return parts

    def _hash(self, cols: list[Any]) -> Any:
        if self.hash_mode == "sqlite":
            return sa.func.dw_row_hash(*cols)
        row = sa.func.row(*cols)
        if self.hash_mode == "record":
            return sa.func.hash_record_extended(row, 0)
        return sa.func.hashtextextended(sa.cast(row, sa.Text), 0)

    def _bucket(self, key_cols: list[Any], chunk: Chunk) -> Any:
        width = self._width(chunk)
        if width is not None and chunk.lo is not None:
            lo = sa.literal(chunk.lo[0], sa.BigInteger)
            return (key_cols[0] - lo) * BUCKETS // sa.literal(width, sa.BigInteger)
        return self._hash(key_cols) % BUCKETS

    def hashes(self, conn: sa.Connection, chunk: Chunk) -> dict[int, tuple[int, int, int, int]]:
        """Per bucket of keys: (old rows, old hash sum, new rows, new hash sum) of a range."""
        sides = [
            self.ranged(side, chunk, cast=True).add_columns(sa.literal_column(str(i)).label(SIDE))
            for i, side in enumerate(("old", "new"))
        ]
        u = sa.union_all(*sides).subquery("dw_u")
        bucket = self._bucket([u.c[k] for k in self.key], chunk).label("dw_bucket")
        query = sa.select(
            u.c[SIDE],
            bucket,
            sa.func.count(),
            sa.func.sum(self._hash([u.c[n] for n in self.names])),
        ).group_by(u.c[SIDE], bucket)
        found: dict[int, list[int]] = {}
        for side, b, n, total in conn.execute(query):
            found.setdefault(int(b), [0, 0, 0, 0])[2 * int(side) : 2 * int(side) + 2] = [
                int(n),
                int(total or 0),
            ]
        return {b: (v[0], v[1], v[2], v[3]) for b, v in found.items()}

    def exact(
        self, conn: sa.Connection, chunk: Chunk, buckets: Sequence[int], limit: int
    ) -> Comparison:
        """The plugin's own comparison, restricted to the keys of `buckets` in this range."""
        old = Projection(self.ranged("old", chunk, False, buckets), self.old.label, self.old.types)
        new = Projection(self.ranged("new", chunk, False, buckets), self.new.label, self.new.types)
        return compare(conn, old, new, self.key, self.names, limit=max(1, limit))
