"""Examples per second of a correct spec, and how much of that time is the plugin's own.

The spec is the products -> catalog_items example (tests/examples/products): a correct
dual-write, backfill and read path. Per backend:

1. speed: the example project copied to a temporary folder and run as users run it,
   `python -m pytest --dualwrite --dualwrite-backend=B --dualwrite-examples=N -q
   -p no:cacheprovider --durations=0 -k products_to_catalog_items`, in a subprocess.
   Per item: examples actually run (the plugin's JSON report, `figures.examples`) over
   the item's setup + call + teardown time (`--durations=0`). The first item also pays
   the one-time set-up of the spec on that backend (templates, reflection, strategies).

2. where the time goes: the same run in-process, measured only while a spec item runs
   (setup, call, teardown), two ways, each in its own fresh interpreter:

   cProfile (deterministic). From the caller -> callee edges of pstats:
     user's SQL      cumulative time of calls into the user's module `catalog` (write,
                     update, delete, backfill, read) from outside it: their SQLAlchemy,
                     driver and database time included.
     our queries     cumulative time of calls from pytest_dualwrite code straight into
                     SQLAlchemy, sqlite3 or psycopg (checkout, savepoints, inserting the
                     generated rows, migrating, compare, reading keys).
     hypothesis      self time of hypothesis' functions, plus builtins and stdlib
                     functions they call directly.
     pytest          self time of pytest and pluggy (and what they call directly).
     our Python      the rest: pytest_dualwrite's own functions, and the stdlib, sqlglot
                     and builtins they call (a residual, so it also holds what the edges
                     above could not place).
   sampled (statistical). A wall-clock timer (SIGALRM, every 1 ms) interrupts the main
   thread, which reads its own stack (each sample weighted by the time since the last);
   the innermost frame that belongs to `catalog`, hypothesis or pytest_dualwrite owns the
   sample. Owned by pytest_dualwrite with SQLAlchemy/sqlite3/psycopg frames inside it:
   our queries; else our Python.

   "Our own code" = our queries + our Python: everything the plugin spends besides the
   user's callables and hypothesis. Target (from the issue): <= 25% of spec-item time.

Limits, said plainly: cProfile slows Python-heavy code (hypothesis, SQLAlchemy's
compilation, ours) several times more than C and database time, so it overstates those
shares and understates the user's SQL; the overhead is printed. Its edges are one level
deep, so a call from SQLAlchemy back into our code that queries again (the SQLite BEGIN
listener) counts twice, and "our Python" is a residual. The sampler's overhead is small,
but a signal is only handled between two bytecodes, so time spent waiting in C (the
database, the socket) is seen, correctly, in the Python frame that made the call, yet at
the granularity of that call; short runs give few samples (the count is printed).
Neither method can tell a slow query from a slow driver: both are "SQL" to them.

Run:  python benchmarks/spec_speed.py [--postgres-url URL] [--examples 100]
      [--profile both|cprofile|sample|none]
--examples defaults to 100, hypothesis' own max_examples: what a user runs with no settings.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "examples" / "products"
SPEC = "products_to_catalog_items"
TARGET_SHARE = 0.25
BUCKETS = ("user", "hypothesis", "our queries", "our python", "pytest")
LABELS = {
    "user": "user's SQL (catalog.*, with SQLAlchemy/driver/DB under it)",
    "hypothesis": "hypothesis (generation, shrinking, engine)",
    "our queries": "our queries (SQLAlchemy/driver/DB called by pytest_dualwrite)",
    "our python": "pytest_dualwrite's own Python (+ stdlib/sqlglot it calls)",
    "pytest": "pytest and other",
}
_DURATION = re.compile(r"^\s*(?P<s>[\d.]+)s (?P<when>setup|call|teardown)\s+(?P<id>\S+)")


# --- where files belong ---------------------------------------------------------------

def _package_dir(name: str) -> str:
    module = __import__(name)
    return str(Path(module.__file__ or name).resolve().parent) + os.sep


class Classifier:
    """Which side a code file is on: user, ours, hypothesis, db layer, pytest, other."""

    def __init__(self, project: Path) -> None:
        import _pytest
        import hypothesis
        import pluggy
        import sqlalchemy

        import pytest_dualwrite

        self.project = str(project.resolve()) + os.sep
        self.ours = str(Path(pytest_dualwrite.__file__).resolve().parent) + os.sep
        self.strategies_file = str(Path(self.ours) / "strategies") + os.sep
        self.hyp = str(Path(hypothesis.__file__).resolve().parent) + os.sep
        self.db = [str(Path(sqlalchemy.__file__).resolve().parent) + os.sep,
                   _package_dir("sqlite3")]
        self.pytest = [str(Path(_pytest.__file__).resolve().parent) + os.sep,
                       str(Path(pluggy.__file__).resolve().parent) + os.sep,
                       str(Path(__file__).resolve())]
        for optional in ("psycopg", "psycopg_binary", "psycopg_pool"):
            try:
                self.db.append(_package_dir(optional))
            except ImportError:
                pass
        self._cache: dict[str, str] = {}

    def of_file(self, filename: str) -> str:
        kind = self._cache.get(filename)
        if kind is None:
            path = str(Path(filename).resolve()) if filename[:1] not in ("<", "~") else filename
            kind = ("user" if path.startswith(self.project) else
                    "ours" if path.startswith(self.ours) else
                    "hyp" if path.startswith(self.hyp) else
                    "db" if any(path.startswith(d) for d in self.db) else
                    "pytest" if any(path.startswith(d) for d in self.pytest) else "other")
            self._cache[filename] = kind
        return kind

    def of_function(self, func: tuple[str, int, str]) -> str:
        filename, _, name = func
        if filename == "~":  # a builtin: the driver's C methods are the db layer
            return "db" if ("sqlite3." in name or "psycopg" in name) else "builtin"
        return self.of_file(filename)


# --- running pytest in-process, measured only inside spec items ----------------------

class Window:
    """A pytest plugin that calls `on()` / `off()` around each item's setup, call, teardown."""

    def __init__(self, on: Callable[[], None], off: Callable[[], None]) -> None:
        self.on, self.off = on, off
        self.seconds = 0.0

    def _around(self) -> Generator[None, Any, Any]:
        start = time.perf_counter()
        self.on()
        try:
            return (yield)
        finally:
            self.off()
            self.seconds += time.perf_counter() - start


