"""`each_step_preserves_rows` against `upgrade_from_empty` on a real history you point it at.

Fetches nothing: give it the migrations folder of your own checkout (a Flyway
`V1__x.sql` folder, golang-migrate, dbmate, goose, ...: the plugin's readers tell which)
and the dialect its SQL is written in. Each round runs, in a fresh `Session` as a pytest
run would (discovery and transpiling included, backend already connected):

upgrade:  `upgrade_from_empty`: every migration on a new database.
steps:    `each_step_preserves_rows` as the plugin runs it: it stops at the first step
          that loses or refuses rows, after hypothesis has shrunk the example.
walk:     the same check through every step (`keep_going`): a failing step is noted, then
          applied as a deploy would and the walk goes on. What the check costs on a history
          with no such step.

The three alternate, in a different order each round, so that a machine shared with
other work loads them alike; the ratios of medians are the figures to read, not the
seconds. Hypothesis runs derandomized with no example database, so every round draws
the same examples and no round replays another's failure.

Run:  python benchmarks/steps_vs_upgrade.py FOLDER [--dialect postgres] [--backend postgres]
      [--postgres-url URL] [--rounds 3] [--examples N] [--no-walk]
Target (issue 11): steps (and walk) at most 3x upgrade, Postgres, marquez's 85 files.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import hypothesis

from pytest_dualwrite import checks
from pytest_dualwrite.errors import DualWriteError
from pytest_dualwrite.session import Session
from pytest_dualwrite.settings import resolve
from pytest_dualwrite.steps import check_steps

TARGET = 3.0


def session_for(folder: Path, dialect: str, backend: str, url: str | None,
                examples: int | None) -> Session:
    """A session with only the folder, dialect and backend set (what a user's ini holds)."""
    env = {"DUALWRITE_POSTGRES_URL": url} if url else {}
    ini = {"dualwrite_migrations": str(folder), "dualwrite_dialect": dialect,
           "dualwrite_backends": backend}
    if examples:
        ini["dualwrite_examples"] = str(examples)
    return Session(resolve({}, env, ini), folder)


def timed(make: Callable[[], Session], backend: str,
          check: Callable[[Session, object], object]) -> tuple[float, object]:
    """Seconds `check` takes in a fresh session, and what it returned or raised (first
    line). The backend is started before the clock, as pytest starts it once a run."""
    session = make()
    try:
        started = session.backend(backend)
        start = time.perf_counter()
        try:
            outcome: object = check(session, started)
        except DualWriteError as exc:
            outcome = str(exc).splitlines()[0]
        return time.perf_counter() - start, outcome
    finally:
        session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the migrations folder of a checkout")
    parser.add_argument("--dialect", default="postgres", help="the dialect the SQL is in")
    parser.add_argument("--backend", default="postgres", choices=("postgres", "sqlite"))
    parser.add_argument("--postgres-url", default=os.environ.get("DUALWRITE_POSTGRES_URL"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--examples", type=int, default=None,
                        help="hypothesis examples for the whole check (default: profile's)")
    parser.add_argument("--no-walk", action="store_true",
                        help="leave out the walk through every step (the slowest phase)")
    args = parser.parse_args()
    hypothesis.settings.register_profile("real-histories", derandomize=True, database=None)
    hypothesis.settings.load_profile("real-histories")

    def make() -> Session:
        return session_for(args.folder.resolve(), args.dialect, args.backend,
                           args.postgres_url, args.examples)

    def walk(session: Session, backend: object) -> object:
        failures = check_steps(session, backend, keep_going=True)  # type: ignore[arg-type]
        return f"{len(failures)} failing step(s)" + "".join(
            f"\n    {str(f).splitlines()[0]}" for f in failures)

    runs: dict[str, list[float]] = {"upgrade": [], "steps": [], "walk": []}
    said: dict[str, object] = {}
    phases: dict[str, Callable[[Session, object], object]] = {
        "upgrade": checks.upgrade_from_empty,  # type: ignore[dict-item]
        "steps": checks.each_step_preserves_rows,  # type: ignore[dict-item]
        "walk": walk,
    }
    if args.no_walk:
        del phases["walk"], runs["walk"]
    order = list(phases)
    for round_ in range(args.rounds):
        turn = round_ % len(order)
        for name in order[turn:] + order[:turn]:
            seconds, outcome = timed(make, args.backend, phases[name])
            runs[name].append(seconds)
            said[name] = outcome
            print(f"round {round_ + 1} {name:8} {seconds:8.2f} s", flush=True)
    files = len(make().runner(args.backend).migrations)
    median = {name: statistics.median(values) for name, values in runs.items()}
    print(f"\n{args.folder} ({files} migrations, {args.dialect} on {args.backend}); "
          f"{args.rounds} rounds, medians, side by side")
    for name in phases:
        ratio = median[name] / median["upgrade"]
        verdict = "" if name == "upgrade" else \
            f"  target <= {TARGET:.0f}x: {'met' if ratio <= TARGET else 'MISSED'}"
        spread = f"{min(runs[name]):.2f}-{max(runs[name]):.2f}"
        print(f"{name:8} {median[name]:8.2f} s  ({spread})  {ratio:5.1f}x upgrade{verdict}")
    print(f"steps said: {said['steps'] or 'passed'}")
    if "walk" in said:
        print(f"walk: {said['walk']}")


if __name__ == "__main__":
    main()
