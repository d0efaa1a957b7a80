"""What the `upgrade_from_empty` check costs on a long history: discover, prepare, apply.

Generates a history of Postgres-dialect migrations (benchmarks/_history.py: CREATE TABLE
with foreign keys, ADD COLUMN, CREATE INDEX, ALTER COLUMN SET NOT NULL / SET DEFAULT,
RENAME COLUMN) into a temporary folder, then times, per backend:

discover: `discover(folder)`: read, classify and check every file (no SQL parsed).
prepare:  `Runner.prepare_all()`: split with sqlglot and transpile for the backend
          (Postgres: the text as written; SQLite: transpiled plus fix-ups).
apply:    `Runner.migrate_to_index_engine(engine, n)` on an empty database, statements
          already prepared: one transaction a migration, SQLite's rebuilds included.
check:    what the check itself does end to end: a fresh Runner (prepares lazily while
          applying), a new database, every migration, the drop.

A last row, `sqlite-nosync`, is what the plugin itself now does (its SQLite files run with
`PRAGMA synchronous=OFF` on each connection, to show how much of SQLite's apply time is
the fsync at each migration's commit (the databases are throwaway files).

Run:  python benchmarks/upgrade_from_empty.py [--postgres-url URL] [--migrations 200]
      [--rounds 3] [--no-what-if]
Target (SQLite): the check under 10 s for 200 migrations.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _history import generate

from pytest_dualwrite.backends.base import Backend
from pytest_dualwrite.backends.postgres import PostgresBackend, parse_url
from pytest_dualwrite.backends.sqlite import SqliteBackend
from pytest_dualwrite.migrations.dialects import register_sqlite_functions
from pytest_dualwrite.migrations.discovery import discover
from pytest_dualwrite.migrations.model import Migration
from pytest_dualwrite.migrations.runner import Runner

TARGET_SECONDS = 10.0


def without_fsync(dbapi_connection: sqlite3.Connection) -> None:
    """The plugin's connect hook, plus no fsync at commit (what-if row only)."""
    register_sqlite_functions(dbapi_connection)
    dbapi_connection.execute("PRAGMA synchronous=OFF")


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of `fn` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def one_round(backend: Backend, folder: Path) -> dict[str, float]:
    """Each phase once, in seconds."""
    found: list[Migration] = []

    def discovering() -> None:
        found[:] = discover(folder)

    out = {"discover": timed(discovering)}
    runner = Runner(found, "postgres", backend.name)
    out["prepare"] = timed(runner.prepare_all)
    db = backend.create_database()
    try:
        out["apply"] = timed(lambda: runner.migrate_to_index_engine(db.engine, len(found)))
    finally:
        backend.drop(db)

    def check() -> None:  # checks.upgrade_from_empty, with its own runner and database
        fresh = Runner(discover(folder), "postgres", backend.name)
        db = backend.create_database()
        try:
            fresh.migrate_to_index_engine(db.engine, len(fresh.migrations))
        finally:
            backend.drop(db)

    out["check"] = timed(check)
    return out


def measure(backend: Backend, folder: Path, rounds: int) -> dict[str, float]:
    """Median seconds of each phase over `rounds`."""
    runs = [one_round(backend, folder) for _ in range(rounds)]
    return {phase: statistics.median(r[phase] for r in runs) for phase in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("DUALWRITE_POSTGRES_URL"))
    parser.add_argument("--migrations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-what-if", action="store_true",
                        help="skip the sqlite-nosync row")
    args = parser.parse_args()
    history = generate(args.migrations)
    backends: list[tuple[str, Backend]] = [
        ("sqlite", SqliteBackend(on_connect=register_sqlite_functions))]
    if args.postgres_url:
        backends.append(("postgres", PostgresBackend(parse_url(args.postgres_url))))
    if not args.no_what_if:
        backends.append(("sqlite-nosync", SqliteBackend(on_connect=without_fsync)))
    mix = ", ".join(f"{kind} {n}" for kind, n in history.kinds.most_common())
    print(f"{args.migrations} migrations ({mix}); {len(history.tables)} tables; "
          f"{args.rounds} rounds, medians in seconds")
    print(f"{'backend':13} {'discover':>9} {'prepare':>9} {'apply':>9} {'check':>9}  "
          f"{'per migration':>13}")
    with tempfile.TemporaryDirectory(prefix="dw-bench-upgrade-") as tmp:
        folder = history.write(Path(tmp) / "migrations")
        for label, backend in backends:
            try:
                m = measure(backend, folder, args.rounds)
            finally:
                backend.close()
            verdict = "  (explicit synchronous=OFF)" if label != backend.name else ""
            if label == "sqlite":
                met = m["check"] < TARGET_SECONDS
                verdict = f"  target < {TARGET_SECONDS:.0f} s: {'met' if met else 'MISSED'}"
            print(f"{label:13} {m['discover']:9.3f} {m['prepare']:9.3f} "
                  f"{m['apply']:9.3f} {m['check']:9.3f}  "
                  f"{m['check'] / args.migrations * 1000:10.1f} ms{verdict}")


if __name__ == "__main__":
    main()
