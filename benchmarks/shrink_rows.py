"""How many rows hypothesis keeps when it shrinks a failure that needs 2 or 3 rows (issue 18).

No database: rows of tests/examples/split_1n's `artifacts` from the plugin's own row
strategy, and a predicate standing for a planted bug:

- `keyset`: a backfill paging by two rows on (project, run_no), a prefix of the key,
  skips a row (split_1n's `keyset_prefix`; needs 3 rows);
- `one_run`: three artifacts of one run (needs 3);
- `one_name`: one name under two runs of a project (`read_ignores_run_no`; needs 2).

Per predicate and seed: the size of the shrunk example (generate and shrink only). Seeds
run one after the other in one process, as printed: a seed's result can depend on what
ran before it in the process, so compare trees with the same command.

    PYTHONPATH=<tree> python benchmarks/shrink_rows.py [--seeds 30] [--examples 100]
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings

from pytest_dualwrite.own_constants import exclude_own_constants
from pytest_dualwrite.schema.from_sql import from_sql_text
from pytest_dualwrite.strategies import rows

ROOT = Path(__file__).resolve().parents[1]
SQL = ROOT / "tests" / "examples" / "split_1n" / "migrations" / "001_create_artifacts.sql"
Rows = list[dict[str, Any]]


def keyset(generated: Rows) -> bool:
    keys = sorted((r["project"], r["run_no"], r["name"]) for r in generated)
    copied, last = 0, None
    while page := [k for k in keys if last is None or k[:2] > last[:2]][:2]:
        copied, last = copied + len(page), page[-1]
    return copied < len(keys)


def one_run(generated: Rows) -> bool:
    return max(Counter((r["project"], r["run_no"]) for r in generated).values(), default=0) >= 3


def one_name(generated: Rows) -> bool:
    return any(a["project"] == b["project"] and a["name"] == b["name"]
               and a["run_no"] != b["run_no"] for a in generated for b in generated)


PREDICATES: dict[str, tuple[Callable[[Rows], bool], int]] = {
    "keyset": (keyset, 3), "one_run": (one_run, 3), "one_name": (one_name, 2)}


def shrunk(bug: Callable[[Rows], bool], at: int, examples: int, schema: Any) -> int | None:
    found: list[int] = []

    @seed(at)
    @settings(max_examples=examples, database=None, deadline=None,
              phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(rows("artifacts", schema=schema, backend="sqlite"))
    def check(generated: Rows) -> None:
        if bug(generated):
            found[:] = [len(generated)]
            raise AssertionError

    try:
        check()
    except AssertionError:
        return found[0]
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--examples", type=int, default=100)
    args = parser.parse_args()
    # As under pytest with the plugin: the plugin's literals are not hypothesis constants.
    exclude_own_constants()
    schema = from_sql_text(SQL.read_text(), "postgres")
    for name, (bug, needs) in PREDICATES.items():
        sizes = [shrunk(bug, at, args.examples, schema) for at in range(1, args.seeds + 1)]
        print(f"{name} (needs {needs}): at {needs} in {sizes.count(needs)} of "
              f"{len(sizes)}; sizes {sizes}", flush=True)


if __name__ == "__main__":
    main()
