"""The in-database comparer: every kind of difference, on both backends, and fast enough."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from pytest_dualwrite.dualwrite.compare import (
    Comparison,
    Duplicate,
    FieldDiff,
    Projection,
    compare,
    compare_rows,
    describe,
    table_projection,
)
from pytest_dualwrite.errors import DualWriteAssertion, SpecError
from pytest_dualwrite.schema.model import Column, ColumnType, Table

T0 = datetime(2024, 1, 1, 10, 0, 0)
FIELDS = ["name", "note", "at", "amount"]

metadata = sa.MetaData()
OLD = sa.Table("old_t", metadata,
               sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
               sa.Column("name", sa.Text), sa.Column("note", sa.String(20)),
               sa.Column("at", sa.DateTime), sa.Column("amount", sa.Numeric(10, 2)))
# The new side: other names, wider types, and no primary key, so a backfill bug can
# write a key twice.
NEW = sa.Table("new_t", metadata,
               sa.Column("cid", sa.Integer), sa.Column("label", sa.Text),
               sa.Column("note", sa.String(40)), sa.Column("at", sa.DateTime),
               sa.Column("amount", sa.Numeric(12, 2)))
OLD_MODEL = Table("old_t", (
    Column("id", ColumnType("integer", length=4), False),
    Column("name", ColumnType("string")), Column("note", ColumnType("string", length=20)),
    Column("at", ColumnType("timestamp")),
    Column("amount", ColumnType("numeric", precision=10, scale=2))), ("id",))


def old_projection() -> Projection:
    return table_projection("old_t", ["id"], ["name", "note", "at", "amount"], table=OLD_MODEL)


def new_projection() -> Projection:
    return table_projection("new_t", ["cid"], {"name": "label", "note": "note", "at": "at",
                                               "amount": "amount"}, as_names=["id"])


def record(i: int, **changes: Any) -> dict[str, Any]:
    base = {"id": i, "name": f"name {i}", "note": None if i % 3 == 0 else f"n{i}",
            "at": T0 + timedelta(minutes=i), "amount": Decimal(i) / 4}
    return {**base, **changes}


def as_new(r: dict[str, Any]) -> dict[str, Any]:
    return {"cid": r["id"], "label": r["name"], "note": r["note"], "at": r["at"],
            "amount": r["amount"]}


@pytest.fixture
def conn(any_engine: sa.Engine) -> Iterator[sa.Connection]:
    metadata.create_all(any_engine)
    with any_engine.begin() as connection:
        yield connection


def fill(conn: sa.Connection, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
    if old:
        conn.execute(OLD.insert(), old)
    if new:
        conn.execute(NEW.insert(), [as_new(r) for r in new])


def run(conn: sa.Connection, **kwargs: Any) -> Comparison:
    return compare(conn, old_projection(), new_projection(), ["id"], FIELDS, **kwargs)


def stamp(value: Any) -> datetime:
    """A timestamp as fetched: a datetime on Postgres, the stored text on SQLite."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


# --- equal ----------------------------------------------------------------------------------

def test_equal_projections_are_equal(conn: sa.Connection) -> None:
    rows = [record(i) for i in range(1, 8)]
    fill(conn, rows, list(reversed(rows)))
    result = run(conn)
    assert result.equal and bool(result)
    assert (result.missing, result.extra, result.changed, result.duplicates) == ([], [], [], [])
    assert (result.counts.old_rows, result.counts.new_rows) == (7, 7)
    assert describe(result, "old_t", "new_t") == "old_t and new_t are equal (7 rows each)"
    result.check()  # does not raise


def test_null_equals_null_in_fields_and_keys(conn: sa.Connection) -> None:
    nulls = record(1, name=None, note=None, at=None, amount=None)
    fill(conn, [nulls], [nulls])
    assert run(conn).equal
    # a NULL key (a backfill that lost it) on both sides is one group too
    conn.execute(NEW.insert().values(cid=None, label="k"))
    old = Projection.from_sql("SELECT id, name, note, at, amount FROM old_t UNION ALL "
                              "SELECT NULL, 'k', NULL, NULL, NULL")
    assert compare(conn, old, new_projection(), ["id"], FIELDS).equal
    conn.execute(NEW.insert().values(cid=None, label="k"))
    assert compare(conn, old, new_projection(), ["id"], FIELDS).duplicates == [
        Duplicate((None,), 1, 2)]


