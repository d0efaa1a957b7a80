"""Issue 14: no false positive on any correct spec of the repository, at 200 examples.

    DUALWRITE_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python benchmarks/no_false_positive.py [--examples 200] [--backends sqlite,postgres]
                                               [-n 0] [-k EXPR] [PROJECT ...]

The correct specs are every project that holds a `DualWrite` spec: the folders of
tests/examples/ whose code calls `DualWrite(`, example_project and examples/alembic_app.
Their planted bugs sit behind environment variables (`DW_BUG`, `DW_OVERRIDE`,
`DUALWRITE_EXAMPLE_BROKEN`), all removed here, so each runs its correct code. A project
with no correct variant is left out, with the reason (`BROKEN_ONLY`).

Each project is copied to a temporary folder, as a user's project would be, and run once
per backend: `pytest --dualwrite --dualwrite-backend=<b> --dualwrite-examples=<N>
-p no:cacheprovider` (with `-n` xdist workers when asked; the default, 0, is one process,
so two backends one after the other use one core). One line per project and backend:
passed, failed (failures and errors), skipped, wall seconds; the output of a run that
failed is kept in the log folder printed at the end. The exit status is 1 if any failed.
Arguments select projects by name (`uuid_keys`, `example_project`, `alembic_app`, ...).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# Switches of planted bugs and of the example's own settings: unset, the code is correct.
BUG_ENV = ("DW_BUG", "DW_OVERRIDE", "DUALWRITE_EXAMPLE_BROKEN", "DUALWRITE_EXAMPLES",
           "DUALWRITE_BACKENDS", "DUALWRITE_PROGRESS", "PYTEST_ADDOPTS")
# Projects whose spec is wrong on purpose, whatever the environment.
BROKEN_ONLY = {
    "write_blame": "its write path stores the copy under id + 1: a failure is the point",
}


def projects() -> dict[str, Path]:
    """Name -> folder of every project holding a DualWrite spec with a correct variant."""
    found: dict[str, Path] = {}
    for folder in sorted((ROOT / "tests" / "examples").iterdir()):
        if folder.name in BROKEN_ONLY or not folder.is_dir():
            continue
        if any("DualWrite(" in path.read_text() for path in folder.rglob("*.py")
               if "__pycache__" not in path.parts):
            found[folder.name] = folder
    found["example_project"] = ROOT / "example_project"
    found["alembic_app"] = ROOT / "examples" / "alembic_app"
    return found


def counts(junit: Path) -> tuple[int, int, int, list[str]]:
    """(passed, failed, skipped, names of the failed) from a JUnit file."""
    passed = failed = skipped = 0
    names = []
    for case in ET.parse(junit).iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            names.append(f"{case.get('classname')}::{case.get('name')}")
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped, names


def run(name: str, source: Path, backend: str, examples: int, workers: int,
        logs: Path, select: str | None = None) -> tuple[str, bool]:
    env = {k: v for k, v in os.environ.items() if k not in BUG_ENV}
    env.setdefault("DUALWRITE_POSTGRES_URL", PG_URL)
    with tempfile.TemporaryDirectory(prefix=f"dw-nfp-{name}-") as tmp:
        project = Path(tmp) / name
        shutil.copytree(source, project, ignore=shutil.ignore_patterns(
            "__pycache__", ".pytest_cache", ".hypothesis", "*.db"))
        junit = Path(tmp) / "junit.xml"
        command = [sys.executable, "-m", "pytest", "--dualwrite",
                   f"--dualwrite-backend={backend}", f"--dualwrite-examples={examples}",
                   "-p", "no:cacheprovider", "-q", "-rfE", f"--junitxml={junit}"]
        if workers:
            command += ["-n", str(workers)]
        if select:
            command += ["-k", select]
        start = time.monotonic()
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - start
        if not junit.exists():
            passed = failed = skipped = 0
            failures = [f"no JUnit file: pytest exited {done.returncode}"]
        else:
            passed, failed, skipped, failures = counts(junit)
        bad = bool(failed or failures or done.returncode not in (0, 5))
        if bad:
            log = logs / f"{name}-{backend}.log"
            log.write_text(done.stdout + done.stderr)
        line = (f"{name:<18} {backend:<9} passed {passed:>3}  failed {failed:>2}  "
                f"skipped {skipped:>2}  {seconds:7.1f} s")
        for failure in failures:
            line += f"\n    FAILED {failure}"
        return line, bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="projects to run (default: all)")
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("-n", "--workers", type=int, default=0,
                        help="xdist workers per run (default: none, one process)")
    parser.add_argument("-k", dest="select", help="pytest -k expression, for every project")
    args = parser.parse_args()
    every = projects()
    unknown = set(args.names) - set(every)
    if unknown:
        parser.error(f"no such project: {', '.join(sorted(unknown))} "
                     f"(known: {', '.join(every)})")
    chosen = {n: every[n] for n in (args.names or every)}
    logs = Path(tempfile.mkdtemp(prefix="dw-nfp-logs-"))
    print(f"# {' '.join(sys.argv)}  ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"load average {os.getloadavg()[0]:.1f})", flush=True)
    any_bad = False
    for name, source in chosen.items():
        for backend in args.backends.split(","):
            line, bad = run(name, source, backend, args.examples, args.workers, logs,
                            args.select)
            any_bad |= bad
            print(line, flush=True)
    print(f"# load average at the end {os.getloadavg()[0]:.1f}; logs of failed runs: {logs}")
    return 1 if any_bad else 0


if __name__ == "__main__":
    sys.exit(main())
