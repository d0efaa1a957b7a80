"""`dual_write_keeps_both_equal` runs the user's backfill at most twice over rows nothing
has changed since: a third whole run would repeat the second. Before, a quarter to a third
of the runs in products' examples were such repeats (benchmarks/RESULTS.md, "#16 the
backfill runs that repeated themselves").

Seen from the user's side: the products example's backfill and writes, wrapped by the
project's conftest, log each example's events; no example may start a third run after two
that ended with no write, update, delete or crash between them, and some must start the
second (a rerun over unchanged rows is still tried)."""

from __future__ import annotations

import json

import pytest

from .conftest import copy_example

RECORDER = '''
import json
from hypothesis.control import current_build_context
import catalog

EVENTS = []
_SEEN = {}  # id -> (number, data): holding the data keeps its id from being reused


def _example():
    data = current_build_context().data
    return _SEEN.setdefault(id(data), (len(_SEEN), data))[0]


def _recorded(name, fn):
    def app(*args):
        EVENTS.append((_example(), "app"))
        return fn(*args)
    return app


for _name in ("write", "update", "delete"):
    setattr(catalog, _name, _recorded(_name, getattr(catalog, _name)))

_backfill = catalog.backfill


def backfill(conn):
    example = _example()
    EVENTS.append((example, "start"))
    try:
        yield from _backfill(conn)
    except GeneratorExit:
        EVENTS.append((example, "crash"))
        raise
    EVENTS.append((example, "end"))


catalog.backfill = backfill


def pytest_sessionfinish(session):
    with open("events.json", "w") as f:
        json.dump(EVENTS, f)
'''


def test_no_third_backfill_over_unchanged_rows(pytester: pytest.Pytester) -> None:
    copy_example(pytester, "products")
    pytester.makeconftest(RECORDER)
    result = pytester.runpytest_subprocess(
        "--dualwrite", "--dualwrite-backend=sqlite", "-p", "no:cacheprovider",
        "-k", "dual_write_keeps_both_equal", "--hypothesis-seed=3")
    result.assert_outcomes(passed=1)
    events = json.loads((pytester.path / "events.json").read_text())
    ended: dict[int, int] = {}  # whole runs since the example's last change
    reruns = 0
    for example, event in events:
        count = ended.get(example, 0)
        if event == "start":
            assert count < 2, f"a third backfill over unchanged rows in example {example}"
            reruns += count == 1
        ended[example] = count + 1 if event == "end" else 0 if event != "start" else count
    assert sum(1 for _, e in events if e == "start") >= 100  # the item ran its examples
    assert reruns >= 5, reruns  # the second run over unchanged rows is still tried