def _window_plugin(window: Window) -> object:
    import pytest

    class Plugin:
        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_setup(self, item: Any) -> Generator[None, Any, Any]:
            return (yield from window._around())

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_call(self, item: Any) -> Generator[None, Any, Any]:
            return (yield from window._around())

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_teardown(self, item: Any, nextitem: Any) -> Generator[None, Any, Any]:
            return (yield from window._around())

    return Plugin()


def pytest_args(backend: str, examples: int, postgres_url: str | None) -> list[str]:
    args = ["--dualwrite", f"--dualwrite-backend={backend}", f"--dualwrite-examples={examples}",
            "-q", "-p", "no:cacheprovider", "-k", SPEC]
    if backend == "postgres" and postgres_url:
        args.append(f"--dualwrite-postgres-url={postgres_url}")
    return args


def copy_project(into: Path, unicode_data: Path | None) -> Path:
    """A fresh copy of the example; with `unicode_data`, hypothesis' tables already built."""
    project = into / "products"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(
        ".hypothesis", "__pycache__", ".pytest_cache"))
    if unicode_data is not None:
        shutil.copytree(unicode_data, project / ".hypothesis" / "unicode_data")
    return project


def build_unicode_data(home: Path) -> tuple[Path, float]:
    """Build hypothesis' on-disk unicode tables under `home`; (their folder, seconds).

    A fresh checkout has no `.hypothesis/unicode_data`: the first run then builds the
    category table and, for `st.characters(codec="utf-8")` (strategies.py), scans every
    code point through the codec. That is paid once per fresh `.hypothesis`, not per
    example; it is measured here and kept out of the per-item figures unless --cold.
    """
    from hypothesis.configuration import set_hypothesis_home_dir
    from hypothesis.internal.charmap import charmap, intervals_from_codec

    set_hypothesis_home_dir(home)
    start = time.perf_counter()
    charmap()
    intervals_from_codec("utf-8")
    seconds = time.perf_counter() - start
    set_hypothesis_home_dir(None)
    return home / "unicode_data", seconds


