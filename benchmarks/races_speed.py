"""`backfill_races_live_writes` per example next to `dual_write_keeps_both_equal` (Postgres).

One `Session` on tests/examples/timeline (products -> catalog_items, with `cutover=`), as
a pytest run builds it, backend started before the clock. Each round runs, in an order
that alternates between rounds so machine load hits all alike:

dual-write:  `dual_write_keeps_both_equal` (one connection, rollback checkout)
races:       `backfill_races_live_writes` (two connections and threads, committed data)
rollback:    the isolation of the other items, per example: a checkout of the kept copy,
             three rows inserted, rolled back (sequences set back)
reset:       the race item's isolation, per example: the race database emptied (a DELETE
             per table, sequences set back), three rows inserted and committed
clone:       the race item's fallback isolation: a `CREATE DATABASE ... TEMPLATE` clone,
             three rows inserted and committed, dropped

Seconds per example are (item time) / (examples it ran); the figures to read are the
medians' ratios. Hypothesis runs derandomized with no example database.
Target (issue 14): races <= 3x dual-write per example.

Run:  python benchmarks/races_speed.py [--postgres-url URL] [--rounds 3] [--examples 100]
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import hypothesis
import sqlalchemy as sa

from pytest_dualwrite.dualwrite.engine import CHECKS
from pytest_dualwrite.dualwrite.harness import Harness
from pytest_dualwrite.dualwrite.races import race_database
from pytest_dualwrite.session import Session
from pytest_dualwrite.settings import resolve

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "examples" / "timeline"
TARGET = 3.0
ROWS = [
    {"sku": f"s{i}", "name": "n", "description": None, "price_cents": i, "updated_at": None}
    for i in range(3)
]
ISOLATION_ROUNDS = 50


def item(harness: Harness, name: str, settings: hypothesis.settings) -> float:
    before = harness.stats.examples
    start = time.perf_counter()
    CHECKS[name](harness, settings)
    return (time.perf_counter() - start) / max(harness.stats.examples - before, 1)


def rollback(harness: Harness) -> float:
    table = harness.table("products")
    start = time.perf_counter()
    for _ in range(ISOLATION_ROUNDS):
        with harness.checkout() as conn:
            conn.execute(sa.insert(table), ROWS)
    return (time.perf_counter() - start) / ISOLATION_ROUNDS


def reset(harness: Harness) -> float:
    db, table = race_database(harness), harness.table("products")
    start = time.perf_counter()
    for _ in range(ISOLATION_ROUNDS):
        with db.fresh().connect() as conn:
            conn.execute(sa.insert(table), ROWS)
            conn.commit()
    return (time.perf_counter() - start) / ISOLATION_ROUNDS


def clone(harness: Harness) -> float:
    table, rounds = harness.table("products"), 10
    start = time.perf_counter()
    for _ in range(rounds):
        db = harness.backend.database_at(harness._key(harness.start), harness._build(harness.start))
        with db.engine.connect() as conn:
            conn.execute(sa.insert(table), ROWS)
            conn.commit()
        harness.backend.drop(db)
    return (time.perf_counter() - start) / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("DUALWRITE_POSTGRES_URL"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--examples", type=int, default=100)
    args = parser.parse_args()
    if not args.postgres_url:
        raise SystemExit("give --postgres-url (or DUALWRITE_POSTGRES_URL)")
    sys.path.insert(0, str(EXAMPLE))
    spec = importlib.import_module("test_catalog_timeline").products_timeline
    ini = {
        "dualwrite_migrations": str(EXAMPLE / "migrations"),
        "dualwrite_dialect": "postgres",
        "dualwrite_backends": "postgres",
        "dualwrite_examples": str(args.examples),
    }
    session = Session(resolve({}, {"DUALWRITE_POSTGRES_URL": args.postgres_url}, ini), EXAMPLE)
    try:
        harness = session.harness(spec, session.backend("postgres"))
        settings = hypothesis.settings(
            session.hypothesis_settings(), derandomize=True, database=None
        )
        runs: dict[str, Callable[[], float]] = {
            "dual-write": lambda: item(harness, "dual_write_keeps_both_equal", settings),
            "races": lambda: item(harness, "backfill_races_live_writes", settings),
            "rollback": lambda: rollback(harness),
            "reset": lambda: reset(harness),
            "clone": lambda: clone(harness),
        }
        times: dict[str, list[float]] = {name: [] for name in runs}
        for round_ in range(args.rounds):
            order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
            for name in order:
                times[name].append(runs[name]())
        print(f"{args.examples} examples per item, {args.rounds} rounds; median ms/example")
        median = {name: statistics.median(values) * 1000 for name, values in times.items()}
        for name, value in median.items():
            print(
                f"{name:11} {value:8.1f} ms   rounds: "
                + " ".join(f"{v * 1000:.1f}" for v in times[name])
            )
        ratio = median["races"] / median["dual-write"]
        print(
            f"races / dual-write = {ratio:.2f}x (target <= {TARGET}x: "
            f"{'met' if ratio <= TARGET else 'MISSED'})"
        )
        print(
            f"isolation: reset / rollback = {median['reset'] / median['rollback']:.2f}x, "
            f"clone / rollback = {median['clone'] / median['rollback']:.2f}x"
        )
    finally:
        session.close()


if __name__ == "__main__":
    main()
