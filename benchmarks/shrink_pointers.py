"""How small hypothesis shrinks a key-pick failure, by the way a step points at a key.

Issue 18's split example (tests/examples/split_1n) sometimes ends with a 4- or 5-row
counterexample where 3 would do. One suspect: a state-machine step picks its key by its
place in the sorted key list, counted from the end, so simplifying a row's value or
removing a row can move the pick to another record and the shrinker keeps a row it does
not need. This measures that suspect alone, with no database: rows of the split
example's `artifacts` table from the plugin's own row strategy (min 3, as the state
machine draws them), then one to four key picks; the "bug" is a pick with the property
a planted bug needs:

- `moves_child`: the picked record has a sibling run of its project with a lower run_no
  (update_moves_child re-homes it there);
- `ignores_run_no`: another record shares the picked one's project and name
  (read_ignores_run_no returns that one).

Four pointer schemes: the key list sorted or in the order the rows were drawn, the index
counted from the end or the start. Per scheme and bug: how many seeds found it, and the
rows of each shrunk counterexample.

    python benchmarks/shrink_pointers.py [--seeds 20] [--examples 300]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from pytest_dualwrite.schema.from_sql import from_sql_text
from pytest_dualwrite.strategies.rows import rows

ROOT = Path(__file__).resolve().parents[1]
SQL = ROOT / "tests" / "examples" / "split_1n" / "migrations" / "001_create_artifacts.sql"
KEY = ("project", "run_no", "name")
SCHEMES = ("sorted-end", "sorted-start", "drawn-end", "drawn-start")
Key = tuple[Any, ...]


def moves_child(key: Key, keys: list[Key]) -> bool:
    project, run_no, _ = key
    return any(p == project and r < run_no for p, r, _ in keys)


def ignores_run_no(key: Key, keys: list[Key]) -> bool:
    project, run_no, name = key
    return any(p == project and n == name and r != run_no for p, r, n in keys)


BUGS: dict[str, Callable[[Key, list[Key]], bool]] = {
    "moves_child": moves_child, "ignores_run_no": ignores_run_no}


def shrunk_rows(scheme: str, bug: Callable[[Key, list[Key]], bool], which: int,
                examples: int) -> int | None:
    """Rows of the shrunk counterexample for one seed, or None if none was found."""
    strategy = rows("artifacts", schema=from_sql_text(SQL.read_text(), "postgres"),
                    backend="postgres", min_size=3)
    last: dict[str, int] = {}

    @settings(max_examples=examples, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    @seed(which)
    @given(drawn=strategy, data=st.data())
    def probe(drawn: list[dict[str, Any]], data: st.DataObject) -> None:
        keys = [tuple(r[k] for k in KEY) for r in drawn]
        if scheme.startswith("sorted"):
            keys.sort()
        for _ in range(data.draw(st.integers(1, 4))):
            if data.draw(st.integers(0, 3)) >= 2:  # as key_strategy: a neighbour or fresh
                continue
            i = data.draw(st.integers(0, len(keys) - 1))
            if bug(keys[-1 - i] if scheme.endswith("end") else keys[i], keys):
                last["rows"] = len(drawn)  # the final call replays the shrunk example
                raise AssertionError

    try:
        probe()
    except AssertionError:
        return last["rows"]
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--examples", type=int, default=300)
    args = parser.parse_args()
    for name, bug in BUGS.items():
        for scheme in SCHEMES:
            start = time.monotonic()
            found = [r for s in range(args.seeds)
                     if (r := shrunk_rows(scheme, bug, s, args.examples)) is not None]
            print(f"{name:15} {scheme:13} found {len(found)}/{args.seeds}  rows {sorted(found)}"
                  f"  over 3: {sum(r > 3 for r in found)}  {time.monotonic() - start:.0f} s",
                  flush=True)


if __name__ == "__main__":
    main()
