"""Wall time of a whole project's `pytest --dualwrite` run: this tree against an older one.

Issue #16's yardstick: example_project on sqlite+postgres, single process and with
`-n 2`, at most half of main fdf565b's wall time. The older tree's copy of the project
runs under each tree's plugin (a newer project may use what the older plugin lacks), so
the user's code is the same and only the plugin differs. The newer plugin may run more
items on the same project (checks added since): the item counts are printed beside the
times, since a wall time that buys more checks is not the same figure.

Runs alternate (base, new, new, base, ...) per mode so that load drifts alike on both;
the figure is the median wall time over rounds, and the ratio is new / base.

Run:  git worktree add --detach /tmp/base-fdf fdf565b
      python benchmarks/project_vs_base.py --base /tmp/base-fdf [--rounds 3]
             [--modes single,n2] [--postgres-url URL]
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

from spec_vs_base import UNDER_TREE  # pytest under one tree's plugin (this folder)

ROOT = Path(__file__).resolve().parent.parent
_SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|error|errors|xfailed)")
MODES = {"single": [], "n2": ["-n", "2"]}


def _without_nul(project: Path) -> None:
    """fdf565b's consensus spec overrides `synthesis` with `st.text()`, which yields NUL:
    Postgres cannot store it, and newer plugins refuse the override with that message (a
    finding, not a cost). Both trees run the corrected copy, so the user's code is the same."""
    test = project / "tests" / "test_consensus_migration.py"
    if test.exists():
        text = test.read_text()
        test.write_text(text.replace(
            "st.text(max_size=30)",
            "st.text(st.characters(exclude_characters='\\x00', exclude_categories=['Cs']), "
            "max_size=30)"))


def run_once(tree: Path, project: Path, mode: str, url: str) -> tuple[float, dict[str, int]]:
    """(wall seconds, outcome counts) of one pytest subprocess under `tree`'s plugin."""
    command = [sys.executable, "-c", UNDER_TREE, str(tree), "--dualwrite",
               "--dualwrite-backend=sqlite,postgres", f"--dualwrite-postgres-url={url}",
               "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *MODES[mode]]
    env = {**os.environ, "PYTHONPATH": str(tree)}  # xdist workers import the same tree
    start = time.perf_counter()
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False,
                          env=env)
    wall = time.perf_counter() - start
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    counts = {word: int(n) for n, word in _SUMMARY.findall(tail)}
    if done.returncode != 0:
        raise SystemExit(f"{tree} {mode}: pytest exited {done.returncode}\n"
                         f"{done.stdout[-3000:]}{done.stderr[-2000:]}")
    return wall, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the older tree")
    parser.add_argument("--new", type=Path, default=ROOT)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default="single,n2")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "DUALWRITE_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    trees = {"base": args.base.resolve(), "new": args.new.resolve()}
    modes = args.modes.split(",")
    walls: dict[tuple[str, str], list[float]] = {}
    print(f"example_project of {trees['base']}, sqlite+postgres, {args.rounds} rounds, "
          f"load average at start {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="dw-project-vs-") as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(trees["base"] / "example_project", project, ignore=shutil.ignore_patterns(
            ".hypothesis", "__pycache__", ".pytest_cache"))
        _without_nul(project)
        for r in range(args.rounds):
            for mode in modes:
                for side in (["base", "new"] if r % 2 == 0 else ["new", "base"]):
                    wall, counts = run_once(trees[side], project, mode, args.postgres_url)
                    walls.setdefault((mode, side), []).append(wall)
                    print(f"  round {r + 1} {mode:6} {side:4}: wall {wall:6.1f} s  {counts}  "
                          f"load {os.getloadavg()[0]:.1f}", flush=True)
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    print(f"{'mode':7} {'base wall':>10} {'new wall':>9} {'new/base':>9}")
    for mode in modes:
        base = statistics.median(walls[(mode, "base")])
        new = statistics.median(walls[(mode, "new")])
        print(f"{mode:7} {base:9.1f}s {new:8.1f}s {new / base:8.2f}x")


if __name__ == "__main__":
    main()
