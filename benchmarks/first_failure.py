"""Time to the first failure of each planted bug: this tree against a base tree (issue 18).

The generators of issue 18 draw more per example (pools, hostile branches, reused values);
the target is that finding a planted bug takes at most 1.5x as long as before. For each
planted bug of `tests/examples/products` and `tests/examples/timeline`, for each seed,
the base and this tree run the failing item side by side (alternating which goes first),
each in a subprocess on a fresh copy of its own tree's example:
`python -m pytest --dualwrite --dualwrite-backend=B -k ITEM --hypothesis-seed=S
--durations=0` with `DW_BUG=bug` and the tree's package first on `PYTHONPATH`. The time
is the item's setup + call as pytest reports it (the examples until the failure and its
shrinking; not the interpreter's start-up, which is the same for both and would hide a
difference); the figure is the ratio of medians per bug, and the median of those ratios.

Run:  git worktree add /tmp/base26 26d9509
      python benchmarks/first_failure.py --base /tmp/base26 [--backend sqlite|postgres]
             [--postgres-url URL] [--seeds 3]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_DURATION = re.compile(r"^\s*(?P<s>[\d.]+)s (?:setup|call|teardown)\s+\S+", re.MULTILINE)
# (example, bug, item): every planted bug the test suite checks is caught.
BUGS = [
    ("products", bug, item)
    for bug, item in (
        ("skip_nulls", "backfill_preserves_every_record"),
        ("not_idempotent", "backfill_is_idempotent"),
        ("update_old_only", "dual_write_keeps_both_equal"),
        ("delete_old_only", "dual_write_keeps_both_equal"),
        ("stale_snapshot", "dual_write_keeps_both_equal"),
        ("offset_skip", "backfill_preserves_every_record"),
        ("truncate40", "backfill_preserves_every_record"),
        ("read_no_fallback", "read_path_matches"),
    )
] + [
    ("timeline", bug, "cutover_keeps_every_record")
    for bug in (
        "resurrect",
        "backfill_overwrites",
        "read_old_first",
        "update_old_only",
        "skip_default",
    )
]


def run_once(
    tree: Path,
    example: str,
    bug: str,
    item: str,
    seed: int,
    backend: str,
    url: str | None,
    tmp: Path,
) -> tuple[float, bool]:
    project = tmp / f"{tree.name}-{example}-{bug}-{seed}"
    if project.exists():
        shutil.rmtree(project)
    shutil.copytree(
        tree / "tests" / "examples" / example,
        project,
        ignore=shutil.ignore_patterns(".hypothesis", "__pycache__"),
    )
    env = {**os.environ, "DW_BUG": bug, "PYTHONPATH": str(tree)}
    if url:
        env["DUALWRITE_POSTGRES_URL"] = url
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--dualwrite",
        f"--dualwrite-backend={backend}",
        "--dualwrite-examples=300",
        "-q",
        "-x",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "-k",
        item,
        f"--hypothesis-seed={seed}",
    ]
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=900
    )
    elapsed = time.perf_counter() - start
    return elapsed, " failed" in done.stdout.splitlines()[-1] if done.stdout else False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, default=Path("/tmp/base26"))
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated bugs to run")
    args = parser.parse_args()
    trees = {"base": args.base.resolve(), "after": ROOT}
    only = {b for b in args.only.split(",") if b}
    ratios = []
    print(f"backend {args.backend}, seeds 0..{args.seeds - 1}; base {trees['base']}")
    print("| bug | item | base s (median) | after s (median) | after/base | caught base/after |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="dw-first-failure-") as tmp_name:
        tmp = Path(tmp_name)
        for example, bug, item in BUGS:
            if only and bug not in only:
                continue
            times: dict[str, list[float]] = {"base": [], "after": []}
            caught = {"base": 0, "after": 0}
            for seed in range(args.seeds):
                order = ("base", "after") if seed % 2 == 0 else ("after", "base")
                for name in order:
                    elapsed, failed = run_once(
                        trees[name], example, bug, item, seed, args.backend, args.postgres_url, tmp
                    )
                    times[name].append(elapsed)
                    caught[name] += failed
            base, after = statistics.median(times["base"]), statistics.median(times["after"])
            ratios.append(after / base)
            print(
                f"| {example}:{bug} | {item} | {base:.1f} | {after:.1f} | "
                f"{after / base:.2f} | {caught['base']}/{caught['after']} of {args.seeds} |",
                flush=True,
            )
    print(
        f"median ratio {statistics.median(ratios):.2f}, max {max(ratios):.2f} (target: each <= 1.5)"
    )


if __name__ == "__main__":
    main()
