"""Examples until a planted bug of tests/examples/products first fails in the state machine
item, per seed, under this tree and another one (generate phase only, no shrinking).

    git worktree add --detach /tmp/base-X <commit>
    DUALWRITE_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python benchmarks/products_to_failure.py --base /tmp/base-X stale_snapshot \\
        [--backend sqlite] [--seeds 40]

Each (tree, seed) runs `dual_write_keeps_both_equal` on a copy of the example with
`DW_BUG=<bug>`, a hypothesis profile without the shrink phase or an example database, and
`--hypothesis-seed=<seed>`; the count is the item's `examples` figure in the JSON report.
The two trees alternate, one per core. Prints caught-of-N and the median, mean and largest
count per tree.
"""

from __future__ import annotations

import argparse
import statistics
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from examples_to_failure import GENERATE_ONLY  # this folder
from planted_bugs_18 import ROOT, run

PRODUCTS = ROOT / "tests" / "examples" / "products"


def one(tree: Path | None, bug: str, backend: str, seed: int, examples: int) -> tuple[bool, int]:
    result = run(bug, backend, seed, examples=examples, conftest=GENERATE_ONLY,
                 item="dual_write_keeps_both_equal", tree=tree, example=PRODUCTS)
    return result["caught"], result["examples"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bug")
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--examples", type=int, default=100)
    args = parser.parse_args()
    trees = {"base": args.base, "this tree": None}
    with ThreadPoolExecutor(2) as pool:
        runs = {name: [pool.submit(one, tree, args.bug, args.backend, seed, args.examples)
                       for seed in range(1, args.seeds + 1)] for name, tree in trees.items()}
        for name, futures in runs.items():
            caught = [n for hit, n in (f.result() for f in futures) if hit]
            figures = (f"median {statistics.median(caught)}, mean {statistics.mean(caught):.1f},"
                       f" max {max(caught)}") if caught else "-"
            print(f"{args.bug}, {args.backend}, {name}: "
                  f"caught {len(caught)}/{args.seeds}; {figures}")


if __name__ == "__main__":
    main()