def test_empty_sides_are_equal(conn: sa.Connection) -> None:
    result = run(conn)
    assert result.equal and result.counts.old_rows == 0


# --- each kind of difference ----------------------------------------------------------------

def test_missing_row(conn: sa.Connection) -> None:
    rows = [record(i) for i in range(1, 5)]
    fill(conn, rows, rows[:2] + rows[3:])
    result = run(conn)
    assert not result.equal
    assert result.missing == [{"id": 3, **{f: result.missing[0][f] for f in FIELDS}}]
    assert result.missing[0]["name"] == "name 3"
    assert (result.extra, result.changed) == ([], [])
    assert (result.counts.missing_keys, result.counts.missing_rows) == (1, 1)
    assert "id=3: missing from new_t (in old_t: name='name 3'" in describe(
        result, "old_t", "new_t")


def test_extra_row(conn: sa.Connection) -> None:
    rows = [record(i) for i in range(1, 4)]
    fill(conn, rows[:2], rows)
    result = run(conn)
    assert [r["id"] for r in result.extra] == [3]
    assert (result.missing, result.changed) == ([], [])
    assert (result.counts.extra_keys, result.counts.extra_rows) == (1, 1)
    assert "id=3: extra in new_t (not in old_t: name='name 3'" in describe(
        result, "old_t", "new_t")


CHANGES = {
    "value": ("name", "alice", "bob"),
    "null_vs_value": ("note", None, "x"),
    "empty_vs_null": ("note", "", None),
    "trailing_space": ("name", "alice", "alice "),
    "case": ("name", "Alice", "alice"),
    "microsecond": ("at", T0, T0 + timedelta(microseconds=1)),
    "cents": ("amount", Decimal("1.10"), Decimal("1.11")),
}


@pytest.mark.parametrize("case", list(CHANGES))
def test_changed_field(conn: sa.Connection, case: str) -> None:
    field, old_value, new_value = CHANGES[case]
    others = [record(i) for i in range(2, 5)]
    fill(conn, [record(1, **{field: old_value}), *others],
         [record(1, **{field: new_value}), *others])
    result = run(conn)
    assert not result.equal
    assert (result.missing, result.extra) == ([], [])
    assert len(result.changed) == 1
    diff = result.changed[0]
    assert (diff.key, diff.field) == ((1,), field)
    got = (diff.old_value, diff.new_value)
    if field == "at":
        got = (stamp(got[0]), stamp(got[1]))
    if field == "amount":
        got = (Decimal(str(got[0])).quantize(Decimal("0.01")),
               Decimal(str(got[1])).quantize(Decimal("0.01")))
    assert got == (old_value, new_value)
    assert result.counts.changed_keys == 1 and result.counts.differing_keys == 1


def test_duplicate_in_new(conn: sa.Connection) -> None:
    rows = [record(i) for i in range(1, 4)]
    fill(conn, rows, [*rows, rows[1]])
    result = run(conn)
    assert not result.equal
    assert result.duplicates == [Duplicate((2,), 1, 2)]
    assert [r["id"] for r in result.extra] == [2]
    assert result.changed == []
    assert (result.counts.duplicate_keys_new, result.counts.extra_rows) == (1, 1)
    assert "id=2: duplicate key: 2 rows in new_t" in describe(result, "old_t", "new_t")


def test_duplicate_with_a_changed_copy_pairs_the_closest_row(conn: sa.Connection) -> None:
    fill(conn, [record(1)], [record(1, name="other", note="x"), record(1, note="changed")])
    result = run(conn)
    assert result.changed == [FieldDiff((1,), "note", "n1", "changed")]
    assert [r["name"] for r in result.extra] == ["other"]


def test_describe_lists_key_field_old_and_new(conn: sa.Connection) -> None:
    fill(conn, [record(1, name="a"), record(2)], [record(1, name="a "), record(3)])
    text = describe(run(conn), "collections", "project_collections")
    assert text.splitlines()[0] == (
        "collections: 2 rows, project_collections: 2 rows; 3 keys differ (1 changed, "
        "1 missing from project_collections, 1 extra in project_collections)")
    assert "id=1: name: collections 'a' != project_collections 'a '" in text
    assert "id=2: missing from project_collections" in text
    assert "id=3: extra in project_collections" in text


