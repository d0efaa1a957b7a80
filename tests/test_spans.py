"""`spans=` (issue 18): the tables a SELECT `new` joins, so rows the join drops show."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pytest_dualwrite import DualWrite
from pytest_dualwrite.dualwrite import spans
from pytest_dualwrite.errors import SpecError
from pytest_dualwrite.schema.from_database import from_database

JOINED = "SELECT r.project, o.name, o.run_id FROM runs r JOIN outputs o ON o.run_id = r.run_id"


def spec(**changes: object) -> DualWrite:
    args: dict[str, object] = {"old": "artifacts", "new": JOINED, "key": ["project", "name"],
                               "expand": 2, "spans": {"runs": "run_id",
                                                      "outputs": ["run_id", "name"]}}
    return DualWrite(**{**args, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "message"), [
    ({"new": "outputs"}, "spans= names the tables a SELECT joins: new= must be that SELECT"),
    ({"spans": ["runs"]}, "spans= must be a dict of table -> key column(s)"),
    ({"spans": {"runs": []}}, "spans['runs'] must be a column name or a list of names"),
])
def test_a_spans_that_cannot_work_fails_the_spec_in_one_line(changes: dict[str, object],
                                                             message: str) -> None:
    with pytest.raises(SpecError, match=r"^.*test_spans.py:\d+: DualWrite: ") as info:
        spec(**changes).check()
    assert message in str(info.value) and "\n" not in str(info.value)


def _tables(conn: sa.Connection) -> None:
    conn.exec_driver_sql("CREATE TABLE runs (run_id INTEGER PRIMARY KEY, project TEXT)")
    conn.exec_driver_sql("CREATE TABLE outputs (run_id INTEGER, name TEXT, label TEXT, "
                         "PRIMARY KEY (run_id, name))")
    conn.exec_driver_sql("INSERT INTO runs VALUES (1, 'a'), (2, 'a'), (3, 'b')")
    # run 2 has no outputs; output (9, 'x') has no run
    conn.exec_driver_sql("INSERT INTO outputs VALUES (1, 'x', 'l'), (3, 'y', 'l'), "
                         "(9, 'x', 'orphan')")


def test_orphans_and_childless_parents_are_found_on_each_backend(any_engine: sa.Engine
                                                                  ) -> None:
    with any_engine.begin() as conn:
        _tables(conn)
    schema = from_database(any_engine)
    with any_engine.connect() as conn:
        found = spans.unreached(conn, spec(), schema)
    assert [(u.table, u.count, u.rows) for u in found] == [
        ("runs", 1, [{"run_id": 2, "project": "a"}]),
        ("outputs", 1, [{"run_id": 9, "name": "x", "label": "orphan"}])]
    lines = spans.describe_unreached(found, "new")
    assert lines[1] == "run_id=2: in runs, not in new (project='a')"
    assert lines[3] == "run_id=9, name='x': in outputs, not in new (label='orphan')"
    assert spans.differences(found)[1] == {
        "kind": "unreached", "table": "outputs", "key": [9, "x"], "field": None, "old": None,
        "new": {"run_id": 9, "name": "x", "label": "orphan"}}


def test_a_table_or_column_the_schema_lacks_is_named(sqlite_engine: sa.Engine) -> None:
    with sqlite_engine.begin() as conn:
        _tables(conn)
    schema = from_database(sqlite_engine)
    with pytest.raises(SpecError, match="spans names 'run', which is not a table"):
        spans.validate(spec(spans={"run": "run_id"}), schema, "", "s")
    with pytest.raises(SpecError, match="spans\\['outputs'\\] names 'id', which is not a "
                                        "column of 'outputs' \\(columns: run_id, name, label"):
        spans.validate(spec(spans={"outputs": "id"}), schema, "", "s")
