"""How many of the backfill runs in products' state machine examples start over rows
nothing has changed since two runs ago, under this tree and another one.

    git worktree add --detach /tmp/base-X <commit>
    python benchmarks/repeated_runs.py --base /tmp/base-X [--seeds 1 2 3 4] [--backend sqlite]

A copy of tests/examples/products gets the conftest of tests/test_idle_backfill.py, which
logs each example's backfill starts, ends and crashes and the application's writes; per
tree and seed this prints the runs started, those started after two runs ended with no
write, update, delete or crash between them, and in how many examples.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from spec_vs_base import UNDER_TREE  # this folder

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_idle_backfill import RECORDER  # noqa: E402


def count(events: list[tuple[int, str]]) -> tuple[int, int, int]:
    """(runs started, repeats, examples with a repeat)."""
    ended: dict[int, int] = {}
    starts, repeats, examples = 0, 0, set()
    for example, event in events:
        done = ended.get(example, 0)
        if event == "start":
            starts += 1
            if done >= 2:
                repeats += 1
                examples.add(example)
        ended[example] = done + 1 if event == "end" else 0 if event != "start" else done
    return starts, repeats, len(examples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4])
    parser.add_argument("--backend", default="sqlite")
    args = parser.parse_args()
    print("| seed | tree | examples | runs started | repeats (examples) |")
    print("|---|---|---:|---:|---|")
    with tempfile.TemporaryDirectory(prefix="dw_runs_") as tmp:
        work = Path(tmp) / "products"
        shutil.copytree(ROOT / "tests" / "examples" / "products", work)
        (work / "conftest.py").write_text(RECORDER)
        for seed in args.seeds:
            for name, tree in (("base", args.base), ("this tree", None)):
                boot = ["-m", "pytest"] if tree is None else ["-c", UNDER_TREE, str(tree)]
                subprocess.run([sys.executable, *boot, "--dualwrite",
                                f"--dualwrite-backend={args.backend}", "-p", "no:cacheprovider",
                                "-q", "-k", "dual_write_keeps_both_equal",
                                f"--hypothesis-seed={seed}"],
                               cwd=work, capture_output=True, text=True, check=False)
                events = json.loads((work / "events.json").read_text())
                starts, repeats, examples = count(events)
                seen = len({e for e, _ in events})
                print(f"| {seed} | {name} | {seen} | {starts} | {repeats} ({examples}) |")


if __name__ == "__main__":
    main()
