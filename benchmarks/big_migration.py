"""What `migrations_are_well_formed` costs on one big data migration (issue 13, item 8).

Generates files of N INSERTs (about 500 bytes each, the shape of a seed-data dump) and
times, in CPU seconds, what well_formed does with one: `split` (tokenize, cut, parse)
and `for_dialect` for Postgres (the file's own dialect: as written) and for SQLite
(transpiled). Files over `splitter.MAX_PARSED_BYTES` are cut by a scanner of quotes and
comments, not parsed: on Postgres they run as written (one note), on SQLite they are
refused in one line asking for a stand-in.

The figure to read is the ratio between sizes: time in proportion to size is linear.
Before this change the line of each statement was counted from the start of the file
(quadratic): 5 MB took 18 s to split (26 CPU-seconds on SQLite) and 50 MB over 15 minutes.

Run:  python benchmarks/big_migration.py [--sizes 0.5 5 50]
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from pathlib import Path

from pytest_dualwrite.errors import MigrationError
from pytest_dualwrite.migrations.dialects import TranspileContext, for_dialect, split
from pytest_dualwrite.migrations.model import SqlSource
from pytest_dualwrite.migrations.splitter import MAX_PARSED_BYTES


def generate(megabytes: float) -> str:
    random.seed(1)
    parts = ["CREATE TABLE events (id BIGINT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT, "
             "created_at TIMESTAMP);\n"]
    size, n = len(parts[0]), 0
    while size < megabytes * 1e6:
        n += 1
        row = (f"INSERT INTO events (id, kind, payload, created_at) VALUES ({n}, 'k;{n % 17}', "
               f"'{'x' * random.randint(380, 440)}', '2024-01-01 00:00:00');\n")
        parts.append(row)
        size += len(row)
    return "".join(parts)


def cpu(fn):  # type: ignore[no-untyped-def]
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.5, 5.0, 50.0])
    args = parser.parse_args()
    print(f"parsed up to {MAX_PARSED_BYTES / 1e6:.1f} MB")
    print(f"{'MB':>6} {'stmts':>7} {'split s':>8} {'pg s':>6} {'sqlite s':>9} "
          f"{'split s/MB':>10} {'max RSS MB':>10}  sqlite")
    for megabytes in args.sizes:
        text = generate(megabytes)
        source = SqlSource(Path(f"001_seed_{megabytes:g}mb.sql"), text)
        split_s, statements = cpu(lambda s=source: split(s, "postgres"))
        pg_s, _ = cpu(lambda st=statements: for_dialect(st, "postgres", "postgres",
                                                        context=TranspileContext()))
        try:
            sqlite_s, _ = cpu(lambda st=statements: for_dialect(st, "postgres", "sqlite",
                                                                context=TranspileContext()))
            outcome = "transpiled"
        except MigrationError as exc:
            sqlite_s, outcome = 0.0, f"refused: {str(exc)[:70]}..."
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(f"{len(text) / 1e6:>6.1f} {len(statements):>7} {split_s:>8.2f} {pg_s:>6.2f} "
              f"{sqlite_s:>9.2f} {split_s / (len(text) / 1e6):>10.2f} {rss:>10}  {outcome}")


if __name__ == "__main__":
    main()
