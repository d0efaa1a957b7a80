"""Drift as users meet it: `pytest --dualwrite` items and `python -m pytest_dualwrite drift`.

test_schema_mismatch.py proves the comparer on its own; this file proves the paths a user
takes to it, on a copy of tests/examples/drift (a seed-004 style app: users, tasks,
conversations, messages). A planted mismatch must fail the item or the command with the
table that names it, on every path that can see it (static fold, Postgres and SQLite
reflection), and nothing else: a drift check that cries wolf gets switched off.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from pytest_dualwrite.migrations.runner import VERSION_TABLE

from .conftest import need_postgres

SCENARIO = Path(__file__).parent / "examples" / "drift"
ITEM = "migrations::models_match_migrations[{}]"
PATHS = ("static", "postgres", "sqlite")

SQLITE_BUG = (
    "schema/from_database.py on SQLite takes foreign keys and unique constraints from "
    "SQLAlchemy's Inspector, which reads ON DELETE only from table-level FOREIGN KEY "
    "clauses and misses an inline UNIQUE after a parenthesized type: the migrations' "
    "`user_id UUID REFERENCES users (id) ON DELETE CASCADE` reflects as ON DELETE NO ACTION "
    "and `email VARCHAR(255) NOT NULL UNIQUE` as no unique, so the sqlite path reports 5 "
    "false differences on the clean scenario (and cannot see a planted ON DELETE or unique "
    "difference). PRAGMA foreign_key_list has the actions; the folded sqlite_master DDL "
    "has both."
)


class SqliteReflectionBug(AssertionError):
    """A regression of SQLITE_BUG (fixed: from_database reads these from the stored DDL)."""



# plant -> (text in app/models.py, what it becomes, the one row every path must show:
# table, object, expected (models), actual (migrations)).
PLANTS: dict[str, tuple[str, str, tuple[str, str, str, str]]] = {
    "length": ("sa.String(255)", "sa.String(100)",
               ("users", "type email", "varchar(100)", "varchar(255)")),
    "nullable": ("due_at: Mapped[datetime | None]", "due_at: Mapped[datetime]",
                 ("tasks", "nullable due_at", "NOT NULL", "NULL")),
    "unique": (", unique=True)", ")",
               ("users", "unique (email)", "absent", "present")),
    "extra_column": (
        "    content: Mapped[str] = mapped_column(sa.Text)\n",
        "    content: Mapped[str] = mapped_column(sa.Text)\n"
        "    edited_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)\n",
        ("messages", "column edited_at", "timestamp with time zone NULL", "absent")),
    "index": ('        sa.Index("ix_messages_conversation_id_created_at", "conversation_id", '
              '"created_at"),\n', "",
              ("messages", "index (conversation_id, created_at)", "absent", "index")),
    "on_delete": ('sa.ForeignKey("conversations.id", ondelete="CASCADE")',
                  'sa.ForeignKey("conversations.id")',
                  ("messages", "foreign key (conversation_id) -> conversations(id)",
                   "ON DELETE NO ACTION", "ON DELETE CASCADE")),
    "check": ("'system', 'tool')\"),", "'system')\"),",
              ("messages", "check (role)", "role IN ('assistant', 'system', 'user')",
               "role IN ('assistant', 'system', 'tool', 'user')")),
    "family": ("content: Mapped[str] = mapped_column(sa.Text)",
               "content: Mapped[int] = mapped_column(sa.Integer)",
               ("messages", "type content", "integer", "text")),
    # Not a mismatch test of its own: the difference dualwrite_drift_ignore silences.
    "display_name": ("display_name: Mapped[str | None] = mapped_column(sa.Text)",
                     "display_name: Mapped[str | None] = mapped_column(sa.String(100))",
                     ("users", "type display_name", "varchar(100)", "text")),
}
MISMATCHES = sorted(set(PLANTS) - {"display_name"})

# The table for `length` + `index`, exactly as render.py lays it out.
TWO_PLANTS_TABLE = [
    "table    | object                              | expected     | actual",
    "---------+-------------------------------------+--------------+-------------",
    "messages | index (conversation_id, created_at) | absent       | index",
    "users    | type email                          | varchar(100) | varchar(255)",
]


# --- helpers -----------------------------------------------------------------------------

def copy_scenario(target: Path) -> Path:
    shutil.copytree(SCENARIO, target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return target


def plant(project: Path, *names: str) -> None:
    """Rewrite the copy's app/models.py with the named mismatches."""
    models = project / "app" / "models.py"
    text = models.read_text()
    for name in names:
        old, new, _row = PLANTS[name]
        assert text.count(old) == 1, f"plant {name!r}: {old!r} is not in models.py once"
        text = text.replace(old, new)
    models.write_text(text)


