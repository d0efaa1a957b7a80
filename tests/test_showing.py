"""Differences a person can see (issue 18): look-alike strings by code point, JSON null
against SQL NULL named on both backends, and the structured records of the report."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from pytest_dualwrite.dualwrite.compare import FieldDiff, Projection, compare, describe
from pytest_dualwrite.dualwrite.long_values import show_pair
from pytest_dualwrite.dualwrite.showing import JSON_NULL, SQL_NULL, look_alike, pair
from pytest_dualwrite.dualwrite.story import differences_of
from pytest_dualwrite.schema.model import ColumnType

from .conftest import copy_example, need_postgres


def test_a_decomposed_accent_is_shown_by_its_code_points() -> None:
    line = show_pair("old", "caf\u00e9", "new", "cafe\u0301", repr)
    assert line == ("old 'caf\\u00e9' != new 'cafe\\u0301' (look alike; they part at "
                    "character 3: U+00E9 LATIN SMALL LETTER E WITH ACUTE vs U+0065 LATIN "
                    "SMALL LETTER E (equal after NFC normalization))")


def test_look_alikes_and_invisible_characters_are_named() -> None:
    assert pair("\u0430b", "ab")[2].endswith("U+0430 CYRILLIC SMALL LETTER A vs U+0061 "
                                             "LATIN SMALL LETTER A")
    assert pair("ab\u200b", "ab")[2].endswith("U+200B ZERO WIDTH SPACE vs the end")
    assert pair("a\u00a0", "a ")[:2] == ("'a\\u00a0'", "'a '")


def test_strings_that_read_differently_keep_their_plain_form() -> None:
    assert not look_alike("ab ", "ab") and not look_alike("A", "a")
    assert show_pair("old", "ab ", "new", "ab", repr) == "old 'ab ' != new 'ab'"


def _json_sides(conn: sa.Connection) -> tuple[Projection, Projection]:
    json_type = "JSONB" if conn.dialect.name == "postgresql" else "JSON"
    for name in ("dw_t_old", "dw_t_new"):
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} (id INTEGER PRIMARY KEY, "
                             f"meta {json_type}, label TEXT)")
    conn.exec_driver_sql("INSERT INTO dw_t_old VALUES (1, 'null', 'x'), (2, '{}', 'y'), "
                         "(3, NULL, 'z')")
    conn.exec_driver_sql("INSERT INTO dw_t_new VALUES (1, NULL, 'x'), (2, '{}', 'y'), "
                         "(3, 'null', 'z')")
    types = {"id": ColumnType("integer"), "meta": ColumnType("json", variant="jsonb"),
             "label": ColumnType("string")}
    return (Projection("SELECT id, meta, label FROM dw_t_old", "old", types),
            Projection("SELECT id, meta, label FROM dw_t_new", "new", types))


def test_json_null_against_sql_null_is_named_with_its_field(any_engine: sa.Engine) -> None:
    with any_engine.connect() as conn:
        old, new = _json_sides(conn)
        result = compare(conn, old, new, ["id"], ["meta", "label"])
        assert not result.equal
        assert result.changed == [FieldDiff((1,), "meta", JSON_NULL, SQL_NULL),
                                  FieldDiff((3,), "meta", SQL_NULL, JSON_NULL)]
        text = describe(result, "old", "new")
        assert "id=1: meta: old JSON null != new SQL NULL" in text
        assert "id=3: meta: old SQL NULL != new JSON null" in text
        records = differences_of(result, "new")
        assert [(r["kind"], r["key"], r["field"]) for r in records] == [
            ("changed", 1, "meta"), ("changed", 3, "meta")]
        assert (str(records[0]["old"]), str(records[0]["new"])) == ("JSON null", "SQL NULL")


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_refused_backfill_is_blamed_on_the_write_that_caused_it(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    if backend == "postgres":
        monkeypatch.setenv("DUALWRITE_POSTGRES_URL", need_postgres())
    copy_example(pytester, "write_blame")
    result = pytester.runpytest_subprocess(
        "--dualwrite", f"--dualwrite-backend={backend}", "-p", "no:cacheprovider",
        "-k", "dual_write")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "users_to_v2: a write left users_v2 wrong, and the backfill then failed on it" \
        in out
    assert "before the backfill batch, the writes had left users_v2 holding records users " \
        "does not have:" in out
    # The write's wrong copy: under a key users has (changed) or one it lacks (extra).
    assert re.search(r"^id=\d+: (email: users '.*' != users_v2 '.*'|extra in users_v2 .*)$",
                     out, re.M), out
    result.stdout.fnmatch_lines(["then the backfill was refused: *backfill raised "
                                 "IntegrityError: *"])
    assert "Traceback" not in out


def test_read_path_differences_are_records_of_the_report() -> None:
    from pytest_dualwrite.dualwrite.verify import _read_problems
    from pytest_dualwrite.schema.model import Column, Table

    table = Table("t", (Column("id", ColumnType("integer"), False),
                        Column("name", ColumnType("string"))), ("id",))
    fields = ["id", "name"]
    [(line, record)] = _read_problems("t", 1, {"id": 1, "name": "e\u0301"},
                                      {"id": 1, "name": "\u00e9"}, fields, table)
    assert record == {"kind": "read", "table": "read", "key": 1, "field": "name",
                      "old": "e\u0301", "new": "\u00e9"}
    assert line.startswith("key=1: t.name: old 'e\\u0301' != read '\\u00e9' (look alike")
    [(_, gone)] = _read_problems("t", 2, None, {"id": 2, "name": "x"}, fields, table)
    assert gone == {"kind": "read", "table": "read", "key": 2, "field": None, "old": None,
                    "new": {"id": 2, "name": "x"}}
