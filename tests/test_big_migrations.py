"""A file too large to parse (issue 13, item 8): cut in linear time by a scanner of quotes
and comments, run as written on its own dialect, refused in one line where it would need
transpiling. The limit is lowered here so the files stay small."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from pytest_dualwrite.errors import MigrationError
from pytest_dualwrite.migrations import splitter
from pytest_dualwrite.migrations.dialects import TranspileContext, for_dialect, split

from .test_dialects import as_runner, rows, run, source

TEXT = """-- seed data
BEGIN;
CREATE TABLE s (id INT PRIMARY KEY, t TEXT);
INSERT INTO s VALUES (1, 'a;b'), (2, E'it\\'s; fine');
/* a comment; with a semicolon */ INSERT INTO s VALUES (3, $$x;y$$);
INSERT INTO s VALUES (4, $tag$ $$; $tag$), (5, 'it''s;');
COMMIT;
"""


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(splitter, "MAX_PARSED_BYTES", 100)


def test_a_file_too_large_to_parse_is_cut_at_its_own_semicolons(small_limit: None) -> None:
    statements = split(source(TEXT, "001_seed.sql", first_line=10), "postgres")
    assert [(s.line, s.sql[:22]) for s in statements] == [
        (11, "BEGIN"), (12, "CREATE TABLE s (id INT"), (13, "INSERT INTO s VALUES ("),
        (14, "INSERT INTO s VALUES ("), (15, "INSERT INTO s VALUES ("), (16, "COMMIT")]
    assert all(s.unreadable and "too large to parse" in s.unreadable
               for s in statements[1:-1])


def test_it_runs_as_written_on_postgres_with_one_note(small_limit: None,
                                                      pg_engine: sa.Engine) -> None:
    context = TranspileContext()
    statements = for_dialect(split(source(TEXT, "001_seed.sql"), "postgres"), "postgres",
                             "postgres", context=context)
    run(as_runner(pg_engine), statements)
    assert rows(pg_engine, "SELECT t FROM s ORDER BY id") == [
        ("a;b",), ("it's; fine",), ("x;y",), (" $$; ",), ("it's;",)]
    assert [n.action for n in context.notes] == ["skipped", "unread", "skipped"]
    assert "the file is too large to parse" in str(context.notes[1])


def test_it_is_refused_in_one_line_where_it_needs_transpiling(small_limit: None) -> None:
    with pytest.raises(MigrationError) as info:
        for_dialect(split(source(TEXT, "001_seed.sql"), "postgres"), "postgres", "sqlite")
    message = str(info.value)
    assert message.startswith("cannot run on sqlite: migrations/001_seed.sql:3: cannot parse "
                              "statement: CREATE TABLE s")
    assert "too large to parse" in message and "\n" not in message
    assert message.endswith("add 001_seed.sqlite.sql as a stand-in")


def test_splitting_takes_time_in_proportion_to_size() -> None:
    """Ten times the statements, at most about ten times the time (it was quadratic: each
    statement's line was counted from the start of the file)."""
    def cost(count: int) -> float:
        text = "".join(f"INSERT INTO s VALUES ({i}, '{'x' * 300}');\n" for i in range(count))
        start = time.process_time()
        split(source(text), "postgres")
        return time.process_time() - start

    cost(50)  # warm up
    small, big = min(cost(200) for _ in range(3)), min(cost(2000) for _ in range(2))
    assert big < small * 10 * 2.5, (small, big)
