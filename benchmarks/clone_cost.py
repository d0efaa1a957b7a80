"""Cost of handing out a fresh database at migration version N: re-apply vs clone vs checkout.

re-apply: create a database and run N migrations (what a naive fixture does).
clone:    a copy of a template built once (SQLite backup() to a file, Postgres TEMPLATE):
          what `dualwrite_db.fresh()` and `Backend.database_at` hand out; includes the drop.
checkout: what one hypothesis example gets (SQLite: backup() into memory; Postgres: a
          transaction on a kept copy, rolled back, sequences set back).

Run:  python benchmarks/clone_cost.py [--postgres-url URL] [--migrations 10] [--rounds 30]
Prints medians per backend; the figures go into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from pytest_dualwrite.backends.base import Backend, Database
from pytest_dualwrite.backends.postgres import PostgresBackend, parse_url
from pytest_dualwrite.backends.sqlite import SqliteBackend


def migrations(count: int) -> list[list[str]]:
    """`count` realistic steps: a table each, a foreign key to the previous, an index."""
    steps = []
    for i in range(count):
        parent = f", parent_id INTEGER REFERENCES t{i - 1}(id) ON DELETE CASCADE" if i else ""
        steps.append([
            f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name VARCHAR(80) NOT NULL, "
            f"note TEXT, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP{parent})",
            f"CREATE INDEX ix_t{i}_name ON t{i} (name, created_at)",
            f"CREATE UNIQUE INDEX ux_t{i}_note ON t{i} (note)",
        ])
    return steps


def apply(db: Database, steps: list[list[str]]) -> None:
    for step in steps:  # one transaction a migration, as the runner does
        with db.engine.begin() as conn:
            for sql in step:
                conn.exec_driver_sql(sql)


def median_ms(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(backend: Backend, steps: list[list[str]], rounds: int) -> tuple[float, float, float]:
    def by_migrating() -> None:
        db = backend.create_database()
        apply(db, steps)
        with db.engine.connect() as conn:  # the database is usable: one query
            conn.exec_driver_sql("SELECT 1").all()
        backend.drop(db)

    def by_cloning() -> None:
        db = backend.database_at(("bench", len(steps)), lambda d: apply(d, steps))
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1").all()
        backend.drop(db)

    def by_checkout() -> None:
        with backend.checkout(("bench", len(steps)), lambda d: apply(d, steps)) as conn:
            conn.exec_driver_sql("SELECT 1").all()

    by_cloning()  # build the template outside the timing: it is paid once per run
    by_checkout()  # likewise the kept copy a checkout starts from
    return (median_ms(by_migrating, rounds), median_ms(by_cloning, rounds),
            median_ms(by_checkout, rounds))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres-url", default=os.environ.get("DUALWRITE_POSTGRES_URL"))
    parser.add_argument("--migrations", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    steps = migrations(args.migrations)
    backends: list[Backend] = [SqliteBackend()]
    if args.postgres_url:
        backends.append(PostgresBackend(parse_url(args.postgres_url)))
    print(f"{args.migrations} migrations, {args.rounds} rounds, medians")
    for backend in backends:
        try:
            migrate, clone, checkout = measure(backend, steps, args.rounds)
        finally:
            backend.close()
        print(f"{backend.name:9} re-apply {migrate:8.2f} ms | clone {clone:8.2f} ms "
              f"({migrate / clone:5.1f}x cheaper) | checkout {checkout:6.2f} ms "
              f"({migrate / checkout:6.1f}x cheaper)")


if __name__ == "__main__":
    main()
