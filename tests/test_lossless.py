"""`mapping_is_lossless`: each narrowing pair named in one line, read from the schema alone."""

from __future__ import annotations

import pytest

from pytest_dualwrite import DualWrite
from pytest_dualwrite.dualwrite.lossless import judge, lossy_pairs
from pytest_dualwrite.errors import SpecError
from pytest_dualwrite.schema.from_sql import from_sql_text

OLD = """CREATE TABLE a (id BIGINT PRIMARY KEY, name TEXT, short VARCHAR(40), at TIMESTAMPTZ,
    amount NUMERIC(10,4), n BIGINT, note TEXT, role TEXT CHECK (role IN ('a', 'b', 'c')),
    kind TEXT, u UUID, flag BOOLEAN);"""
NEW = """CREATE TABLE b (id BIGINT PRIMARY KEY, name VARCHAR(100), short VARCHAR(100),
    at TIMESTAMP, amount NUMERIC(8,2), n INTEGER, note TEXT NOT NULL,
    role TEXT CHECK (role IN ('a', 'b')), kind TEXT CHECK (kind IN ('x', 'y')), u UUID,
    flag BOOLEAN NOT NULL DEFAULT false);"""
SCHEMA = from_sql_text(OLD + NEW, "postgres")
A, B = SCHEMA.table("a"), SCHEMA.table("b")


def lines(old: str, new: str | None = None) -> list[str]:
    return [p.line() for p in lossy_pairs(A, B, {old: new or old})]


@pytest.mark.parametrize(("column", "line"), [
    ("name", "a.name text -> b.name varchar(100): values over 100 characters cannot be kept"),
    ("at", "a.at timestamp with time zone -> b.at timestamp: values lose their time zone "
           "(stored as the session's local time)"),
    ("amount", "a.amount numeric(10,4) -> b.amount numeric(8,2): values with more than 2 "
               "decimal place(s) are rounded"),
    ("n", "a.n bigint -> b.n integer: values outside integer (-2147483648..2147483647) "
          "cannot be kept"),
    ("note", "a.note text -> b.note text: NULL values cannot be kept (NOT NULL without a "
             "default)"),
    ("role", "a.role text -> b.role text: 'c' no longer allowed by the CHECK"),
    ("kind", "a.kind text -> b.kind text: values other than 'x', 'y' are refused by the new "
             "CHECK"),
])
def test_each_narrowing_pair_is_one_line(column: str, line: str) -> None:
    assert lines(column) == [line]


@pytest.mark.parametrize("column", ["id", "short", "u", "flag"])
def test_pairs_that_keep_every_value_pass(column: str) -> None:
    assert lines(column) == []


def test_fewer_integer_digits_are_lossy() -> None:
    schema = from_sql_text("CREATE TABLE x (v NUMERIC(10,4)); CREATE TABLE y (v NUMERIC(6,4));",
                           "postgres")
    assert [p.line() for p in lossy_pairs(schema.table("x"), schema.table("y"), {"v": "v"})] == [
        "x.v numeric(10,4) -> y.v numeric(6,4): values of 3 or more integer digits cannot be "
        "kept"]


def test_shorter_varchar_is_lossy() -> None:
    assert lines("short", "name") == []
    assert [p.line() for p in lossy_pairs(B, A, {"name": "short"})] == [
        "b.name varchar(100) -> a.short varchar(40): values over 40 characters cannot be kept"]


def spec(**kwargs: object) -> DualWrite:
    return DualWrite(old="a", new="b", key="id", columns=["name", "at", "short"], expand=1,
                     **kwargs)  # type: ignore[arg-type]


def test_a_spec_accepts_a_pair_on_purpose_and_the_pass_says_so() -> None:
    verdict = judge(spec(accept_lossy={"name": "names are cut at 100 on purpose",
                                       "short": "old habit"}), SCHEMA)
    assert [p.old for p in verdict.lossy] == ["at"]
    assert verdict.notes == (
        "accepted: a.name text -> b.name varchar(100): values over 100 characters cannot be "
        "kept (names are cut at 100 on purpose)",
        "accept_lossy['short'] is not needed: that pair keeps every value")


def test_accepting_a_column_the_spec_does_not_map_is_one_line() -> None:
    with pytest.raises(SpecError, match=r"accept_lossy names 'nmae', which the spec does not "
                       r"map \(mapped: id, name, at, short\)$"):
        spec(accept_lossy={"nmae": "typo"}).check()
    with pytest.raises(SpecError, match=r"accept_lossy\['name'\] must give the reason as text"):
        spec(accept_lossy={"name": ""}).check()


def test_the_item_is_listed_only_for_table_to_table_specs() -> None:
    assert spec().items()[0] == "mapping_is_lossless"
    by_select = DualWrite(old="SELECT id FROM a", new="b", key="id", expand=1)
    assert "mapping_is_lossless" not in by_select.items()
