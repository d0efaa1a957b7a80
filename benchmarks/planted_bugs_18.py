"""Issue 18: each planted bug of tests/examples/split_1n, on each backend, with 5 seeds.

    DUALWRITE_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python benchmarks/planted_bugs_18.py [--seeds 1 2 3 4 5] [--jobs 2] [BUG ...]

For every (bug, backend, seed): a copy of the example, `DW_BUG=<bug>`, the item meant to
catch the bug (`ITEM` in tests/test_split_example.py), hypothesis' default example count,
`--hypothesis-seed=<seed>`, and the JSON report. A run catches the bug when the item fails
with a story (not an error of the run); the counterexample's size is read from the
report: the rows inserted before the operations, the records written by `write`, and the
writes, updates and deletes. Prints a Markdown table: bug x backend, caught-of-N, and the
largest counterexample over the catching runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "tests" / "examples" / "split_1n"
sys.path.insert(0, str(ROOT))

from spec_vs_base import UNDER_TREE  # noqa: E402  (this folder)

from tests.test_split_example import ITEM, counterexample_size  # noqa: E402


def run(bug: str, backend: str, seed: int, examples: int | None = None,
        conftest: str | None = None, item: str | None = None, tree: Path | None = None,
        example: Path = EXAMPLE) -> dict:
    """One run; `conftest` replaces the example's (its hypothesis profile); `item` selects
    an item (when `bug` is empty, or is not split_1n's); `tree` runs that tree's plugin;
    `example` is the project copied (split_1n by default)."""
    with tempfile.TemporaryDirectory(prefix="dw18_") as tmp:
        work = Path(tmp) / example.name
        shutil.copytree(example, work, ignore=shutil.ignore_patterns("__pycache__"))
        if conftest is not None:
            (work / "conftest.py").write_text(conftest)
        report = work / "report.json"
        boot = ["-m", "pytest"] if tree is None else ["-c", UNDER_TREE, str(tree)]
        args = [sys.executable, *boot, "--dualwrite", f"--dualwrite-backend={backend}",
                "-p", "no:cacheprovider", "-q", f"--hypothesis-seed={seed}",
                f"--dualwrite-report={report}"]
        if item or bug:
            args += ["-k", item or ITEM[bug]]
        if examples:
            args += [f"--dualwrite-examples={examples}"]
        started = time.perf_counter()
        proc = subprocess.run(args, cwd=work, env={**os.environ, "DW_BUG": bug},
                              capture_output=True, text=True)
        took = time.perf_counter() - started
        items = json.loads(report.read_text())["items"] if report.exists() else []
        failed = [i for i in items if i["outcome"] == "failed" and i["counterexample"]]
        sizes = [counterexample_size(c) for i in failed for c in i["counterexamples"]]
        return {"bug": bug, "backend": backend, "seed": seed, "caught": bool(failed),
                "items": len(items), "passed": sum(i["outcome"] == "passed" for i in items),
                "examples": sum(i["figures"]["examples"] for i in items),
                "sizes": sizes, "seconds": round(took, 1), "rc": proc.returncode,
                "tail": proc.stdout[-300:] if not items else ""}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bugs", nargs="*")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    bugs = args.bugs or list(ITEM)
    jobs = [(b, be, s) for b in bugs for be in args.backends for s in args.seeds]
    results = []
    with ThreadPoolExecutor(args.jobs) as pool:
        for r in pool.map(lambda j: run(*j), jobs):
            results.append(r)
            print(json.dumps(r), file=sys.stderr, flush=True)
    print("| bug | item | backend | caught | rows (max) | ops (max) | seconds (median) |")
    print("|---|---|---|---|---|---|---|")
    for bug in bugs:
        for backend in args.backends:
            mine = [r for r in results if r["bug"] == bug and r["backend"] == backend]
            caught = sum(r["caught"] for r in mine)
            sizes = [s for r in mine for s in r["sizes"]]
            rows = max((s[0] for s in sizes), default="-")
            ops = max((s[1] for s in sizes), default="-")
            secs = sorted(r["seconds"] for r in mine)[len(mine) // 2]
            print(f"| {bug} | {re.sub('_', ' ', ITEM[bug])} | {backend} | {caught} of "
                  f"{len(mine)} | {rows} | {ops} | {secs} |")


if __name__ == "__main__":
    main()