def profile_with_cprofile(project: Path, args: list[str]) -> dict[str, Any]:
    """cProfile over the spec items; the edge-based split described in the docstring."""
    import pytest

    profiler = cProfile.Profile()
    window = Window(profiler.enable, profiler.disable)
    code = pytest.main(args, plugins=[_window_plugin(window)])
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    kinds = Classifier(project)
    total = sum(v[2] for v in stats.values())
    split = dict.fromkeys(BUCKETS, 0.0)
    ours_cumulative: Counter[str] = Counter()
    for func, (_cc, _nc, tt, ct, callers) in stats.items():
        kind = kinds.of_function(func)
        for caller, edge in callers.items():
            edge_tt, edge_ct = edge[2], edge[3]
            by = kinds.of_function(caller)
            if kind == "user" and by != "user":
                split["user"] += edge_ct
            elif kind == "db" and by == "ours":
                split["our queries"] += edge_ct
            elif kind in ("builtin", "other") and by == "hyp":
                split["hypothesis"] += edge_tt
            elif kind in ("builtin", "other") and by == "pytest":
                split["pytest"] += edge_tt
        if kind == "hyp":
            split["hypothesis"] += tt
        elif kind == "pytest":
            split["pytest"] += tt
        elif kind == "ours":
            ours_cumulative[f"{Path(func[0]).stem}.{func[2]}"] = max(
                ours_cumulative[f"{Path(func[0]).stem}.{func[2]}"], ct)
    split["our python"] = max(total - sum(split.values()), 0.0)
    return {"exit": int(code), "window": window.seconds, "total": total, "split": split,
            "top": ours_cumulative.most_common(12)}


class Sampler:
    """Samples the main thread's own stack on a wall-clock timer (SIGALRM) while `active`.

    The handler runs in the main thread between two bytecodes, so it reads a stack that
    cannot change under it (reading another thread's frames from a sampler thread crashed
    CPython 3.11 here). A signal that arrives while the thread waits in C (a query, a
    socket) is handled when that call returns, in the frame that made it: each sample is
    weighted by the wall time since the previous one, so that wait goes to its caller.
    """

    def __init__(self, kinds: Classifier, interval: float = 0.001) -> None:
        self.kinds, self.interval = kinds, interval
        self.active = False
        self.split = dict.fromkeys(BUCKETS, 0.0)
        self.where: dict[str, float] = {}  # innermost pytest_dualwrite function -> seconds
        self.samples = 0
        self.hypothesis_in_strategies = 0.0
        self._code_kind: dict[CodeType, str] = {}
        self._last = time.perf_counter()

    def start_window(self) -> None:
        self._last = time.perf_counter()
        self.active = True

    def stop_window(self) -> None:
        self.active = False  # the part of a tick after the last sample is not counted

    def _kind(self, code: CodeType) -> str:
        kind = self._code_kind.get(code)
        if kind is None:
            kind = self._code_kind[code] = self.kinds.of_file(code.co_filename)
        return kind

    def _owner(self, frame: FrameType | None) -> tuple[str, str]:
        """(bucket, innermost pytest_dualwrite function or '') for one stack.

        For hypothesis, the function is `strategies` when the draw was asked for by our row
        strategies (pytest_dualwrite/strategies.py further out on the stack).
        """
        saw_db = False
        while frame is not None:
            code = frame.f_code
            kind = self._kind(code)
            if kind == "db":
                saw_db = True
            elif kind == "user":
                return "user", ""
            elif kind == "hyp":
                outer = frame.f_back
                while outer is not None:
                    if outer.f_code.co_filename.startswith(self.kinds.strategies_file):
                        return "hypothesis", "strategies"
                    outer = outer.f_back
                return "hypothesis", ""
            elif kind == "ours":
                name = f"{Path(code.co_filename).stem}.{code.co_qualname}"
                return ("our queries" if saw_db else "our python"), name
            frame = frame.f_back
        return "pytest", ""

    def _sample(self, frame: FrameType | None) -> None:
        if not self.active:
            return
        now = time.perf_counter()
        weight, self._last = now - self._last, now
        bucket, where = self._owner(frame)
        self.split[bucket] += weight
        self.samples += 1
        if where == "strategies":
            self.hypothesis_in_strategies += weight
        elif where:
            name = f"{bucket}: {where}"
            self.where[name] = self.where.get(name, 0.0) + weight

    def _tick(self, _signum: int, frame: FrameType | None) -> None:
        self._sample(frame)

    @contextmanager
    def running(self) -> Iterator[None]:
        previous = signal.signal(signal.SIGALRM, self._tick)
        signal.setitimer(signal.ITIMER_REAL, self.interval, self.interval)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def profile_with_sampler(project: Path, args: list[str]) -> dict[str, Any]:
    import pytest

    sampler = Sampler(Classifier(project))
    window = Window(sampler.start_window, sampler.stop_window)
    with sampler.running():
        code = pytest.main(args, plugins=[_window_plugin(window)])
    return {"exit": int(code), "window": window.seconds, "total": sum(sampler.split.values()),
            "split": sampler.split, "samples": sampler.samples,
            "hypothesis_in_strategies": sampler.hypothesis_in_strategies,
            "top": sorted(sampler.where.items(), key=lambda kv: -kv[1])[:12]}


