"""Where a spec item's time goes, per example, by phase: a wall-clock sampler's breakdown.

Phases (issue #16): checkout (and its rollback), row generation, inserting the generated
rows, the user's SQL, the comparison, migrating, hypothesis' own work, shrinking, the rest
of ours, pytest. The run is the spec's items on one backend (`-k products_to_catalog_items`),
in-process, sampled only while an item runs (setup, call, teardown).

A SIGALRM timer (1 ms) interrupts the main thread, which reads its own stack; each sample
is weighted by the wall time since the previous one, so a wait in C (a query, a socket)
goes to the Python frame that made the call. One sample goes to one phase:
  shrinking         hypothesis' shrinker is anywhere on the stack (it re-runs examples);
  user's SQL        the innermost frame of the user's project (their callables, with the
                    SQLAlchemy, driver and database time under them);
  row generation    hypothesis drawing (`ConjectureData.draw` on the stack), or our
                    strategies' own code (strategies/, draws.py);
  compare           compare.py / sides.py (building, running and reading the comparison);
  insert            `Harness.insert` (the generated rows going in);
  checkout          backends/ and `Harness.checkout` (the copy of the database, its
                    rollback at the end);
  migrate           migrations/ (steps run per example: contract, or expand when needed);
  hypothesis own    any other hypothesis frame innermost (engine, database, bookkeeping);
  our other         the rest of pytest_dualwrite (the savepoint before a write, reading
                    keys back, the operation log); its top functions are listed;
  pytest/other      everything else.
SQLAlchemy, driver, stdlib and sqlglot frames are skipped over: they belong to whoever
called them.

The tree whose plugin runs is `--tree` (default this one): an older tree's package is put
first on `sys.path` and an editable install's import hook removed, so the same script
profiles both sides of a comparison.

Run:  python benchmarks/spec_phases.py [--project example|products] [--backend sqlite]
      [--examples 100] [--postgres-url URL] [--tree PATH] [--item CHECK]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = {"example": ROOT / "example_project",
            "products": ROOT / "tests" / "examples" / "products"}
SPEC = "products_to_catalog_items"
PHASES = ("user's SQL", "row generation", "insert", "checkout", "compare", "migrate",
          "hypothesis own", "shrinking", "our other", "pytest/other")


class PhaseSampler:
    """A wall-clock stack sampler that files each sample under one phase (see above)."""

    def __init__(self, project: Path, interval: float = 0.001) -> None:
        import _pytest
        import hypothesis
        import pluggy

        import pytest_dualwrite

        self.project = str(project.resolve()) + os.sep
        self.ours = str(Path(pytest_dualwrite.__file__).resolve().parent) + os.sep
        self.hyp = str(Path(hypothesis.__file__).resolve().parent) + os.sep
        self.pytest = (str(Path(_pytest.__file__).resolve().parent) + os.sep,
                       str(Path(pluggy.__file__).resolve().parent) + os.sep)
        self.interval = interval
        self.active = False
        self.split = dict.fromkeys(PHASES, 0.0)
        self.other: dict[str, float] = {}
        self.samples = 0
        self._kind: dict[CodeType, str] = {}
        self._last = time.perf_counter()

    def _code_kind(self, code: CodeType) -> str:
        kind = self._kind.get(code)
        if kind is None:
            path = code.co_filename
            if code.co_qualname == "Bounds._on_alarm":  # it chains to our handler
                self._kind[code] = "skip"
                return "skip"
            if path[:1] not in ("<", "~"):
                path = str(Path(path).resolve())
            if path.startswith(self.project):
                kind = "user"
            elif path.startswith(self.ours):
                rel = path[len(self.ours):]
                kind = ("compare" if rel.startswith(("dualwrite/compare", "dualwrite/sides"))
                        else "row generation" if rel.startswith(
                            ("strategies/", "dualwrite/draws", "plain_map"))
                        else "checkout" if rel.startswith("backends/")
                        or code.co_qualname == "Harness.checkout"
                        else "insert" if code.co_qualname == "Harness.insert"
                        else "migrate" if rel.startswith("migrations/")
                        else "ours")
            elif path.startswith(self.hyp):
                rel = path[len(self.hyp):]
                kind = ("shrinker" if "shrink" in rel
                        else "draw" if rel.endswith("conjecture/data.py")
                        and code.co_name == "draw" else "hyp")
            elif path.startswith(self.pytest):
                kind = "pytest"
            else:
                kind = "skip"
            self._kind[code] = kind
        return kind

    def _phase(self, frame: FrameType | None) -> tuple[str, str]:
        kinds: list[tuple[str, FrameType]] = []
        while frame is not None:
            kinds.append((self._code_kind(frame.f_code), frame))
            frame = frame.f_back
        if any(k == "shrinker" for k, _ in kinds):
            return "shrinking", ""
        for kind, f in kinds:
            if kind == "skip":
                continue
            if kind == "user":
                return "user's SQL", ""
            if kind in ("hyp", "draw"):
                drawing = any(k == "draw" for k, _ in kinds)
                return ("row generation" if drawing else "hypothesis own"), ""
            if kind == "ours":
                return "our other", f"{Path(f.f_code.co_filename).stem}.{f.f_code.co_qualname}"
            if kind == "pytest":
                return "pytest/other", ""
            return kind, ""
        return "pytest/other", ""

    def _tick(self, _signum: int, frame: FrameType | None) -> None:
        if not self.active:
            return
        now = time.perf_counter()
        weight, self._last = now - self._last, now
        phase, where = self._phase(frame)
        self.split[phase] += weight
        self.samples += 1
        if where:
            self.other[where] = self.other.get(where, 0.0) + weight

    def on(self) -> None:
        self._last = time.perf_counter()
        self.active = True

    def off(self) -> None:
        self.active = False

    @contextmanager
    def running(self) -> Iterator[None]:
        previous = signal.signal(signal.SIGALRM, self._tick)
        signal.setitimer(signal.ITIMER_REAL, self.interval, self.interval)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _window(sampler: PhaseSampler) -> object:
    import pytest

    def around() -> Generator[None, Any, Any]:
        sampler.on()
        try:
            return (yield)
        finally:
            sampler.off()

    class Plugin:
        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_setup(self, item: Any) -> Generator[None, Any, Any]:
            return (yield from around())

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_call(self, item: Any) -> Generator[None, Any, Any]:
            return (yield from around())

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_teardown(self, item: Any, nextitem: Any) -> Generator[None, Any, Any]:
            return (yield from around())

    return Plugin()


def child(project: Path, args: list[str], out: Path) -> None:
    import pytest

    os.chdir(project)
    sys.path.insert(0, str(project))
    sampler = PhaseSampler(project)
    report = project / "phases-report.json"
    with sampler.running():
        code = pytest.main([*args, f"--dualwrite-report={report}"], plugins=[_window(sampler)])
    items = json.loads(report.read_text())["items"]
    examples = sum(int(i["figures"].get("examples", 0)) for i in items
                   if SPEC in i["nodeid"])
    out.write_text(json.dumps({"exit": int(code), "split": sampler.split,
                               "samples": sampler.samples, "examples": examples,
                               "other": sorted(sampler.other.items(), key=lambda kv: -kv[1])}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", choices=sorted(PROJECTS), default="example")
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--postgres-url", default=os.environ.get("DUALWRITE_POSTGRES_URL"))
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--item", help="one check of the spec, e.g. backfill_resumes")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rest, args.out)
        return
    pytest_args = ["--dualwrite", f"--dualwrite-backend={args.backend}",
                   f"--dualwrite-examples={args.examples}", "-q", "-p", "no:cacheprovider",
                   "-k", f"{SPEC} and {args.item}" if args.item else SPEC]
    if args.backend == "postgres" and args.postgres_url:
        pytest_args.append(f"--dualwrite-postgres-url={args.postgres_url}")
    tree = args.tree.resolve()
    with tempfile.TemporaryDirectory(prefix="dw-phases-") as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(PROJECTS[args.project], project, ignore=shutil.ignore_patterns(
            ".hypothesis", "__pycache__", ".pytest_cache"))
        out = Path(tmp) / "phases.json"
        boot = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path "
                "if '__editable__' not in getattr(f, '__module__', '')]; "
                f"sys.path.insert(0, {str(tree)!r}); sys.argv.pop(0); "
                f"import runpy; runpy.run_path({str(Path(__file__).resolve())!r}, "
                "run_name='__main__')")
        done = subprocess.run([sys.executable, "-c", boot, "-", "--child", str(project),
                               "--out", str(out), "--", *pytest_args], cwd=project,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0 or not out.exists():
            raise SystemExit(f"profile run failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
        result = json.loads(out.read_text())
    if result["exit"] != 0:
        raise SystemExit(f"pytest exited {result['exit']}")
    total = sum(result["split"].values())
    n = result["examples"]
    print(f"{SPEC} ({args.project}) on {args.backend}, tree {tree}: {n} examples, "
          f"{total:.2f} s of items, {result['samples']} samples, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'phase':18} {'share':>7} {'ms/example':>11}")
    for phase in PHASES:
        s = result["split"][phase]
        print(f"{phase:18} {s / total:7.1%} {1000 * s / n:11.3f}")
    print(f"{'all':18} {1:7.1%} {1000 * total / n:11.3f}")
    print("top of 'our other':")
    for name, s in result["other"][:6]:
        print(f"  {name:50} {s / total:6.1%}")


if __name__ == "__main__":
    main()
