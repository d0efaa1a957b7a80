"""In-database `compare()` on 100k records against fetching them, and against diffing in Python.

Two tables hold the same records under renamed columns (old `bench_old(id, name, body,
qty, created_at, active)` and new `bench_new(item_id, title, content, quantity, made_at,
is_active)`: int, varchar, nullable text, int, timestamp, boolean), plus `bench_new_10`,
a copy of new with 10 differing keys (4 changed fields, 3 deleted rows, 3 extra rows).
Per backend, medians of:

compare equal:    `compare(conn, old, new, key, fields)` on equal sides (one aggregate query).
compare 10 diffs: the same against `bench_new_10` (the aggregate, then the samples).
except all:       the anchor (issue 16): a hand-written two-way `EXCEPT ALL` of the same
                  projections, `(old EXCEPT ALL new) UNION ALL (new EXCEPT ALL old)`, its
                  rows fetched. SQLite has no `EXCEPT ALL`: there, its textbook equivalent,
                  each side numbered within equal rows (`ROW_NUMBER() OVER (PARTITION BY
                  every column)`) and `EXCEPT` both ways.
counts:           the other hand-written answer: `UNION ALL` of both sides flagged 1/0,
                  `GROUP BY` every column `HAVING` the two sums differ (one aggregation).
bare select:      `SELECT` the same columns of both tables, `.all()` into Python, nothing else.
python diff:      the bare select, then Counter multisets and a dict by key for field diffs:
                  what a hand-written check does.
All of them run on the same connection, one after the other in each round (alternating).

Run:  python benchmarks/compare_100k.py [--postgres-url URL] [--rows 100000] [--rounds 5]
Target: compare <= 1.2x the two-way EXCEPT ALL, equal and with 10 differences.
Another tree's `compare` (an older commit, side by side):
      python -c "import sys, runpy; sys.meta_path[:] = [f for f in sys.meta_path if
      '__editable__' not in getattr(f, '__module__', '')]; sys.path.insert(0, 'OLD_TREE');
      sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
      benchmarks/compare_100k.py --postgres-url URL
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pytest_dualwrite.backends.base import Backend
from pytest_dualwrite.backends.postgres import PostgresBackend, parse_url
from pytest_dualwrite.backends.sqlite import SqliteBackend
from pytest_dualwrite.dualwrite.compare import Projection, compare, table_projection

TARGET_FACTOR = 1.2
OLD_COLUMNS = ("id", "name", "body", "qty", "created_at", "active")
NEW_COLUMNS = ("item_id", "title", "content", "quantity", "made_at", "is_active")
FIELDS = OLD_COLUMNS[1:]
DIFFS = 10


def tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table]:
    def shaped(name: str, cols: Sequence[str]) -> sa.Table:
        return sa.Table(name, metadata,
                        sa.Column(cols[0], sa.Integer, primary_key=True, autoincrement=False),
                        sa.Column(cols[1], sa.String(80), nullable=False),
                        sa.Column(cols[2], sa.Text, nullable=True),
                        sa.Column(cols[3], sa.Integer, nullable=False),
                        sa.Column(cols[4], sa.DateTime, nullable=False),
                        sa.Column(cols[5], sa.Boolean, nullable=False))

    return (shaped("bench_old", OLD_COLUMNS), shaped("bench_new", NEW_COLUMNS),
            shaped("bench_new_10", NEW_COLUMNS))


def fill(engine: sa.Engine, rows: int) -> None:
    """Create and fill the three tables; new is copied from old by SQL."""
    metadata = sa.MetaData()
    old, new, new10 = tables(metadata)
    metadata.create_all(engine)
    rng = random.Random(42)
    start = datetime(2024, 1, 1)
    batch = [{"id": i, "name": f"item {i} {rng.randrange(10**6)}",
              "body": None if rng.random() < 0.3 else "lorem ipsum " * rng.randrange(1, 6),
              "qty": rng.randrange(1000), "active": rng.random() < 0.8,
              "created_at": start + timedelta(seconds=rng.randrange(10**8),
                                              microseconds=rng.randrange(10**6))}
             for i in range(1, rows + 1)]
    with engine.begin() as conn:
        for i in range(0, rows, 10_000):
            conn.execute(sa.insert(old), batch[i:i + 10_000])
        copy = sa.select(*old.c)
        conn.execute(sa.insert(new).from_select(list(new.c.keys()), copy))
        conn.execute(sa.insert(new10).from_select(list(new10.c.keys()), copy))
        # 10 differing keys: 4 changed fields, 3 rows gone, 3 rows that old never had
        changed = [1 + rows * i // 10 for i in (1, 3, 5, 7)]
        deleted = [1 + rows * i // 10 for i in (2, 4, 8)]
        for key, (col, value) in zip(changed, (
                ("title", "changed"), ("content", ""), ("quantity", -1),
                ("made_at", start)), strict=True):
            conn.execute(sa.update(new10).where(new10.c.item_id == key).values({col: value}))
        conn.execute(sa.delete(new10).where(new10.c.item_id.in_(deleted)))
        conn.execute(sa.insert(new10), [
            {"item_id": rows + k, "title": "extra", "content": None, "quantity": 0,
             "made_at": start, "is_active": True} for k in (1, 2, 3)])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def projections(new_table: str) -> tuple[Projection, Projection]:
    old = table_projection("bench_old", ["id"], list(FIELDS))
    new = table_projection(new_table, ["item_id"], dict(zip(FIELDS, NEW_COLUMNS[1:],
                                                            strict=True)), as_names=["id"])
    return old, new


def bare_select(conn: sa.Connection, old: Projection, new: Projection
                ) -> tuple[Sequence[Any], Sequence[Any]]:
    assert isinstance(old.query, sa.Select) and isinstance(new.query, sa.Select)
    return conn.execute(old.query).all(), conn.execute(new.query).all()


def python_diff(conn: sa.Connection, old: Projection, new: Projection
                ) -> tuple[int, list[tuple[Any, str]]]:
    """Fetch both, diff as multisets, then pair by key for field-level differences.

    Returns (differing keys, (key, field) of each changed field).
    """
    old_rows, new_rows = bare_select(conn, old, new)
    old_count = Counter(tuple(r) for r in old_rows)
    new_count = Counter(tuple(r) for r in new_rows)
    missing, extra = old_count - new_count, new_count - old_count
    by_key = {r[0]: r for r in extra}
    changed = [(r[0], f) for r in missing if r[0] in by_key
               for f, a, b in zip(FIELDS, r[1:], by_key[r[0]][1:], strict=True) if a != b]
    return len({r[0] for r in missing} | set(by_key)), changed


def _sql(conn: sa.Connection, projection: Projection) -> str:
    assert isinstance(projection.query, sa.Select)
    return str(projection.query.compile(dialect=conn.dialect))


def except_all_sql(conn: sa.Connection, old: Projection, new: Projection) -> str:
    """The two-way EXCEPT ALL (on SQLite, its ROW_NUMBER equivalent) of two projections."""
    a, b = _sql(conn, old), _sql(conn, new)
    if conn.dialect.name == "postgresql":
        return f"(({a}) EXCEPT ALL ({b})) UNION ALL (({b}) EXCEPT ALL ({a}))"
    cols = ", ".join(["id", *FIELDS])

    def numbered(sql: str) -> str:
        return (f"SELECT {cols}, ROW_NUMBER() OVER (PARTITION BY {cols}) AS dw_n "
                f"FROM ({sql}) AS dw_s")

    na, nb = numbered(a), numbered(b)
    return (f"SELECT * FROM ({na} EXCEPT {nb}) UNION ALL SELECT * FROM ({nb} EXCEPT {na})")


def counts_sql(conn: sa.Connection, old: Projection, new: Projection) -> str:
    cols = ", ".join(["id", *FIELDS])
    return (f"SELECT {cols}, SUM(o), SUM(n) FROM (SELECT {cols}, 1 AS o, 0 AS n FROM "
            f"({_sql(conn, old)}) AS dw_a UNION ALL SELECT {cols}, 0, 1 FROM "
            f"({_sql(conn, new)}) AS dw_b) AS dw_u GROUP BY {cols} HAVING SUM(o) <> SUM(n)")


def medians(fns: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Each function once per round, in turn (the order reversed every other round)."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for r in range(rounds):
        for name in (list(fns) if r % 2 == 0 else list(reversed(fns))):
            start = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def measure(backend: Backend, rows: int, rounds: int) -> dict[str, float]:
    db = backend.create_database()
    start = time.perf_counter()
    fill(db.engine, rows)
    out = {"fill": time.perf_counter() - start}
    equal_sides, diff_sides = projections("bench_new"), projections("bench_new_10")
    key, fields = ["id"], list(FIELDS)
    with db.engine.connect() as conn:
        result = compare(conn, *equal_sides, key, fields)  # warm caches, check the set-up
        assert result.equal and result.counts.old_rows == rows, result.counts
        result = compare(conn, *diff_sides, key, fields)
        assert result.counts.differing_keys == DIFFS, result.counts
        assert python_diff(conn, *diff_sides)[0] == DIFFS
        plans: dict[object, object] = {}  # as the plugin calls it: the query built once
        fns: dict[str, Callable[[], object]] = {}
        for label, sides in (("equal", equal_sides), ("10 diffs", diff_sides)):
            ea, ct = except_all_sql(conn, *sides), counts_sql(conn, *sides)
            got = conn.exec_driver_sql(ea).all()
            assert len(got) == (0 if label == "equal" else 14), (label, len(got))
            fns[f"compare {label}"] = (lambda s=sides: compare(conn, *s, key, fields,
                                                               plans=plans))
            fns[f"except all {label}"] = lambda q=ea: conn.exec_driver_sql(q).all()
            fns[f"counts {label}"] = lambda q=ct: conn.exec_driver_sql(q).all()
        fns["bare select"] = lambda: bare_select(conn, *equal_sides)
        fns["python diff"] = lambda: python_diff(conn, *diff_sides)
        out.update(medians(fns, rounds))
        conn.rollback()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("DUALWRITE_POSTGRES_URL"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.rows < 100:
        parser.error("--rows must be at least 100")
    backends: list[Backend] = [SqliteBackend()]
    if args.postgres_url:
        backends.append(PostgresBackend(parse_url(args.postgres_url)))
    print(f"{args.rows} rows a side, {args.rounds} rounds, medians in seconds")
    print(f"{'backend':9} {'fill':>5} {'case':9} {'compare':>8} {'EXCEPT ALL':>10} "
          f"{'counts':>8} {'cmp/EXCEPT ALL':>14} {'cmp/counts':>10}")
    for backend in backends:
        try:
            m = measure(backend, args.rows, args.rounds)
        finally:
            backend.close()
        for case in ("equal", "10 diffs"):
            c, e, n = m[f"compare {case}"], m[f"except all {case}"], m[f"counts {case}"]
            verdict = "met" if c / e <= TARGET_FACTOR else "MISSED"
            print(f"{backend.name:9} {m['fill']:5.1f} {case:9} {c:8.3f} {e:10.3f} {n:8.3f} "
                  f"{c / e:13.2f}x {c / n:9.2f}x  (target <= {TARGET_FACTOR}x: {verdict})")
        print(f"{'':9} bare select {m['bare select']:.3f} s, python diff "
              f"{m['python diff']:.3f} s")


if __name__ == "__main__":
    main()
