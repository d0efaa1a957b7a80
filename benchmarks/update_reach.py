"""Where the state machine's updates land, in tests/examples/split_1n (issue 18).

    [PYTHONPATH=<tree>] python benchmarks/update_reach.py [--seeds 1 2 3] [--examples 300]
        [--backend sqlite]

`update_moves_child` (an update re-homes an output under its project's first run) shows
only when an update reaches an output that exists, in a project's *later* run, after the
backfill copied that run, with no output of that name in the first run: call that update
*eligible*. This runs the correct code's `dual_write_keeps_both_equal` (generate phase
only, no example database) with a conftest that wraps `builds.update` and
`builds.backfill` and logs, per example, what each update met:

- `missing`: no such key in the old table (a neighbour, a fresh key, a deleted record);
- `not copied`: its run is not in the new tables yet;
- `first run`: the output is in its project's first run (a project of one run, too);
- `output not copied`, `same name in the first run`, `eligible`.

Prints each kind's share of the updates, and the share of examples with an eligible
update: the rate the generator gives a two-step bug of this kind, without the noise of
how many examples until one fails.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections import Counter
from pathlib import Path

from planted_bugs_18 import run  # one run of the example (this folder)

PROBE = '''from hypothesis import Phase, settings

settings.register_profile("split_1n", database=None, phases=[Phase.generate])
settings.load_profile("split_1n")

import os

import builds
import sqlalchemy as sa
from hypothesis.control import current_build_context

_update, _backfill, _count = builds.update, builds.backfill, [0]


def _log(what):
    data = current_build_context().data  # one per example
    if not hasattr(data, "_dw_example"):
        _count[0] += 1
        data._dw_example = _count[0]
    with open(os.environ["DW_REACH_LOG"], "a") as f:
        f.write(f"{os.getpid()}-{data._dw_example} {what}\\n")


def _kind(conn, key):
    project, run_no, name = key
    a, runs, outputs = builds.artifacts, builds.runs, builds.outputs
    if conn.execute(sa.select(a.c.name).where(builds._where(a, key))).first() is None:
        return "missing"
    run_id = builds._run_id(conn, project, run_no)
    if run_id is None:
        return "not-copied"
    first = conn.execute(sa.select(sa.func.min(runs.c.run_id))
                         .where(runs.c.project == project)).scalar_one()
    if first == run_id:
        return "first-run"
    has = lambda run: conn.execute(sa.select(outputs.c.name).where(
        outputs.c.run_id == run, outputs.c.name == name)).first() is not None
    if not has(run_id):
        return "output-not-copied"
    return "same-name-in-first-run" if has(first) else "eligible"


def update(conn, key, changes):
    _log("update:" + _kind(conn, key))
    return _update(conn, key, changes)


def backfill(conn):
    _log("backfill")  # every example runs one at its end: each is counted
    yield from _backfill(conn)


builds.update, builds.backfill = update, backfill
'''


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--backend", default="sqlite")
    args = parser.parse_args()
    kinds: Counter[str] = Counter()
    examples: dict[str, set[str]] = {}
    with tempfile.TemporaryDirectory(prefix="dw_reach_") as tmp:
        for at in args.seeds:
            log = Path(tmp) / f"{at}.log"
            os.environ["DW_REACH_LOG"] = str(log)
            result = run("", args.backend, at, examples=args.examples, conftest=PROBE,
                         item="dual_write_keeps_both_equal")
            if result["passed"] != 1:
                raise SystemExit(f"seed {at}: the correct code did not pass: {result}")
            for line in log.read_text().splitlines():
                example, what = line.split()
                examples.setdefault(f"{at}/{example}", set()).add(what)
                if what.startswith("update:"):
                    kinds[what[7:]] += 1
    updates = sum(kinds.values())
    print(f"{args.backend}, seeds {args.seeds}, {len(examples)} examples, {updates} updates")
    for kind, n in kinds.most_common():
        print(f"  {kind}: {n} ({n / updates:.1%} of updates)")
    eligible = sum("update:eligible" in seen for seen in examples.values())
    print(f"examples with an eligible update: {eligible} ({eligible / len(examples):.1%})")


if __name__ == "__main__":
    main()