def child(mode: str, project: Path, args: list[str], out: Path) -> None:
    """In a fresh interpreter: run pytest in-process under one profiler, write JSON."""
    os.chdir(project)
    sys.path.insert(0, str(project))
    profile = profile_with_cprofile if mode == "cprofile" else profile_with_sampler
    result = profile(project, args)
    out.write_text(json.dumps(result))


# --- the speed run ----------------------------------------------------------------------

def speed_run(backend: str, examples: int, postgres_url: str | None, tmp: Path,
              unicode_data: Path | None) -> dict[str, dict[str, float]]:
    """Per item: examples and seconds, from a plain pytest subprocess."""
    project = copy_project(tmp / f"speed-{backend}-{time.monotonic_ns()}", unicode_data)
    report = project / "dualwrite-report.json"
    command = [sys.executable, "-m", "pytest", *pytest_args(backend, examples, postgres_url),
               "--durations=0", f"--dualwrite-report={report}"]
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"pytest failed on {backend}:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    seconds: dict[str, float] = {}
    for line in done.stdout.splitlines():
        if match := _DURATION.match(line):
            seconds[match["id"]] = seconds.get(match["id"], 0.0) + float(match["s"])
    items: dict[str, dict[str, float]] = {}
    for item in json.loads(report.read_text())["items"]:
        check = item["check"]
        items[check] = {"examples": item["figures"].get("examples", 0),
                        "seconds": seconds.get(item["nodeid"], item["duration"])}
    return items


def profile_run(mode: str, backend: str, examples: int, postgres_url: str | None,
                tmp: Path, unicode_data: Path | None) -> dict[str, Any]:
    project = copy_project(tmp / f"{mode}-{backend}-{time.monotonic_ns()}", unicode_data)
    out = project / f"{mode}.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode,
               "--project", str(project), "--out", str(out), "--", *pytest_args(
                   backend, examples, postgres_url)]
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"{mode} run failed on {backend}:\n{done.stdout[-3000:]}"
                         f"{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    if result["exit"] != 0:  # a failing spec would make the profile describe a failure
        raise SystemExit(f"{mode} run on {backend}: pytest exited {result['exit']}:\n"
                         f"{done.stdout[-3000:]}")
    return result


# --- printing ---------------------------------------------------------------------------

def print_speed(results: dict[str, dict[str, dict[str, float]]]) -> None:
    backends = list(results)
    header = f"{'item':34}" + "".join(f" | {b + ': examples':>18} {'s':>6} {'ex/s':>6}"
                                      for b in backends)
    print(header)
    checks = list(dict.fromkeys(c for items in results.values() for c in items))
    totals = {b: [0.0, 0.0] for b in backends}
    for check in checks:
        line = f"{check:34}"
        for b in backends:
            r = results[b].get(check, {"examples": 0, "seconds": 0.0})
            totals[b][0] += r["examples"]
            totals[b][1] += r["seconds"]
            rate = r["examples"] / r["seconds"] if r["seconds"] else 0.0
            line += f" | {int(r['examples']):>18} {r['seconds']:6.2f} {rate:6.1f}"
        print(line)
    line = f"{'all spec items':34}"
    for b in backends:
        n, s = totals[b]
        line += f" | {int(n):>18} {s:6.2f} {n / s if s else 0.0:6.1f}"
    print(line)