def test_check_raises_an_assertion_with_the_differences(conn: sa.Connection) -> None:
    fill(conn, [record(1)], [])
    with pytest.raises(DualWriteAssertion) as info:
        run(conn).check("old_t", "new_t")
    assert info.value.summary == "old_t and new_t differ"
    assert info.value.sections[0][0] == "differences"


def test_only_limit_keys_are_fetched(conn: sa.Connection) -> None:
    rows = [record(i) for i in range(1, 31)]
    fill(conn, rows, [record(i, name="x") for i in range(1, 31)])
    result = run(conn, limit=5)
    assert result.counts.differing_keys == 30 and result.truncated
    assert [d.key for d in result.changed] == [(i,) for i in range(1, 6)]
    assert describe(result).endswith("... and 25 more keys")


def test_composite_keys(conn: sa.Connection) -> None:
    fill(conn, [record(1), record(2)], [record(1), record(2, name="y")])
    key = ["id", "name"]
    result = compare(conn, old_projection(), new_projection(), key, ["note"])
    assert {tuple(r[k] for k in key) for r in result.missing} == {(2, "name 2")}
    assert {tuple(r[k] for k in key) for r in result.extra} == {(2, "y")}
    assert "id=2, name='name 2': missing from new" in describe(result)


# --- projections ----------------------------------------------------------------------------

def test_user_select_text(conn: sa.Connection) -> None:
    fill(conn, [record(1, note="10:30")], [record(1, note="10:30")])
    old = Projection.from_sql("SELECT id, name, note, at, amount FROM old_t "
                              "WHERE note = '10:30';")
    assert compare(conn, old, new_projection(), ["id"], FIELDS).equal


def test_identifiers_are_quoted(conn: sa.Connection) -> None:
    odd = sa.Table("order", sa.MetaData(), sa.Column("select", sa.Integer),
                   sa.Column("Group", sa.Text))
    odd.create(conn)
    conn.execute(odd.insert(), [{"select": 1, "Group": "a"}])
    p = table_projection("order", ["select"], {"grp": "Group"}, as_names=["id"])
    assert compare(conn, p, p, ["id"], ["grp"]).equal
    with pytest.raises(SpecError, match="1 key columns"):
        table_projection("order", ["select"], as_names=["a", "b"])


def test_different_column_types_compare_through_a_common_type(conn: sa.Connection) -> None:
    """A timestamp moved into a text column: equal when the text is what the database
    itself renders for the timestamp, different otherwise."""
    texts = sa.Table("text_t", sa.MetaData(), sa.Column("id", sa.Integer),
                     sa.Column("at", sa.Text))
    texts.create(conn)
    fill(conn, [record(1), record(2)], [])
    conn.execute(texts.insert().from_select(
        ["id", "at"], sa.select(OLD.c.id, sa.cast(OLD.c.at, sa.Text))))
    old = table_projection("old_t", ["id"], ["at"], table=OLD_MODEL)
    new = table_projection("text_t", ["id"], ["at"], table=Table(
        "text_t", (Column("id", ColumnType("integer")), Column("at", ColumnType("string")))))
    assert compare(conn, old, new, ["id"], ["at"]).equal
    conn.execute(texts.update().where(texts.c.id == 2).values(at="2024-01-01T10:02:00"))
    result = compare(conn, old, new, ["id"], ["at"])
    assert [(d.key, d.field, d.new_value) for d in result.changed] == [
        ((2,), "at", "2024-01-01T10:02:00")]


@pytest.mark.parametrize("kinds", [("json", "jsonb"), ("json", "json")])
def test_postgres_json_compares_as_jsonb(pg_engine: sa.Engine, kinds: tuple[str, str]) -> None:
    """`json` has no equality operator: both sides are grouped as jsonb."""
    with pg_engine.begin() as conn:
        _json_tables_compare_equal(conn, kinds)


def _json_tables_compare_equal(conn: sa.Connection, kinds: tuple[str, str]) -> None:
    conn.exec_driver_sql(f"CREATE TABLE j1 (id int, doc {kinds[0]})")
    conn.exec_driver_sql(f"CREATE TABLE j2 (id int, doc {kinds[1]})")
    conn.exec_driver_sql("""INSERT INTO j1 VALUES (1, '{"a": 1, "b": [1, 2]}')""")
    conn.exec_driver_sql("""INSERT INTO j2 VALUES (1, '{"b": [1,2], "a": 1}')""")
    p1, p2 = (table_projection(t, ["id"], ["doc"]) for t in ("j1", "j2"))
    assert compare(conn, p1, p2, ["id"], ["doc"]).equal


