"""Static drift check (fold the SQL) against the live one (apply, then reflect).

`models_match_migrations` builds the migrations' schema two ways: statically, folding the
SQL files with sqlglot and no database; and on each backend, applying every migration and
reflecting the result. The static path exists so drift is caught fast and without a
server; this measures how much faster it is, on a generated history
(benchmarks/_history.py) of Postgres-dialect files.

static: discover + split (`Runner.statements(m, "up")`, source dialect = target, as the
        check does) + `from_sql` fold.
live:   discover + prepare for SQLite (split + transpile) + apply on an empty SQLite
        database + `from_database` reflection.

Both include discovery, so the ratio compares the two checks as a user waits for them.
Sanity: both Schema values must name the same tables; the number of per-column
differences `diff()` finds between them is printed too (informational: SQLite keeps less).

Most of SQLite's apply time is the fsync at each migration's commit, so a what-if line
(now the plugin's own setting too) repeats the live path with `PRAGMA synchronous=OFF`, to show
how the ratio depends on the disk.

Run:  python benchmarks/static_drift.py [--migrations 1000] [--rounds 3] [--no-what-if]
Target: static <= 1/10 of live.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from _history import generate

from pytest_dualwrite.backends.sqlite import SqliteBackend
from pytest_dualwrite.migrations.dialects import register_sqlite_functions
from pytest_dualwrite.migrations.discovery import discover
from pytest_dualwrite.migrations.runner import Runner
from pytest_dualwrite.schema.diff import diff
from pytest_dualwrite.schema.from_database import from_database
from pytest_dualwrite.schema.from_sql import collector_paused, from_sql
from pytest_dualwrite.schema.model import Schema

TARGET_RATIO = 10.0


def static(folder: Path) -> tuple[dict[str, float], Schema]:
    """Seconds of each static phase, and the folded schema."""
    t0 = time.perf_counter()
    migrations = discover(folder)
    t1 = time.perf_counter()
    with collector_paused():  # as the static check does
        runner = Runner(migrations, "postgres", "postgres")
        statements = [s for m in runner.migrations for s in runner.statements(m, "up")]
        t2 = time.perf_counter()
        schema = from_sql(statements, runner.source)
        t3 = time.perf_counter()
    return {"discover": t1 - t0, "split": t2 - t1, "fold": t3 - t2, "total": t3 - t0}, schema


def without_fsync(dbapi_connection: sqlite3.Connection) -> None:
    """The plugin's connect hook, plus no fsync at commit (what-if line only)."""
    register_sqlite_functions(dbapi_connection)
    dbapi_connection.execute("PRAGMA synchronous=OFF")


def live(folder: Path, fsync: bool = True) -> tuple[dict[str, float], Schema]:
    """Seconds of each live phase on SQLite, and the reflected schema."""
    backend = SqliteBackend(on_connect=register_sqlite_functions if fsync else without_fsync)
    try:
        t0 = time.perf_counter()
        migrations = discover(folder)
        t1 = time.perf_counter()
        runner = Runner(migrations, "postgres", "sqlite")
        runner.prepare_all()
        t2 = time.perf_counter()
        db = backend.create_database()
        runner.migrate_to_index_engine(db.engine, len(migrations))
        t3 = time.perf_counter()
        schema = from_database(db.engine)
        t4 = time.perf_counter()
    finally:
        backend.close()
    return {"discover": t1 - t0, "prepare": t2 - t1, "apply": t3 - t2, "reflect": t4 - t3,
            "total": t4 - t0}, schema


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--migrations", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres-url", help="accepted for symmetry; unused (SQLite only)")
    parser.add_argument("--no-what-if", action="store_true",
                        help="skip the live run without fsync")
    args = parser.parse_args()
    history = generate(args.migrations)
    mix = ", ".join(f"{kind} {n}" for kind, n in history.kinds.most_common())
    print(f"{args.migrations} migrations ({mix}); {len(history.tables)} tables; "
          f"{args.rounds} rounds, medians in seconds")
    with tempfile.TemporaryDirectory(prefix="dw-bench-drift-") as tmp:
        folder = history.write(Path(tmp) / "migrations")
        static_runs, live_runs, nosync_runs = [], [], []
        for _ in range(args.rounds):  # interleaved, so a burst of load hits both sides
            s_times, folded = static(folder)
            l_times, reflected = live(folder)
            static_runs.append(s_times)
            live_runs.append(l_times)
            if not args.no_what_if:
                nosync_runs.append(live(folder, fsync=False)[0])
    s, lv = medians(static_runs), medians(live_runs)
    print(f"static  discover {s['discover']:.3f} | split {s['split']:.3f} | "
          f"fold {s['fold']:.3f} | total {s['total']:.3f}")
    print(f"live    discover {lv['discover']:.3f} | prepare {lv['prepare']:.3f} | "
          f"apply {lv['apply']:.3f} | reflect {lv['reflect']:.3f} | total {lv['total']:.3f}")
    ratio = lv["total"] / s["total"]
    met = ratio >= TARGET_RATIO
    print(f"live / static = {ratio:.1f}x (target >= {TARGET_RATIO:.0f}x: "
          f"{'met' if met else 'MISSED'})")
    if nosync_runs:
        ns = medians(nosync_runs)
        print(f"live with an explicit PRAGMA synchronous=OFF (the plugin sets it too): "
              f"apply {ns['apply']:.3f} | total {ns['total']:.3f} | "
              f"{ns['total'] / s['total']:.1f}x static")

    same = set(folded.table_names) == set(reflected.table_names)
    print(f"sanity: {len(folded.table_names)} tables folded, {len(reflected.table_names)} "
          f"reflected, same names: {'yes' if same else 'NO'}")
    if not same:
        only_static = sorted(set(folded.table_names) - set(reflected.table_names))
        only_live = sorted(set(reflected.table_names) - set(folded.table_names))
        print(f"  only static: {only_static[:10]}  only live: {only_live[:10]}")
    differences = diff(folded, reflected)
    kinds = Counter(d.object_kind for d in differences)
    print(f"diff(static, sqlite): {len(differences)} difference(s) {dict(kinds)}")
    for d in differences[:5]:
        print(f"  {d.table}: {d.object}: static {d.expected} | sqlite {d.actual}")
    if folded.notes or reflected.notes:
        print(f"notes: static {len(folded.notes)}, sqlite {len(reflected.notes)}")


if __name__ == "__main__":
    main()
