"""The migration checks on real histories you have checked out, as a new user runs them.

Fetches nothing: point it at migration folders on your disk (any public project's, or
your own). Each folder is copied into a scratch project whose pytest.ini sets only
`dualwrite_migrations` and `dualwrite_dialect`; `pytest --dualwrite` runs there in a
subprocess, and the JSON report gives one row per check and backend: outcome, seconds,
how many statements were skipped (or run unread) on that backend, and the failure's
first line (which names file:line). The folder itself is never written to.

Run:  python benchmarks/real_histories.py FOLDER[:DIALECT] ... [--backends sqlite,postgres]
      [-k "upgrade_from_empty or well_formed"] [--postgres-url URL]
e.g.  python benchmarks/real_histories.py \\
          ~/src/marquez/api/src/main/resources/marquez/db/migration:postgres \\
          ~/src/river/riverdriver/riversqlite/migration/main:sqlite
DIALECT defaults to postgres. Postgres comes from --postgres-url or DUALWRITE_POSTGRES_URL.
Issue 11's acceptance table (RESULTS.md) was made this way.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_one(folder: Path, dialect: str, backends: str, select: str,
            env: dict[str, str]) -> tuple[list[dict[str, object]], float]:
    """(report items, wall seconds) of one history in a scratch project."""
    with tempfile.TemporaryDirectory(prefix="dualwrite-real-") as scratch:
        project = Path(scratch)
        shutil.copytree(folder, project / "migrations", symlinks=False)
        (project / "pytest.ini").write_text(
            f"[pytest]\ndualwrite_migrations = migrations\ndualwrite_dialect = {dialect}\n")
        report = project / "report.json"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", "--dualwrite", f"--dualwrite-backend={backends}",
             "-k", select, "-q", "-p", "no:cacheprovider", f"--dualwrite-report={report}"],
            cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            check=False)
        wall = time.perf_counter() - started
        if not report.exists():
            return [], wall
        items = json.loads(report.read_text())["items"]
        for item in items:  # paths as the user has them, not the scratch copy's
            if item.get("message"):
                item["message"] = str(item["message"]).replace(
                    str(project / "migrations"), str(folder))
        return items, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", help="FOLDER[:DIALECT] (dialect: postgres)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("-k", dest="select", default="upgrade_from_empty or well_formed")
    parser.add_argument("--postgres-url", default=os.environ.get("DUALWRITE_POSTGRES_URL"))
    args = parser.parse_args()
    env = dict(os.environ)
    if args.postgres_url:
        env["DUALWRITE_POSTGRES_URL"] = args.postgres_url
    print(f"{'history':<28} {'check':<28} {'backend':<9} {'result':<8} {'time':>7} "
          f"{'notes':>5}  first line of the failure")
    for spec in args.folders:
        path, _, dialect = spec.partition(":") if not Path(spec).exists() else (spec, "", "")
        folder = Path(path).expanduser().resolve()
        name = "/".join(folder.parts[-2:])[-28:]
        items, wall = run_one(folder, dialect or "postgres", args.backends, args.select, env)
        if not items:
            print(f"{name:<28} (no report: pytest could not run; try it by hand) {wall:.1f}s")
        for item in items:
            message = str(item.get("message") or "").splitlines()
            print(f"{name:<28} {item['check']:<28} {item['backend']:<9} "
                  f"{item['outcome']:<8} {item['duration']:>6.1f}s {len(item['notes']):>5}  "
                  f"{message[0] if message else ''}")


if __name__ == "__main__":
    main()
