"""Examples per second of one spec's items: this tree against an older commit, side by side.

The issue's yardstick (#16): example_project's `products_to_catalog_items`, six items,
at the same example count, on each backend, against main at fdf565b. The same project
copy (this tree's, so the user's code is the same) runs under each tree's plugin: the
older tree goes first on `PYTHONPATH`, so `import pytest_dualwrite` finds its package.
Runs alternate (base, new, new, base, ...) so that load drifts alike on both; per run,
examples/s = examples run (the plugin's JSON report) / the six items' setup + call +
teardown (`--durations=0`); the figure is the median over rounds, and the ratio is
new / base of the medians.

Run:  git worktree add --detach /tmp/base-fdf fdf565b
      python benchmarks/spec_vs_base.py --base /tmp/base-fdf [--project example|products]
             [--examples 100] [--rounds 3] [--postgres-url URL] [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import json
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
PROJECTS = {"example": ROOT / "example_project",
            "products": ROOT / "tests" / "examples" / "products"}
SPEC = "products_to_catalog_items"
# pytest under one tree's plugin: an editable install's import hook would otherwise win
UNDER_TREE = (
    "import sys; sys.meta_path[:] = [f for f in sys.meta_path "
    "if '__editable__' not in getattr(f, '__module__', '')]; "
    "sys.path.insert(0, sys.argv.pop(1)); import pytest; sys.exit(pytest.main(sys.argv[1:]))")
# The six example-driven items fdf565b has (later trees add the static mapping_is_lossless,
# which draws no examples: its time shows in the wall time only).
SIX = ("backfill_preserves_every_record", "backfill_is_idempotent", "backfill_resumes",
       "dual_write_keeps_both_equal", "read_path_matches", "contract_keeps_every_record")
_DURATION = re.compile(r"^\s*(?P<s>[\d.]+)s (?P<when>setup|call|teardown)\s+(?P<id>\S+)")


def run_once(tree: Path, project: Path, backend: str, examples: int, url: str | None,
             extra: list[str]) -> tuple[int, float, float]:
    """(examples, item seconds, wall seconds) of one pytest subprocess under `tree`'s plugin."""
    report = project / f"report-{time.monotonic_ns()}.json"
    command = [sys.executable, "-c", UNDER_TREE, str(tree), "--dualwrite",
               f"--dualwrite-backend={backend}", f"--dualwrite-examples={examples}", "-q",
               "-p", "no:cacheprovider", "-p", "no:randomly", "-k", SPEC, "--durations=0",
               f"--dualwrite-report={report}", *extra]
    if backend == "postgres" and url:
        command.append(f"--dualwrite-postgres-url={url}")
    start = time.perf_counter()
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{tree} {backend}: pytest exited {done.returncode}\n"
                         f"{done.stdout[-3000:]}{done.stderr[-2000:]}")
    seconds: dict[str, float] = {}
    for line in done.stdout.splitlines():
        if match := _DURATION.match(line):
            seconds[match["id"]] = seconds.get(match["id"], 0.0) + float(match["s"])
    items = [i for i in json.loads(report.read_text())["items"]
             if SPEC in i["nodeid"] and i["check"] in SIX]
    report.unlink()
    if len(items) != 6:
        raise SystemExit(f"{tree} {backend}: {len(items)} items of {SPEC}, expected 6")
    n = sum(int(i["figures"].get("examples", 0)) for i in items)
    return n, sum(seconds.get(i["nodeid"], i["duration"]) for i in items), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the older tree")
    parser.add_argument("--new", type=Path, default=ROOT)
    parser.add_argument("--project", choices=sorted(PROJECTS), default="example")
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres-url", default=os.environ.get("DUALWRITE_POSTGRES_URL"))
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--extra", default="", help="more pytest arguments, for both trees")
    args = parser.parse_args()
    trees = {"base": args.base.resolve(), "new": args.new.resolve()}
    backends = args.backends.split(",")
    figures: dict[tuple[str, str], list[tuple[int, float, float]]] = {}
    print(f"{SPEC} ({args.project}), {args.examples} examples per item, {args.rounds} rounds, "
          f"load average at start {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="dw-spec-vs-") as tmp:
        project = Path(tmp) / "project"
        # The older tree's copy: a newer project may use what the older plugin lacks (the
        # products spec and its app are the same in both).
        source = trees["base"] / PROJECTS[args.project].relative_to(ROOT)
        shutil.copytree(source, project, ignore=shutil.ignore_patterns(
            ".hypothesis", "__pycache__", ".pytest_cache"))
        for r in range(args.rounds):
            for backend in backends:
                order = ["base", "new"] if r % 2 == 0 else ["new", "base"]
                for side in order:
                    got = run_once(trees[side], project, backend, args.examples,
                                   args.postgres_url, args.extra.split())
                    figures.setdefault((backend, side), []).append(got)
                    print(f"  round {r + 1} {backend:8} {side:4}: {got[0]} examples in "
                          f"{got[1]:.2f} s of items ({got[0] / got[1]:.1f}/s), "
                          f"wall {got[2]:.1f} s", flush=True)
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    print(f"{'backend':9} {'base ex/s':>10} {'new ex/s':>10} {'ratio':>7} "
          f"{'base wall':>10} {'new wall':>9} {'ratio':>6}")
    for backend in backends:
        rate = {s: statistics.median(n / t for n, t, _ in figures[(backend, s)])
                for s in trees}
        wall = {s: statistics.median(w for *_, w in figures[(backend, s)]) for s in trees}
        print(f"{backend:9} {rate['base']:10.1f} {rate['new']:10.1f} "
              f"{rate['new'] / rate['base']:6.2f}x {wall['base']:9.1f}s {wall['new']:8.1f}s "
              f"{wall['base'] / wall['new']:5.2f}x")


if __name__ == "__main__":
    main()
