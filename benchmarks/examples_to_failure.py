"""Examples until a planted bug of tests/examples/split_1n first fails, per seed, no shrinking.

    [PYTHONPATH=<tree>] python benchmarks/examples_to_failure.py [--seeds 20] [--first-seed 1]
        [--backend sqlite] [--jobs 2] [BUG ...]

A catch rate read off five seeds is luck either way (a bug caught in 85% of runs is caught
5 of 5 times in 44% of five-seed tables); the number of examples before the first failure
is what the generator controls. Each (bug, seed) runs the bug's item (`ITEM` in
tests/test_split_example.py) on a copy of the example whose hypothesis profile has the
generate phase only and no example database, with `--dualwrite-examples=1000` and
`--hypothesis-seed=<seed>`; the count is the item's `examples` figure in the JSON report
when it failed (the failing example included). Prints, per bug: the counts sorted, their
mean, and how many would be missed at hypothesis' default of 100 examples. With
`PYTHONPATH=<tree>` first, the runs use that tree's plugin: compare trees with the same
command, one after the other.

A few seconds a run: a failure ends the run at once (no shrinking).
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor

from planted_bugs_18 import ITEM, run  # one run of the example (this folder)

GENERATE_ONLY = """from hypothesis import Phase, settings

settings.register_profile("split_1n", database=None, phases=[Phase.generate])
settings.load_profile("split_1n")
"""


def examples_to_failure(bug: str, backend: str, seed: int) -> int | None:
    """Examples run until the item failed (None: it passed 1000)."""
    result = run(bug, backend, seed, examples=1000, conftest=GENERATE_ONLY)
    if not result["caught"] and result["passed"] != 1:
        raise RuntimeError(f"{bug} seed {seed}: the run did not finish an example:\n"
                           f"{result['tail']}")
    return int(result["examples"]) if result["caught"] else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bugs", nargs="*")
    parser.add_argument("--seeds", type=int, default=20, help="how many seeds, from --first-seed")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    for bug in args.bugs or list(ITEM):
        with ThreadPoolExecutor(args.jobs) as pool:
            found = list(pool.map(lambda s, b=bug: examples_to_failure(b, args.backend, s),
                                  range(args.first_seed, args.first_seed + args.seeds)))
        caught = sorted(f for f in found if f is not None)
        mean = sum(caught) / len(caught) if caught else float("nan")
        over = sum(f is None or f > 100 for f in found)
        print(f"{bug} {args.backend}: mean {mean:.1f}, over 100: {over} of {len(found)}; "
              f"{caught}", flush=True)


if __name__ == "__main__":
    main()