def add_ini(project: Path, line: str) -> None:
    """Append a key to [tool.pytest.ini_options], the copy's only (and last) table."""
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + line + "\n")


def table_rows(text: str) -> list[tuple[str, ...]]:
    """The rows of the drift table(s) in `text`, cells stripped, header and rule left out."""
    rows: list[tuple[str, ...]] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("table ") and "| object" in line:
            inside = True
        elif inside and line.startswith("-") and "-+-" in line:
            continue
        elif inside and " | " in line:
            rows.append(tuple(cell.strip() for cell in line.split(" | ")))
        else:
            inside = False
    return rows


def failure_section(lines: list[str], item: str) -> list[str]:
    """The lines pytest prints under `____ item ____`, up to the next such header."""
    start = next(i for i, line in enumerate(lines) if f"_ {item} _" in line) + 1
    end = next((i for i in range(start, len(lines))
                if lines[i].startswith(("____", "===="))), len(lines))
    return lines[start:end]


def literal(text: str) -> str:
    """`text` as an fnmatch pattern matching itself (item ids hold `[backend]`)."""
    return re.sub(r"([\[\]])", r"[\1]", text)


def run_item(pytester: pytest.Pytester, path: str) -> pytest.TestReport:
    """Run the one `models_match_migrations[path]` item in-process; its call report."""
    backend = "sqlite" if path == "static" else path  # the static item comes with any backend
    recorder = pytester.inline_run("--dualwrite", f"--dualwrite-backend={backend}",
                                   "-k", f"models_match_migrations and {path}")
    reports = [r for r in recorder.getreports("pytest_runtest_logreport") if r.when == "call"]
    assert [r.nodeid for r in reports] == [ITEM.format(path)]
    return reports[0]


def expect_rows(path: str, rows: list[tuple[str, ...]],
                expected: list[tuple[str, ...]]) -> None:
    """Exactly the planted rows; on sqlite a difference is the known bug, not a new one."""
    if path == "sqlite" and rows != expected:
        raise SqliteReflectionBug(f"sqlite rows {rows} != {expected}")
    assert rows == expected


