"""`verify`: a spec's comparison on a database the plugin did not create, read-only.

Each test builds `items` (old) and `items_v2` (new) in a database, plants known
differences and asserts exactly those come back, through `dualwrite_verify` and through the
command (exit codes, the printed differences, the JSON report), on SQLite and Postgres.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa

from pytest_dualwrite import DualWrite, DualWriteAssertion, VerifyResult, dualwrite_verify
from pytest_dualwrite.live.cli import progress_line
from pytest_dualwrite.live.run import Progress
from pytest_dualwrite.report import REPORT_SCHEMA

from .conftest import fresh_postgres_database

SPECS = """
from pytest_dualwrite import DualWrite

items = DualWrite(old="items", new="items_v2", key="id",
                  columns={"name": "title", "price": "price"}, expand=1)
by_select = DualWrite(old="SELECT id, name, price FROM items",
                      new="SELECT id, title, price FROM items_v2", key="id",
                      columns={"name": "title", "price": "price"}, expand=1)
to_python = DualWrite(old="items", new=lambda conn: [], key="id", columns=["name"], expand=1)
no_table = DualWrite(old="items", new="items_v3", key="id", columns=["name"], expand=1)


def test_is_never_run():
    raise SystemExit("verify ran a test")
"""
PASSWORD = "Sh0uldNotLeak"


def items_spec() -> DualWrite:
    return DualWrite(
        old="items",
        new="items_v2",
        key="id",
        columns={"name": "title", "price": "price"},
        expand=1,
        name="items",
    )


def build(engine: sa.Engine, rows: int) -> None:
    """`items` and `items_v2` with the same `rows` rows (new renames name to title; its
    key is indexed, not unique, so a duplicate can be planted)."""
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE items (id integer PRIMARY KEY, name text, price numeric(10, 2))"
        )
        conn.exec_driver_sql("CREATE TABLE items_v2 (id integer, title text, price numeric(10, 2))")
        conn.exec_driver_sql("CREATE INDEX items_v2_id ON items_v2 (id)")
        conn.execute(
            sa.text("INSERT INTO items VALUES (:id, :name, :price)"),
            [
                {"id": i, "name": None if i % 10 == 0 else f"item {i}", "price": i % 1000}
                for i in range(1, rows + 1)
            ],
        )
        conn.exec_driver_sql("INSERT INTO items_v2 SELECT id, name, price FROM items")
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE items")
            conn.exec_driver_sql("ANALYZE items_v2")


def plant(engine: sa.Engine) -> None:
    """2 changed values (one to NULL), 1 missing row, 1 extra row, 1 duplicate key."""
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE items_v2 SET title = 'renamed' WHERE id = 7")
        conn.exec_driver_sql("UPDATE items_v2 SET title = NULL WHERE id = 123")
        conn.exec_driver_sql("DELETE FROM items_v2 WHERE id = 42")
        conn.exec_driver_sql("INSERT INTO items_v2 VALUES (100000, 'new only', 1)")
        conn.exec_driver_sql("INSERT INTO items_v2 SELECT * FROM items_v2 WHERE id = 150")


def found(result: VerifyResult) -> set[tuple[str, object]]:
    """The differences as (kind, key) pairs."""
    return {(d["kind"], d["key"]) for d in result.differences()}


PLANTED = {
    ("changed", 7),
    ("changed", 123),
    ("missing", 42),
    ("extra", 100000),
    ("extra", 150),
    ("duplicate", 150),
}


def postgres_database() -> AbstractContextManager[sa.Engine]:
    """A fresh Postgres database (named dualwrite_verify_...), dropped afterwards."""
    return fresh_postgres_database("dualwrite_verify")


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[sa.Engine, str]]:
    """(engine, URL as the command gets it) of a fresh database."""
    if request.param == "sqlite":
        path = tmp_path / "live.db"
        engine = sa.create_engine(f"sqlite:///{path}")
        yield engine, f"sqlite:///{path}"
        engine.dispose()
        return
    with postgres_database() as engine:
        yield engine, engine.url.render_as_string(hide_password=False)


def cli(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "tests").mkdir(exist_ok=True)
    (tmp_path / "tests" / "test_specs.py").write_text(SPECS)
    return subprocess.run(
        [sys.executable, "-m", "pytest_dualwrite", "verify", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DUALWRITE_PROGRESS": "0", **(env or {})},
    )


# --- the answer -------------------------------------------------------------------------


def test_equal_sides_are_equal(db: tuple[sa.Engine, str]) -> None:
    engine, _ = db
    build(engine, 500)
    result = dualwrite_verify(engine, items_spec(), chunk_rows=64)
    assert result.equal and result.comparison.counts.old_rows == 500
    assert result.chunks > 5 and result.rows == 1000
    result.check()


def test_finds_exactly_the_planted_differences(db: tuple[sa.Engine, str]) -> None:
    engine, _ = db
    build(engine, 500)
    plant(engine)
    result = dualwrite_verify(engine, items_spec(), chunk_rows=64)
    assert not result.equal
    assert found(result) == PLANTED
    counts = result.comparison.counts
    assert (counts.changed_keys, counts.missing_keys, counts.extra_keys) == (2, 1, 2)
    text = result.describe()
    assert "id=7: name: items 'item 7' != items_v2.title 'renamed'" in text
    assert "id=123: name: items 'item 123' != items_v2.title None" in text
    assert "id=150: duplicate key: 2 rows in items_v2" in text
    assert result.chunks_differing <= 5  # only ranges holding a planted key
    with pytest.raises(DualWriteAssertion, match="items and items_v2 differ"):
        result.check()


def test_a_null_key_in_new_is_found(db: tuple[sa.Engine, str]) -> None:
    engine, _ = db
    build(engine, 100)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO items_v2 VALUES (NULL, 'keyless', 1)")
    result = dualwrite_verify(engine, items_spec(), chunk_rows=16)
    assert found(result) == {("extra", None)}


def test_max_differences_caps_what_is_shown_not_what_is_counted(db: tuple[sa.Engine, str]) -> None:
    engine, _ = db
    build(engine, 300)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE items_v2 SET price = price + 1 WHERE mod(id, 20) = 0")
    result = dualwrite_verify(engine, items_spec(), chunk_rows=32, max_differences=4)
    assert result.comparison.counts.changed_keys == 15
    assert len({d.key for d in result.comparison.changed}) == 4
    assert "... and 11 more keys" in result.describe()


def test_select_sides_and_a_composite_key_walk_the_key_order(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE a (k1 int, k2 text, v text, PRIMARY KEY (k1, k2))")
        conn.exec_driver_sql("CREATE TABLE b (k1 int, k2 text, v text)")
        conn.execute(
            sa.text("INSERT INTO a VALUES (:k1, :k2, :v)"),
            [{"k1": i // 3, "k2": f"x{i % 3}", "v": str(i)} for i in range(300)],
        )
        conn.exec_driver_sql("INSERT INTO b SELECT * FROM a")
        conn.exec_driver_sql("UPDATE b SET v = 'changed' WHERE k1 = 50 AND k2 = 'x1'")
    spec = DualWrite(
        old="SELECT k1, k2, v FROM a",
        new="SELECT k1, k2, v FROM b",
        key=["k1", "k2"],
        columns=["v"],
        expand=1,
    )
    result = dualwrite_verify(engine, spec, chunk_rows=25)
    assert result.chunks >= 12
    assert [(d.key, d.field, d.new_value) for d in result.comparison.changed] == [
        ((50, "x1"), "v", "changed")
    ]


# --- the command ---------------------------------------------------------------------------


def test_command_exit_codes_output_and_report(db: tuple[sa.Engine, str], tmp_path: Path) -> None:
    engine, url = db
    build(engine, 400)
    equal = cli(tmp_path, "--url", url, "tests/test_specs.py::items", "--chunk-rows", "50")
    assert equal.returncode == 0, equal.stderr
    assert "items: items and items_v2 are equal (400 rows each)" in equal.stdout
    assert "verify ran a test" not in equal.stdout + equal.stderr
    plant(engine)
    report = tmp_path / "verify.json"
    differ = cli(
        tmp_path,
        "--url",
        url,
        "tests/test_specs.py::items",
        "--chunk-rows",
        "50",
        "--report",
        str(report),
    )
    assert differ.returncode == 1, differ.stderr
    assert differ.stdout.startswith("items: items and items_v2 differ\n\n--- differences ---\n")
    assert "id=42: missing from items_v2 (in items: name='item 42', price=42" in differ.stdout
    document = json.loads(report.read_text())
    jsonschema.validate(document, REPORT_SCHEMA)
    (item,) = document["items"]
    assert (item["nodeid"], item["check"], item["outcome"]) == (
        "tests/test_specs.py::items",
        "verify",
        "failed",
    )
    assert {(d["kind"], d["key"]) for d in item["counterexample"]["differences"]} == PLANTED
    assert item["figures"]["mismatches"] == 5
    if engine.dialect.name == "postgresql":
        assert document["versions"]["servers"]["postgres"].split(".")[0].isdigit()
    by_select = cli(tmp_path, "--url", url, "tests/test_specs.py::by_select", "--chunk-rows", "50")
    assert by_select.returncode == 1 and "id=7: name:" in by_select.stdout


def test_sample_reads_a_fraction_of_the_ranges(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 's.db'}")
    build(engine, 1000)
    whole = dualwrite_verify(engine, items_spec(), chunk_rows=10)
    half = dualwrite_verify(engine, items_spec(), chunk_rows=10, sample=0.3, seed=4)
    assert whole.chunks_read == whole.chunks == half.chunks
    assert 0.15 * whole.chunks < half.chunks_read < 0.45 * whole.chunks
    assert half.chunks_skipped == whole.chunks - half.chunks_read
    assert half.notes and "sampled" in half.notes[0]


# --- resuming ------------------------------------------------------------------------------


class Killed(BaseException):
    """Stands for a kill: raised from the progress callback, before the range is saved."""


def test_resume_after_a_kill_finishes_with_the_same_answer(
    db: tuple[sa.Engine, str], tmp_path: Path
) -> None:
    engine, _ = db
    build(engine, 600)
    plant(engine)
    whole = dualwrite_verify(engine, items_spec(), chunk_rows=40)
    state = tmp_path / "resume.json"

    def kill_at_7(progress: Progress) -> None:
        if progress.chunks == 7:
            raise Killed

    with pytest.raises(Killed):
        dualwrite_verify(engine, items_spec(), chunk_rows=40, resume=state, on_chunk=kill_at_7)
    assert json.loads(state.read_text())["chunks"] == 6  # the 7th range was lost with it
    resumed = dualwrite_verify(engine, items_spec(), chunk_rows=40, resume=state)
    assert resumed.chunks == whole.chunks
    assert resumed.chunks_read == whole.chunks - 6  # the lost range, read again, and the rest
    assert found(resumed) == found(whole) == PLANTED
    assert resumed.describe() == whole.describe()
    again = dualwrite_verify(engine, items_spec(), chunk_rows=40, resume=state)
    assert again.chunks_read == 0 and found(again) == PLANTED  # finished: nothing re-read


def test_a_resume_file_of_another_run_is_refused(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'r.db'}")
    build(engine, 50)
    state = tmp_path / "resume.json"
    dualwrite_verify(engine, items_spec(), chunk_rows=10, resume=state)
    with pytest.raises(Exception, match=r"--resume .*written by another run \(its chunk_rows"):
        dualwrite_verify(engine, items_spec(), chunk_rows=20, resume=state)


# --- read-only -----------------------------------------------------------------------------


def test_every_statement_reads(db: tuple[sa.Engine, str]) -> None:
    engine, _ = db
    build(engine, 300)
    plant(engine)
    seen: list[str] = []
    sa.event.listen(
        engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *rest: seen.append(statement),
    )
    dualwrite_verify(engine, items_spec(), chunk_rows=50)
    heads = {s.split(None, 1)[0].upper() for s in seen}
    allowed = {"SELECT", "WITH", "SET", "PRAGMA", "SHOW"}
    assert heads <= allowed, heads - allowed
    if engine.dialect.name == "postgresql":
        assert sum("READ ONLY" in s for s in seen) >= 5
        assert sum("statement_timeout" in s for s in seen) >= 5


def test_runs_as_a_role_that_may_only_select_the_two_tables(tmp_path: Path) -> None:
    with postgres_database() as engine:
        as_a_reader(engine, tmp_path)


def as_a_reader(engine: sa.Engine, tmp_path: Path) -> None:
    build(engine, 400)
    plant(engine)
    role = f"dualwrite_reader_{uuid.uuid4().hex[:8]}"
    database = engine.url.database
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
        conn.exec_driver_sql(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
        conn.exec_driver_sql(f"GRANT SELECT ON items, items_v2 TO {role}")
    try:
        url = engine.url.set(username=role, password=PASSWORD).render_as_string(hide_password=False)
        result = cli(tmp_path, "--url", url, "tests/test_specs.py::items", "--chunk-rows", "50")
        assert result.returncode == 1, result.stderr
        assert "id=150: duplicate key: 2 rows in items_v2" in result.stdout
        assert PASSWORD not in result.stdout + result.stderr
    finally:
        engine.dispose()
        with engine.begin() as conn:
            conn.exec_driver_sql(f"REVOKE ALL ON items, items_v2 FROM {role}")
            conn.exec_driver_sql(f'REVOKE ALL ON DATABASE "{database}" FROM {role}')
        engine.dispose()
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP ROLE {role}")


# --- bad input: one line each, no password --------------------------------------------------


def one_line(result: subprocess.CompletedProcess[str], pattern: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and re.fullmatch(pattern, lines[0]), result.stderr
    assert "Traceback" not in result.stderr and PASSWORD not in result.stderr + result.stdout


def test_unreachable_database(tmp_path: Path) -> None:
    url = f"postgresql://someone:{PASSWORD}@127.0.0.1:1/nowhere"
    one_line(
        cli(tmp_path, "--url", url, "tests/test_specs.py::items"),
        r"pytest-dualwrite: cannot connect to postgresql\+psycopg://someone:\*\*\*@"
        r"127\.0\.0\.1:1/nowhere: .*refused.*",
    )


def test_unknown_spec_and_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    build(sa.create_engine(url), 5)
    one_line(
        cli(tmp_path, "--url", url, "tests/test_specs.py::nope"),
        r"pytest-dualwrite: tests/test_specs\.py: no DualWrite spec named 'nope' "
        r"\(specs there: by_select, items, no_table, to_python\)",
    )
    one_line(
        cli(tmp_path, "--url", url, "tests/test_gone.py::items"),
        r"pytest-dualwrite: tests/test_gone\.py: no such file",
    )


def test_a_callable_new_is_not_verifiable_in_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    build(sa.create_engine(url), 5)
    one_line(
        cli(tmp_path, "--url", url, "tests/test_specs.py::to_python"),
        r"pytest-dualwrite: .*test_specs\.py:\d+: to_python: new=test_specs\.<lambda> is "
        r"a callable: its rows come from Python, .*cannot be compared inside the "
        r"database.*",
    )


def test_missing_table(db: tuple[sa.Engine, str], tmp_path: Path) -> None:
    engine, url = db
    build(engine, 5)
    if engine.dialect.name == "postgresql":
        url = sa.make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)
    one_line(
        cli(tmp_path, "--url", url, "tests/test_specs.py::no_table"),
        r"pytest-dualwrite: .*test_specs\.py:\d+: no_table: new='items_v3': no such "
        r"table in \S+",
    )


def test_mysql_has_no_backend(tmp_path: Path) -> None:
    one_line(
        cli(tmp_path, "--url", f"mysql://u:{PASSWORD}@h/db", "tests/test_specs.py::items"),
        r"pytest-dualwrite: --url 'mysql://u:\*\*\*@h/db': verify runs on postgresql:// "
        r"and sqlite:// databases \(mysql has no backend in this project\)",
    )


# --- a million rows (opt-in: DUALWRITE_VERIFY_MILLION=1; 10^7 is in the benchmark) ----------

MILLION = "DUALWRITE_VERIFY_MILLION"


@pytest.mark.skipif(not os.environ.get(MILLION), reason=f"opt-in: set {MILLION}=1 (about 1 min)")
def test_a_million_rows_with_16_planted_differences(tmp_path: Path) -> None:
    rows = 1_000_000
    with postgres_database() as engine:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE items (id bigint PRIMARY KEY, name text, price numeric(10, 2))"
            )
            conn.exec_driver_sql(
                f"INSERT INTO items SELECT g, CASE WHEN mod(g, 9) = 0 THEN NULL ELSE "
                f"'item ' || g END, mod(g, 1000) FROM generate_series(1, {rows}) g"
            )
            conn.exec_driver_sql(
                "CREATE TABLE items_v2 (id bigint, title text, price numeric(10, 2))"
            )
            conn.exec_driver_sql("INSERT INTO items_v2 SELECT * FROM items")
            conn.exec_driver_sql("CREATE INDEX ON items_v2 (id)")
            keys = [62_500 * i + 3 for i in range(1, 17)]
            changed, missing, dup = keys[:10], keys[10:13], keys[13]
            for i, key in enumerate(changed):
                change = "title = coalesce(title, '') || '!'" if i % 2 else "price = price + 1"
                conn.exec_driver_sql(f"UPDATE items_v2 SET {change} WHERE id = {key}")
            conn.exec_driver_sql(f"DELETE FROM items_v2 WHERE id IN {tuple(missing)}")
            conn.exec_driver_sql(f"INSERT INTO items_v2 VALUES (0, 'a', 1), ({rows + 5}, 'b', 2)")
            conn.exec_driver_sql(f"INSERT INTO items_v2 SELECT * FROM items_v2 WHERE id = {dup}")
            conn.exec_driver_sql("ANALYZE items")
            conn.exec_driver_sql("ANALYZE items_v2")
        state = tmp_path / "resume.json"

        def kill_at_5(progress: Progress) -> None:
            if progress.chunks == 5:
                raise Killed

        with pytest.raises(Killed):
            dualwrite_verify(engine, items_spec(), resume=state, on_chunk=kill_at_5)
        result = dualwrite_verify(engine, items_spec(), resume=state)
    assert found(result) == (
        {("changed", k) for k in changed}
        | {("missing", k) for k in missing}
        | {("extra", 0), ("extra", rows + 5), ("extra", dup), ("duplicate", dup)}
    )
    assert result.comparison.counts.old_rows == rows
    assert result.chunks_read == result.chunks - 4


def test_progress_line_and_resume_through_the_command(tmp_path: Path) -> None:
    line = progress_line(Progress(3, 10, 300_000, 1_000_000, 3.0))
    assert line == "verify: 3/~10 ranges, 300,000 rows, 100,000 rows/s, ETA 0:00:07"
    url = f"sqlite:///{tmp_path / 'p.db'}"
    build(sa.create_engine(url), 300)
    state = str(tmp_path / "state.json")
    args = ("--url", url, "tests/test_specs.py::items", "--chunk-rows", "20", "--resume", state)
    first = cli(tmp_path, *args, env={"DUALWRITE_PROGRESS": "1"})
    assert first.returncode == 0, first.stderr
    assert re.search(
        r"verify: 1/~\d+ ranges, 40 rows, [\d,]+ rows/s, ETA \d:\d\d:\d\d", first.stderr
    ), first.stderr
    again = cli(tmp_path, *args)
    assert again.returncode == 0 and "(0 read by this run, 0 differing)" in again.stdout


def test_a_column_without_an_extended_hash_is_hashed_as_text() -> None:
    """`bit` has equality but no extended hash function: hash_record_extended refuses it."""
    with postgres_database() as engine:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE a (id int PRIMARY KEY, flags bit(3))")
            conn.exec_driver_sql("CREATE TABLE b (id int PRIMARY KEY, flags bit(3))")
            conn.exec_driver_sql("INSERT INTO a SELECT g, B'101' FROM generate_series(1, 300) g")
            conn.exec_driver_sql("INSERT INTO b SELECT * FROM a")
            conn.exec_driver_sql("UPDATE b SET flags = B'111' WHERE id = 77")
        spec = DualWrite(old="a", new="b", key="id", columns=["flags"], expand=1)
        result = dualwrite_verify(engine, spec, chunk_rows=50)
    assert [(d.key, d.field) for d in result.comparison.changed] == [((77,), "flags")]


def test_the_console_script_runs_verify() -> None:
    script = Path(sys.executable).parent / "pytest-dualwrite"
    result = subprocess.run([str(script), "verify", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert all(
        flag in result.stdout
        for flag in ("--url", "--resume", "--sample", "--report", "--max-differences")
    )
