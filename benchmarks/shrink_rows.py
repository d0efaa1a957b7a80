"""How many rows hypothesis keeps when it shrinks a failure that needs 2 or 3 rows (issue 18).

No database: rows of tests/examples/split_1n's `artifacts` from the plugin's own row
strategy, and the predicates of tests/test_shrinking_rows.py standing for planted bugs
(`keyset`, `one_run`, `one_name`; that test runs two of them at three seeds).

Per predicate and seed: the size of the shrunk example (generate and shrink only). Seeds
run one after the other in one process, as printed: a seed's result can depend on what
ran before it in the process, so compare trees with the same command.

    PYTHONPATH=<tree> python benchmarks/shrink_rows.py [--seeds 30] [--examples 100]
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

from pytest_dualwrite.own_constants import exclude_own_constants

# The test's own predicates, loaded by path: sys.path stays as PYTHONPATH=<tree> set it.
TEST = Path(__file__).resolve().parents[1] / "tests" / "test_shrinking_rows.py"
_spec = importlib.util.spec_from_file_location("test_shrinking_rows", TEST)
assert _spec is not None and _spec.loader is not None
test_shrinking_rows = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(test_shrinking_rows)
PREDICATES, shrunk = test_shrinking_rows.PREDICATES, test_shrinking_rows.shrunk


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--examples", type=int, default=100)
    args = parser.parse_args()
    # As under pytest with the plugin: the plugin's literals are not hypothesis constants.
    exclude_own_constants()
    for name, (bug, needs) in PREDICATES.items():
        sizes = [shrunk(bug, at, args.examples) for at in range(1, args.seeds + 1)]
        print(f"{name} (needs {needs}): at {needs} in {sizes.count(needs)} of "
              f"{len(sizes)}; sizes {sizes}", flush=True)


if __name__ == "__main__":
    main()