def print_split(backend: str, profiles: dict[str, dict[str, Any]], plain_seconds: float) -> None:
    modes = list(profiles)
    print(f"\nwhere the time goes on {backend} (spec items only; shares of each method's total)")
    print(f"{'':64}" + "".join(f" {m:>9}" for m in modes))
    for bucket in BUCKETS:
        print(f"{LABELS[bucket]:64}" + "".join(
            f" {profiles[m]['split'][bucket] / profiles[m]['total']:9.1%}" for m in modes))
    line = f"{'our own code = our queries + our Python':64}"
    verdicts = []
    for m in modes:
        split, total = profiles[m]["split"], profiles[m]["total"]
        share = (split["our queries"] + split["our python"]) / total
        verdicts.append(f"{m} {'met' if share <= TARGET_SHARE else 'MISSED'}")
        line += f" {share:9.1%}"
    print(line + f"   (target <= {TARGET_SHARE:.0%}: {', '.join(verdicts)})")
    line = f"{'  of which our Python alone':64}" + "".join(
        f" {profiles[m]['split']['our python'] / profiles[m]['total']:9.1%}" for m in modes)
    print(line)
    if "sample" in profiles:
        p = profiles["sample"]
        print(f"{'  hypothesis drawing rows for our strategies (strategies.py)':64}"
              + "".join(f" {'':>9}" for m in modes if m != "sample")
              + f" {p['hypothesis_in_strategies'] / p['total']:9.1%}")
    for m in modes:
        extra = f", {profiles[m]['samples']} samples" if "samples" in profiles[m] else ""
        print(f"{m}: items took {profiles[m]['window']:.2f} s under it vs {plain_seconds:.2f} s "
              f"in the unprofiled run ({profiles[m]['window'] / plain_seconds:.1f}x{extra}; "
              "separate runs: load differences show here too)")
    for m in modes:
        print(f"top pytest_dualwrite functions ({m}: "
              f"{'cumulative' if m == 'cprofile' else 'innermost of ours, by bucket'}):")
        total = profiles[m]["total"]
        for name, seconds in profiles[m]["top"][:8]:
            print(f"  {seconds:7.2f} s {seconds / total:6.1%}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("DUALWRITE_POSTGRES_URL"))
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--profile", choices=("both", "cprofile", "sample", "none"),
                        default="both")
    parser.add_argument("--cold", action="store_true",
                        help="fresh .hypothesis folders: include building hypothesis' "
                             "unicode tables in the first item")
    parser.add_argument("--child", choices=("cprofile", "sample"), help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.project, args.rest, args.out)
        return
    backends = ["sqlite"] + (["postgres"] if args.postgres_url else [])
    modes = ["cprofile", "sample"] if args.profile == "both" else (
        [] if args.profile == "none" else [args.profile])
    print(f"{SPEC}: {args.examples} examples per item (--dualwrite-examples); "
          f"examples/s = examples run / (setup + call + teardown)")
    speed: dict[str, dict[str, dict[str, float]]] = {}
    profiles: dict[str, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="dw-bench-spec-") as tmp:
        unicode_data, cold = build_unicode_data(Path(tmp) / "hypothesis-home")
        print(f"one-time: building hypothesis' unicode tables in a fresh .hypothesis took "
              f"{cold:.2f} s ({'included in' if args.cold else 'kept out of'} the figures)")
        warm = None if args.cold else unicode_data
        for backend in backends:
            speed[backend] = speed_run(backend, args.examples, args.postgres_url, Path(tmp),
                                       warm)
            profiles[backend] = {m: profile_run(m, backend, args.examples, args.postgres_url,
                                                Path(tmp), warm) for m in modes}
    print_speed(speed)
    for backend in backends:
        if profiles[backend]:
            plain = sum(r["seconds"] for r in speed[backend].values())
            print_split(backend, profiles[backend], plain)


if __name__ == "__main__":
    main()
