"""What drawing a spec's rows costs, against hypothesis' own floor for as many choices.

Issue #16 asks for 4x the examples per second of fdf565b and for the user's SQL to be 75%
of a spec item's time. Row generation and hypothesis' own work are most of the rest, so
this script separates what our strategies cost from what any strategy making as many
choices costs in hypothesis. For example_project's `products` table (both backends):
  - choices and spans per example, counted on `ConjectureData` directly;
  - ms per example of `@given(rows(products))`, no database, no test body;
  - ms per example of `@given(lists(integers(), min_size=n, max_size=n))` with n the
    rows' mean choice count: what hypothesis charges for that many choices at least.

Run:  python benchmarks/draw_floor.py [--examples 600]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.control import BuildContext
from hypothesis.internal.conjecture.data import ConjectureData
from hypothesis.strategies import SearchStrategy

from pytest_dualwrite.schema.from_sql import from_sql_text
from pytest_dualwrite.strategies import rows

ROOT = Path(__file__).resolve().parent.parent
SQL = ROOT / "example_project" / "migrations" / "004_create_products.sql"


def counts(strategy: SearchStrategy[Any], n: int = 300) -> tuple[float, float, float]:
    """Mean (choices, spans, rows) per example of `strategy`, from a fixed random."""
    rnd = random.Random(0)
    choices, spans, drawn = [], [], []
    for _ in range(n):
        data = ConjectureData(random=rnd)
        with BuildContext(data, wrapped_test=lambda: None):
            value = data.draw(strategy)
        data.freeze()
        choices.append(len(data.choices))
        spans.append(len(data.spans))
        drawn.append(len(value))
    return statistics.mean(choices), statistics.mean(spans), statistics.mean(drawn)


def ms_per_example(strategy: SearchStrategy[Any], examples: int) -> float:
    @settings(max_examples=examples, database=None, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def body(_: Any) -> None:
        pass

    start = time.perf_counter()
    body()
    return (time.perf_counter() - start) / examples * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=600)
    args = parser.parse_args()
    sql = SQL.read_text().split("-- migrate:down")[0]
    schema = from_sql_text(sql, "postgres")
    table = schema.table("products")
    print(f"{'strategy':34} {'choices':>8} {'spans':>7} {'rows':>5} {'ms/example':>11}")
    for backend in ("sqlite", "postgres"):
        ours = rows(table, schema=schema, backend=backend)
        choices, spans, drawn = counts(ours)
        print(f"{'rows(products), ' + backend:34} {choices:8.1f} {spans:7.1f} {drawn:5.1f} "
              f"{ms_per_example(ours, args.examples):11.2f}")
        floor = st.lists(st.integers(), min_size=round(choices), max_size=round(choices))
        print(f"{f'  {round(choices)} integers (the floor)':34} {round(choices):8d} "
              f"{'':7} {'':5} {ms_per_example(floor, args.examples):11.2f}")


if __name__ == "__main__":
    main()
