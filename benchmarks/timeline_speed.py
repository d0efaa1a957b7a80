"""Seconds per example of `cutover_keeps_every_record` next to `dual_write_keeps_both_equal`.

Both items of one spec (tests/examples/timeline: the products -> catalog_items migration
with a `cutover=`) in one pytest run per backend, so machine load hits both alike:
`python -m pytest --dualwrite --dualwrite-backend=B --dualwrite-examples=N -k "<both>"
--durations=0 --dualwrite-report=...` in a subprocess of a fresh copy of the example.
Per item: the item's setup + call + teardown over the examples it ran (the report's
`figures.examples`). The target (issue 14): the cutover item costs at most 1.5x the
dual-write item per example.

Run:  python benchmarks/timeline_speed.py [--postgres-url URL] [--examples 100]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "examples" / "timeline"
ITEMS = ("dual_write_keeps_both_equal", "cutover_keeps_every_record")
TARGET = 1.5
_DURATION = re.compile(r"^\s*(?P<s>[\d.]+)s (?P<when>setup|call|teardown)\s+(?P<id>\S+)")


def run(backend: str, examples: int, url: str | None, tmp: Path) -> dict[str, tuple[int, float]]:
    project = tmp / f"timeline-{backend}"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(
        ".hypothesis", "__pycache__", ".pytest_cache"))
    report = project / "report.json"
    command = [sys.executable, "-m", "pytest", "--dualwrite", f"--dualwrite-backend={backend}",
               f"--dualwrite-examples={examples}", "-q", "-p", "no:cacheprovider",
               "-k", " or ".join(ITEMS), "--durations=0", f"--dualwrite-report={report}"]
    if backend == "postgres" and url:
        command.append(f"--dualwrite-postgres-url={url}")
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"pytest failed on {backend}:\n{done.stdout[-3000:]}")
    seconds: dict[str, float] = {}
    for line in done.stdout.splitlines():
        if match := _DURATION.match(line):
            seconds[match["id"]] = seconds.get(match["id"], 0.0) + float(match["s"])
    return {item["check"]: (item["figures"].get("examples", 0),
                            seconds.get(item["nodeid"], item["duration"]))
            for item in json.loads(report.read_text())["items"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("DUALWRITE_POSTGRES_URL"))
    parser.add_argument("--examples", type=int, default=100)
    args = parser.parse_args()
    backends = ["sqlite"] + (["postgres"] if args.postgres_url else [])
    print(f"{args.examples} examples per item; ms/example = (setup + call + teardown) / examples")
    with tempfile.TemporaryDirectory(prefix="dw-bench-timeline-") as tmp:
        for backend in backends:
            result = run(backend, args.examples, args.postgres_url, Path(tmp))
            per = {}
            for item in ITEMS:
                n, s = result[item]
                per[item] = s / n if n else float("nan")
                print(f"{backend:8} {item:30} {n:4} examples {s:7.2f} s "
                      f"{per[item] * 1000:7.1f} ms/example")
            ratio = per[ITEMS[1]] / per[ITEMS[0]]
            print(f"{backend:8} cutover / dual-write = {ratio:.2f}x "
                  f"(target <= {TARGET}x: {'met' if ratio <= TARGET else 'MISSED'})")


if __name__ == "__main__":
    main()
