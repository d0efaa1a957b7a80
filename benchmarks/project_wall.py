"""Wall time of a whole project's `pytest --dualwrite` under two trees' plugins, side by side.

The issue's yardstick (#16): the whole example_project on sqlite+postgres, single process
and with `-n 2`, at most half of main fdf565b's wall time. The same project copy (the
older tree's example_project: main's imports `Cutover`, which fdf565b lacks) runs under
each tree's plugin: the tree goes first on `PYTHONPATH` (xdist's workers inherit it), so
`import pytest_dualwrite` and the pytest11 entry point find its package before the
editable install's finder. Runs alternate (base, new, then new, base, ...) so that the
load of a shared machine drifts alike on both; the load average is printed per run.

Run:  git worktree add --detach /tmp/base-fdf fdf565b
      python benchmarks/project_wall.py --base /tmp/base-fdf [--modes 1,2] [--rounds 1]
             [--postgres-url URL] [--examples N]
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
_UNDER_TREE = (
    "import sys; sys.meta_path[:] = [f for f in sys.meta_path "
    "if '__editable__' not in getattr(f, '__module__', '')]; "
    "sys.path.insert(0, sys.argv.pop(1)); import pytest; sys.exit(pytest.main(sys.argv[1:]))")
_SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|error|errors)")


def run_once(tree: Path, project: Path, workers: int, url: str | None,
             examples: int | None) -> tuple[float, str]:
    """(wall seconds, pytest's summary line) of one run of the whole project under `tree`."""
    shutil.rmtree(project / ".hypothesis", ignore_errors=True)
    command = [sys.executable, "-c", _UNDER_TREE, str(tree), "--dualwrite",
               "--dualwrite-backend=all", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    if workers > 1:
        command += ["-n", str(workers)]
    if examples:
        command.append(f"--dualwrite-examples={examples}")
    if url:
        command.append(f"--dualwrite-postgres-url={url}")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False,
                          env=env)
    wall = time.perf_counter() - start
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0:
        raise SystemExit(f"{tree} -n {workers}: pytest exited {done.returncode}\n"
                         f"{done.stdout[-3000:]}{done.stderr[-2000:]}")
    return wall, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the older tree")
    parser.add_argument("--new", type=Path, default=ROOT)
    parser.add_argument("--modes", default="1,2", help="worker counts: 1 is no xdist")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--examples", type=int, default=None,
                        help="--dualwrite-examples (default: the plugin's own)")
    parser.add_argument("--postgres-url", default=os.environ.get("DUALWRITE_POSTGRES_URL"))
    args = parser.parse_args()
    trees = {"base": args.base.resolve(), "new": args.new.resolve()}
    modes = [int(m) for m in args.modes.split(",")]
    walls: dict[tuple[int, str], list[float]] = {}
    print(f"example_project (the base tree's copy), sqlite+postgres, modes {modes}, "
          f"{args.rounds} round(s), load average at start {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="dw-project-wall-") as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(trees["base"] / "example_project", project, ignore=shutil.ignore_patterns(
            ".hypothesis", "__pycache__", ".pytest_cache"))
        turn = 0
        for r in range(args.rounds):
            for workers in modes:
                order = ["base", "new"] if turn % 2 == 0 else ["new", "base"]
                turn += 1
                for side in order:
                    load = os.getloadavg()[0]
                    wall, summary = run_once(trees[side], project, workers,
                                             args.postgres_url, args.examples)
                    walls.setdefault((workers, side), []).append(wall)
                    print(f"  round {r + 1} -n {workers} {side:4}: {wall:7.1f} s "
                          f"(load {load:.1f} -> {os.getloadavg()[0]:.1f}) {summary}",
                          flush=True)
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    print(f"{'workers':8} {'base wall':>10} {'new wall':>9} {'new/base':>9}")
    for workers in modes:
        base = statistics.median(walls[(workers, "base")])
        new = statistics.median(walls[(workers, "new")])
        print(f"{workers:8} {base:9.1f}s {new:8.1f}s {new / base:8.2f}x")


if __name__ == "__main__":
    main()