def test_reserved_and_empty_names_fail_with_one_line(conn: sa.Connection) -> None:
    with pytest.raises(SpecError, match="key names no column"):
        compare(conn, old_projection(), new_projection(), [], FIELDS)
    with pytest.raises(SpecError, match="reserved"):
        compare(conn, old_projection(), new_projection(), ["id"], ["dw_old_n"])


# --- rows that are not in SQL ----------------------------------------------------------------

def test_compare_rows_equal_and_different(conn: sa.Connection) -> None:
    rows = [record(i) for i in range(1, 6)]
    fill(conn, rows, [])
    documents = [{k: v for k, v in r.items() if v is not None} for r in rows]  # nulls omitted
    result = compare_rows(conn, old_projection(), documents, ["id"], FIELDS, label="docs")
    assert result.equal, describe(result)
    documents[1]["name"] = "changed"
    del documents[3]
    documents.append({**rows[0]})
    result = compare_rows(conn, old_projection(), documents, ["id"], FIELDS, label="docs")
    assert [(d.key, d.field, d.new_value) for d in result.changed] == [
        ((2,), "name", "changed")]
    assert [r["id"] for r in result.missing] == [4]
    assert result.duplicates == [Duplicate((1,), 1, 2)]
    # the temporary table is gone
    assert not [t for t in sa.inspect(conn).get_table_names() if t.startswith("dw_rows")]


def test_compare_rows_with_no_rows(conn: sa.Connection) -> None:
    fill(conn, [record(1)], [])
    result = compare_rows(conn, old_projection(), [], ["id"], FIELDS)
    assert [r["id"] for r in result.missing] == [1]


# --- size -----------------------------------------------------------------------------------

def test_100k_rows_compare_exactly_on_sqlite(sqlite_engine: sa.Engine) -> None:
    """At size the answer stays exact; its speed is benchmarks/compare_100k.py's business."""
    metadata.create_all(sqlite_engine)
    n = 100_000
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
            "INSERT INTO old_t SELECT i, 'name ' || i, CASE WHEN i % 3 = 0 THEN NULL "
            "ELSE 'n' || i END, '2024-01-01 10:00:00.000000', i / 4.0 FROM s", (n,))
        conn.exec_driver_sql("INSERT INTO new_t SELECT * FROM old_t")
        assert run(conn).equal
        conn.exec_driver_sql("UPDATE new_t SET label = 'x' WHERE cid = 77777")
        result = run(conn)
    assert result.counts.old_rows == n
    assert result.changed == [FieldDiff((77777,), "name", "name 77777", "x")]


# --- the prepared comparison on Postgres -----------------------------------------------------

def test_a_prepared_comparison_answers_as_the_plain_one_across_rollbacks(
        pg_engine: sa.Engine) -> None:
    """The plugin's Postgres engines turn psycopg's auto-prepare off, and compare() PREPAREs
    its query once per session: it must survive each example's rollback and give the
    answers the unprepared query gives, equal or not."""
    metadata.create_all(pg_engine)
    engine = sa.create_engine(pg_engine.url, connect_args={"prepare_threshold": None})
    plans: dict[Any, Any] = {}
    old, new = old_projection(), new_projection()
    with engine.connect() as connection:
        answers = []
        for extra in (False, True, False):  # equal, differing, equal again: three examples
            with connection.begin() as transaction:
                rows = [record(i) for i in range(1, 5)]
                fill(connection, rows, rows + ([record(9)] if extra else []))
                prepared = compare(connection, old, new, ["id"], FIELDS, plans=plans)
                plain = compare(connection, old, new, ["id"], FIELDS)
                assert prepared == plain
                answers.append(prepared)
                transaction.rollback()
        names = connection.exec_driver_sql(
            "SELECT name FROM pg_prepared_statements WHERE name LIKE 'dw_compare_%'").scalars()
        assert len(list(names)) == 1  # prepared once, used three times
    engine.dispose()
    assert [a.equal for a in answers] == [True, False, True]
    assert [r["id"] for r in answers[1].extra] == [9]
