"""Which existing key a step names, and where the shrinker takes it (dualwrite/draws.py).

A state-machine step shrinks to the last key (sorted): the one a batched backfill reaches
last. A race shrinks to the first: a race on the key the backfill reaches first needs no
row before it, so the shrinker can remove the others without moving the schedule.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import HealthCheck, find, settings

from pytest_dualwrite.dualwrite.draws import Draws
from pytest_dualwrite.schema.from_sql import from_sql_text
from pytest_dualwrite.schema.model import Schema

KEYS = [10, 20, 30]
QUIET = settings(database=None, suppress_health_check=list(HealthCheck))


class _Keys(Draws):
    """Draws over a one-table schema, without a harness."""

    def __init__(self) -> None:
        self.spec = SimpleNamespace(old_table="t", old_keys=["id"])  # type: ignore[assignment]
        self.backend = SimpleNamespace(name="sqlite")  # type: ignore[assignment]
        self.live = 0
        self._fresh_keys = None
        self._schema = from_sql_text("CREATE TABLE t (id INTEGER PRIMARY KEY);", "postgres")

    def schema(self, index: int | None = None) -> Schema:
        return self._schema


def _smallest(**kwargs: Any) -> Any:
    return find(_Keys().key_strategy(KEYS, **kwargs), lambda k: k in KEYS, settings=QUIET)


def test_a_step_shrinks_to_the_last_key_and_a_race_to_the_first() -> None:
    assert _smallest() == 30
    assert _smallest(either_end=True) == 10


def test_a_race_still_reaches_every_key() -> None:
    for key in KEYS:
        def is_it(k: Any, key: int = key) -> bool:
            return bool(k == key)

        assert find(_Keys().key_strategy(KEYS, either_end=True), is_it, settings=QUIET) == key
