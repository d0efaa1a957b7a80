"""What `--dualwrite-profile` quick / (none) / thorough cost: one spec's items, per backend.

example_project's `products_to_catalog_items` (seven items: six draw examples, the static
`mapping_is_lossless` does not), as users run it, in a subprocess per (profile, backend):
the examples the items ran (the plugin's JSON report), the items' own time
(`--durations=0`: setup + call + teardown) and the run's wall time (collection and the
templates included). Profiles alternate within a round; with --rounds > 1 the medians.

Run:  python benchmarks/profile_costs.py [--postgres-url URL] [--rounds 1]
      [--profiles quick,default,thorough] [--backends sqlite,postgres]
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
SPEC = "products_to_catalog_items"
_DURATION = re.compile(r"^\s*(?P<s>[\d.]+)s (?P<when>setup|call|teardown)\s+(?P<id>\S+)")


def run_once(project: Path, profile: str, backend: str, url: str | None
             ) -> tuple[int, float, float]:
    report = project / f"report-{time.monotonic_ns()}.json"
    command = [sys.executable, "-m", "pytest", "--dualwrite", f"--dualwrite-backend={backend}",
               "-q", "-p", "no:cacheprovider", "-k", SPEC, "--durations=0",
               f"--dualwrite-report={report}"]
    if profile != "default":
        command.append(f"--dualwrite-profile={profile}")
    if backend == "postgres" and url:
        command.append(f"--dualwrite-postgres-url={url}")
    start = time.perf_counter()
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{profile} {backend}: exit {done.returncode}\n{done.stdout[-3000:]}")
    seconds = sum(float(m["s"]) for line in done.stdout.splitlines()
                  if (m := _DURATION.match(line)))
    items = json.loads(report.read_text())["items"]
    report.unlink()
    return sum(int(i["figures"].get("examples", 0)) for i in items), seconds, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("DUALWRITE_POSTGRES_URL"))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--profiles", default="quick,default,thorough")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    profiles, backends = args.profiles.split(","), args.backends.split(",")
    got: dict[tuple[str, str], list[tuple[int, float, float]]] = {}
    print(f"{SPEC} (example_project), load average at start {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="dw-profiles-") as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(ROOT / "example_project", project, ignore=shutil.ignore_patterns(
            ".hypothesis", "__pycache__", ".pytest_cache"))
        for r in range(args.rounds):
            for backend in backends:
                for profile in (profiles if r % 2 == 0 else list(reversed(profiles))):
                    result = run_once(project, profile, backend, args.postgres_url)
                    got.setdefault((profile, backend), []).append(result)
                    print(f"  {profile:9} {backend:8}: {result[0]} examples, items "
                          f"{result[1]:.1f} s, wall {result[2]:.1f} s", flush=True)
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    print(f"{'profile':9} {'backend':8} {'examples':>8} {'items s':>8} {'wall s':>7} "
          f"{'ex/s':>6}")
    for (profile, backend), runs in got.items():
        n = statistics.median(r[0] for r in runs)
        s = statistics.median(r[1] for r in runs)
        w = statistics.median(r[2] for r in runs)
        print(f"{profile:9} {backend:8} {n:8.0f} {s:8.1f} {w:7.1f} {n / s:6.1f}")


if __name__ == "__main__":
    main()