def drift_cli(project: Path, *args: str, env: dict[str, str] | None = None,
              ) -> subprocess.CompletedProcess[str]:
    """`python -m pytest_dualwrite drift` as a user types it, from the project folder.

    A subprocess, so each run imports the copy's own app.models (an in-process import
    would be cached across tests with different plants). DUALWRITE_* variables of the
    outer run are left out unless given, so the file is what the command reads.
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DUALWRITE_")}
    return subprocess.run([sys.executable, "-m", "pytest_dualwrite", "drift", *args],
                          cwd=project, env={**clean, **(env or {})}, capture_output=True,
                          text=True, timeout=120)


def our_databases(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(sa.text(
                "SELECT datname FROM pg_database WHERE datname LIKE :prefix"),
                {"prefix": "dualwrite%"}).scalars())
    finally:
        engine.dispose()


# --- the plugin's items ------------------------------------------------------------------

def test_scenario_matches_on_every_path(pytester: pytest.Pytester) -> None:
    """The models written for these migrations are not drift, on any path."""
    need_postgres()
    copy_scenario(pytester.path)
    result = pytester.runpytest("--dualwrite", "--dualwrite-backend=sqlite,postgres",
                                "-k", "models_match", "-v")
    for path in ("postgres", "static"):
        result.stdout.fnmatch_lines([literal(f"{ITEM.format(path)} PASSED") + "*"])
    if f"{ITEM.format('sqlite')} PASSED" not in result.stdout.str():
        raise SqliteReflectionBug("\n".join(r for r in result.stdout.lines if " | " in r))
    result.assert_outcomes(passed=3)


def test_planted_mismatch_fails_with_the_drift_table(pytester: pytest.Pytester) -> None:
    """Two mismatches fail every item, each with the same exact two-row table."""
    need_postgres()
    plant(copy_scenario(pytester.path), "length", "index")
    result = pytester.runpytest("--dualwrite", "--dualwrite-backend=sqlite,postgres",
                                "-k", "models_match")
    result.assert_outcomes(failed=3)
    for path, title in (("postgres", "postgres"), ("static", "static (fold of the SQL files)")):
        result.stdout.fnmatch_lines([
            f"*_ {literal(ITEM.format(path))} _*",
            f"models differ from the migrations ({title}): 2 difference(s)",
            "",
            "--- drift ---",
            f"models vs migrations ({title}): 2 differences",
            "",
            *TWO_PLANTS_TABLE,
        ], consecutive=True)
    sqlite = failure_section(result.stdout.lines, ITEM.format("sqlite"))
    if table_rows("\n".join(sqlite)) != table_rows("\n".join(TWO_PLANTS_TABLE)):
        raise SqliteReflectionBug("\n".join(sqlite))


@pytest.mark.parametrize("path", ["static", "sqlite"])
@pytest.mark.parametrize("mismatch", MISMATCHES)
def test_each_planted_mismatch_is_reported(pytester: pytest.Pytester, mismatch: str,
                                           path: str) -> None:
    """Each kind of mismatch fails the item with its one row, and no other row."""
    plant(copy_scenario(pytester.path), mismatch)
    report = run_item(pytester, path)
    assert report.failed
    assert "models differ from the migrations" in report.longreprtext
    assert "Traceback" not in report.longreprtext
    expect_rows(path, table_rows(report.longreprtext), [PLANTS[mismatch][2]])


@pytest.mark.postgres
def test_each_planted_mismatch_is_reported_on_postgres(pytester: pytest.Pytester) -> None:
    """The same eight on Postgres, in one run: a server round costs seconds per plant.

    Each plant touches its own table or object, so eight plants must give exactly their
    eight rows: one hiding another would show as a missing row.
    """
    need_postgres()
    plant(copy_scenario(pytester.path), *MISMATCHES)
    report = run_item(pytester, "postgres")
    assert report.failed and "Traceback" not in report.longreprtext
    assert sorted(table_rows(report.longreprtext)) == sorted(PLANTS[m][2] for m in MISMATCHES)


@pytest.mark.parametrize("path", [
    "static",
    pytest.param("postgres", marks=pytest.mark.postgres),
    "sqlite",
])
def test_drift_ignore_silences_a_column(pytester: pytest.Pytester, path: str) -> None:
    """`dualwrite_drift_ignore = users.display_name`: a known difference stops failing.

    That the plant is a difference at all is shown once, on the static path: every other
    path runs only with the ignore rule, to keep server rounds down.
    """
    if path == "postgres":
        need_postgres()
    project = copy_scenario(pytester.path)
    plant(project, "display_name")
    if path == "static":
        before = run_item(pytester, path)
        assert before.failed
        assert table_rows(before.longreprtext) == [PLANTS["display_name"][2]]
    add_ini(project, 'dualwrite_drift_ignore = "users.display_name"')
    after = run_item(pytester, path)
    if path == "sqlite" and not after.passed:
        raise SqliteReflectionBug(after.longreprtext)
    assert after.passed, after.longreprtext


# --- python -m pytest_dualwrite drift ----------------------------------------------------

def test_cli_no_drift_exits_0(tmp_path: Path) -> None:
    result = drift_cli(copy_scenario(tmp_path))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == (
        "models vs migrations (static (fold of the SQL files)): no differences")


def test_cli_drift_prints_the_table_and_exits_1(tmp_path: Path) -> None:
    project = copy_scenario(tmp_path)
    plant(project, "length", "index")
    result = drift_cli(project)
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout.splitlines()[:6] == [
        "models vs migrations (static (fold of the SQL files)): 2 differences", "",
        *TWO_PLANTS_TABLE]


def test_cli_sqlite_backend_no_drift_exits_0(tmp_path: Path) -> None:
    result = drift_cli(copy_scenario(tmp_path), "--backend", "sqlite")
    assert result.stderr == ""
    if result.returncode != 0:
        raise SqliteReflectionBug(result.stdout)
    assert result.stdout.startswith("models vs migrations (sqlite): no differences")


def test_cli_sqlite_backend_drift_exits_1(tmp_path: Path) -> None:
    """Whatever else sqlite reports (SQLITE_BUG), the planted rows are in its table."""
    project = copy_scenario(tmp_path)
    plant(project, "length", "index")
    result = drift_cli(project, "--backend", "sqlite")
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout.startswith("models vs migrations (sqlite): ")
    rows = table_rows(result.stdout)
    assert PLANTS["length"][2] in rows and PLANTS["index"][2] in rows


@pytest.mark.postgres
def test_cli_postgres_backend_drops_what_it_made(tmp_path: Path) -> None:
    """`--postgres-url` as given: exit 0, then 1 with a plant; its databases are gone after.

    Other runs may share the server, so the command's databases are told apart by the
    worker part of their names (PYTEST_XDIST_WORKER), not by a before/after listing.
    """
    url = need_postgres()
    project = copy_scenario(tmp_path)
    worker = {"PYTEST_XDIST_WORKER": f"drift{uuid.uuid4().hex[:10]}"}
    clean = drift_cli(project, "--backend", "postgres", "--postgres-url", url, env=worker)
    assert (clean.returncode, clean.stderr) == (0, "")
    assert clean.stdout.startswith("models vs migrations (postgres): no differences")
    plant(project, "length", "index")
    drift = drift_cli(project, "--backend", "postgres",
                      env={**worker, "DUALWRITE_POSTGRES_URL": url})
    assert (drift.returncode, drift.stderr) == (1, "")
    assert drift.stdout.splitlines()[2:6] == TWO_PLANTS_TABLE
    assert [n for n in our_databases(url) if worker["PYTEST_XDIST_WORKER"] in n] == []
    engine = sa.create_engine(url)  # the URL's own database was never migrated
    try:
        with engine.connect() as conn:
            assert not sa.inspect(conn).has_table(VERSION_TABLE)
    finally:
        engine.dispose()


def test_cli_bad_models_is_one_line_exit_2(tmp_path: Path) -> None:
    result = drift_cli(copy_scenario(tmp_path), "--models", "nope.mod:Base")
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "dualwrite_models" in result.stderr and "nope.mod" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_option_beats_env_beats_file(tmp_path: Path) -> None:
    """Like the plugin's settings: the file's models, unless env or the option says else."""
    project = copy_scenario(tmp_path)
    from_env = drift_cli(project, env={"DUALWRITE_MODELS": "from_env.mod:Base"})
    assert from_env.returncode == 2 and "from_env.mod" in from_env.stderr
    from_option = drift_cli(project, "--models", "app.models:Base",
                            env={"DUALWRITE_MODELS": "from_env.mod:Base"})
    assert (from_option.returncode, from_option.stderr) == (0, "")


def test_cli_ignore_is_repeatable(tmp_path: Path) -> None:
    project = copy_scenario(tmp_path)
    plant(project, "display_name", "length")
    assert drift_cli(project, "--ignore", "users.display_name").returncode == 1
    result = drift_cli(project, "--ignore", "users.display_name", "--ignore", "users.email")
    assert (result.returncode, result.stderr) == (0, "")


def test_cli_reads_pytest_ini_given_by_config(tmp_path: Path) -> None:
    """Settings in a pytest.ini elsewhere; relative paths are relative to that file."""
    project = copy_scenario(tmp_path / "project")
    (project / "pyproject.toml").unlink()
    (project / "pytest.ini").write_text(
        "[pytest]\npythonpath = .\ndualwrite_migrations = migrations\n"
        "dualwrite_dialect = postgres\ndualwrite_models = app.models:Base\n"
        "dualwrite_drift_ignore = users.email\n")
    plant(project, "length")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "pytest_dualwrite", "drift", "--config",
         str(project / "pytest.ini")],
        cwd=outside, capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("DUALWRITE_")})
    assert (result.returncode, result.stderr) == (0, "")


def test_cli_user_errors_name_the_setting_and_mask_passwords(tmp_path: Path) -> None:
    project = copy_scenario(tmp_path)
    (project / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    missing = drift_cli(project)
    assert missing.returncode == 2 and "dualwrite_models is not set" in missing.stderr
    unreachable = drift_cli(project, "--models", "app.models:Base", "--migrations",
                            "migrations", "--backend", "postgres", "--postgres-url",
                            "postgresql://app:hunter2@127.0.0.1:1/app")
    assert unreachable.returncode == 2
    assert "hunter2" not in unreachable.stderr and "app:***@" in unreachable.stderr
    assert len(unreachable.stderr.splitlines()) == 1 and "Traceback" not in unreachable.stderr


def test_the_collector_is_paused_only_inside_and_restored_after_an_error() -> None:
    import gc

    from pytest_dualwrite.schema.from_sql import collector_paused

    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("a fold that fails")
    assert gc.isenabled()
