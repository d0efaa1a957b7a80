"""Issue 16: a planted bug's whole run (the search and the shrink) under this tree and an
older one, side by side, with the counterexample each ends on.

    git worktree add --detach /tmp/base-X <commit>
    DUALWRITE_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python benchmarks/shrink_vs_base.py --base /tmp/base-X [--seeds 1 2 3 4]
        [BUG:BACKEND ...]

Each (bug, backend, seed) runs under both trees at once, one per core, so that both see
the same load; the next pair starts when both end. A run is `planted_bugs_18.run`: a copy
of this tree's split_1n, `DW_BUG=<bug>`, the item meant to catch it, the seed. Prints one
line per pair and the total and median ratio of new / base seconds; the counterexample
sizes are (rows before the operations, writes + updates + deletes).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from planted_bugs_18 import ROOT, run  # this folder

JOBS = ["delete_parent_only:sqlite", "tz_dropped:sqlite", "update_moves_child:postgres",
        "size_rounded:postgres", "nfc_on_copy:sqlite", "lost_microseconds:postgres"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("jobs", nargs="*", default=JOBS, help="BUG:BACKEND")
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4])
    args = parser.parse_args()
    print("| bug, backend, seed | base s | new s | ratio | base sizes | new sizes |")
    print("|---|---:|---:|---:|---|---|")
    ratios, base_total, new_total = [], 0.0, 0.0
    with ThreadPoolExecutor(2) as pool:
        for seed in args.seeds:
            for job in args.jobs:
                bug, backend = job.split(":")
                old, new = (f.result() for f in [
                    pool.submit(run, bug, backend, seed, tree=tree)
                    for tree in (args.base.resolve(), ROOT)])
                ratio = new["seconds"] / old["seconds"]
                ratios.append(ratio)
                base_total += old["seconds"]
                new_total += new["seconds"]
                print(f"| {bug}, {backend}, {seed} | {old['seconds']} | {new['seconds']} | "
                      f"{ratio:.2f} | {old['sizes']} | {new['sizes']} |", flush=True)
    print(f"\n{len(ratios)} pairs: total {base_total:.0f} s -> {new_total:.0f} s "
          f"({new_total / base_total:.2f}x), median ratio {statistics.median(ratios):.2f}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
