"""The generator reaches where migration bugs live, measured over 1,000 examples (#18).

Stated minimums: in at least 30% of examples two rows share a non-unique column; among
text values, NFC-changing strings, non-BMP characters and edge whitespace each appear in
at least 5%; for a composite key, two rows equal in all its columns but one, for
each column, in at least 15% of examples. Run with `-s` to see the measured figures.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pytest_dualwrite.schema.from_sql import from_sql_text
from pytest_dualwrite.strategies import rows_for_tables
from pytest_dualwrite.strategies.hostile import has_edge_space, has_non_bmp, is_nfc_changing

EXAMPLES = 1000
SQL = """
CREATE TABLE projects (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);
CREATE TABLE artifacts (
    project_id INTEGER NOT NULL REFERENCES projects (id),
    seq        INTEGER NOT NULL,
    kind       VARCHAR(20) NOT NULL,
    label      TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    size       NUMERIC(12, 2),
    meta       JSONB,
    PRIMARY KEY (project_id, seq)
);
"""
NON_UNIQUE = {
    "projects": ("name",),
    "artifacts": ("project_id", "seq", "kind", "label", "created_at", "size", "meta"),
}
TEXT = {"projects": ("name",), "artifacts": ("kind", "label")}


def _shares(tables: dict[str, list[dict[str, Any]]]) -> set[str]:
    """The non-unique columns on which two rows of one table hold the same value."""
    shared = set()
    for table, columns in NON_UNIQUE.items():
        for column in columns:
            values = [repr(r[column]) for r in tables[table] if r.get(column) is not None]
            if len(values) != len(set(values)):
                shared.add(column)
    return shared


# Generation only (nothing to shrink, no database of examples): each test counts what
# EXAMPLES fresh draws contain.
MEASURE = settings(
    max_examples=EXAMPLES,
    phases=[Phase.generate],
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_generator_collides_and_is_hostile_by_design(backend: str) -> None:
    schema = from_sql_text(SQL, "postgres")
    strategy = rows_for_tables(schema, ["projects", "artifacts"], backend=backend)
    counts: Counter[str] = Counter()

    @MEASURE
    @given(st.data())
    def measure(data: st.DataObject) -> None:
        rows = data.draw(strategy)
        counts["examples"] += 1
        shared = _shares(rows)
        counts["sharing"] += bool(shared)
        counts["sharing two columns"] += len(shared) >= 2
        counts["same parent"] += "project_id" in shared
        counts["same timestamp"] += "created_at" in shared
        for table, columns in TEXT.items():
            for value in (r[c] for r in rows[table] for c in columns):
                if value is None:
                    continue
                counts["text"] += 1
                counts["nfc"] += is_nfc_changing(value)
                counts["non-bmp"] += has_non_bmp(value)
                counts["edge space"] += has_edge_space(value)

    measure()
    examples, texts = counts["examples"], counts["text"]
    share = {
        k: counts[k] / examples
        for k in ("sharing", "sharing two columns", "same parent", "same timestamp")
    }
    text = {k: counts[k] / texts for k in ("nfc", "non-bmp", "edge space")}
    print(
        f"\n{backend}: {examples} examples, {texts} text values; "
        + ", ".join(f"{k} {v:.1%}" for k, v in {**share, **text}.items())
    )
    assert examples >= EXAMPLES * 0.95  # hypothesis may skip a few duplicates
    assert share["sharing"] >= 0.30, share
    for name, frequency in text.items():
        assert frequency >= 0.05, (name, text)


KEYED_SQL = """
CREATE TABLE artifacts (
    project VARCHAR(16) NOT NULL,
    run_no  INTEGER NOT NULL,
    name    VARCHAR(24) NOT NULL,
    label   VARCHAR(32) NOT NULL,
    PRIMARY KEY (project, run_no, name)
);
"""
KEY = ("project", "run_no", "name")
ALL_BUT_ONE_MINIMUM = 0.15  # of examples, for each column of the key (measured 26-35%)


def _all_but_one(generated: list[dict[str, Any]]) -> set[str]:
    """The key columns `c` such that two rows hold the same values in every key column
    but `c` (and so differ in `c`, the key being unique)."""
    varying = set()
    for i, a in enumerate(generated):
        for b in generated[:i]:
            same = [c for c in KEY if a[c] == b[c]]
            if len(same) == len(KEY) - 1:
                varying |= set(KEY) - set(same)
    return varying


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_rows_differ_in_one_key_column_only_for_every_column(backend: str) -> None:
    """A read that ignores `run_no` needs two artifacts of one project and name under two
    runs; a keyset page on `(project, run_no)` needs two of one run; a child moved to
    another parent, two runs of one project: each "all key columns but one" must come up
    without a rule for this schema."""
    schema = from_sql_text(KEYED_SQL, "postgres")
    strategy = rows_for_tables(schema, ["artifacts"], backend=backend)
    counts: Counter[str] = Counter()

    @MEASURE
    @given(st.data())
    def measure(data: st.DataObject) -> None:
        generated = data.draw(strategy)["artifacts"]
        counts["examples"] += 1
        for column in _all_but_one(generated):
            counts[column] += 1

    measure()
    examples = counts["examples"]
    varying = {c: counts[c] / examples for c in KEY}
    print(f"\n{backend}: {examples} examples; all key columns but one, varying "
          + ", ".join(f"{c} {v:.1%}" for c, v in varying.items()))
    assert examples >= EXAMPLES * 0.95
    for column, frequency in varying.items():
        assert frequency >= ALL_BUT_ONE_MINIMUM, (column, varying)
