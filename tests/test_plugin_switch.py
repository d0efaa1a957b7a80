"""The plugin as users run it: the switch, the options, the header, the skip line."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from .conftest import need_postgres

USES_DB = """
import sqlalchemy as sa

def test_sees_only_its_own_database(dualwrite_db):
    with dualwrite_db.engine.begin() as conn:
        assert sa.inspect(conn).get_table_names() == []
        conn.exec_driver_sql("CREATE TABLE mine (id INTEGER)")
    print("DB", dualwrite_db.backend, dualwrite_db.name)
    with open("names.txt", "a") as names:
        names.write(dualwrite_db.name + "\\n")
"""


def still_there(pytester: pytest.Pytester, url: str) -> list[str]:
    """Databases the inner run wrote to names.txt that still exist on the server."""
    names = set((pytester.path / "names.txt").read_text().split())
    assert names, "the inner run recorded no database"
    return sorted(names & set(our_databases(url)))


def our_databases(url: str) -> list[str]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT datname FROM pg_database WHERE starts_with(datname, 'dualwrite_')")
            return [r[0] for r in rows if not r[0].startswith("dualwrite_unit_")]
    finally:
        engine.dispose()


def test_help_lists_the_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines([
        "pytest-dualwrite: migrations that lose no data:",
        "*--dualwrite *run the dual-write, backfill and migration checks",
        "*--dualwrite-backend=BACKENDS*",
        "*--dualwrite-postgres-url=POSTGRES_URL*",
        "*--dualwrite-examples=EXAMPLES*",
        "*--dualwrite-report=REPORT*",
    ])
    result.stdout.fnmatch_lines(["*dualwrite_backends (string):*"])


def test_off_by_default_opens_nothing(pytester: pytest.Pytester,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DUALWRITE_POSTGRES_URL", raising=False)
    pytester.makepyfile(USES_DB)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*pytest-dualwrite is off: run pytest with --dualwrite*"])
    assert "dualwrite: backends" not in result.stdout.str()


def test_unknown_backend_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--dualwrite", "--dualwrite-backend=sqlite,oracle")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        "*argument --dualwrite-backend: unknown backend 'oracle' (choose from sqlite, "
        "postgres, all)"])


def test_bad_env_value_names_the_variable(pytester: pytest.Pytester,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALWRITE_BACKENDS", "mongo")
    result = pytester.runpytest("--dualwrite")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: pytest-dualwrite: DUALWRITE_BACKENDS: unknown backend "
                                 "'mongo' (choose from sqlite, postgres, all)"])


def test_header_shows_backends_and_sources(pytester: pytest.Pytester,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", "postgresql://app:hunter2@db.invalid:5432/app")
    pytester.makeini("[pytest]\ndualwrite_backends = sqlite postgres\ndualwrite_examples = 7\n")
    result = pytester.runpytest("--dualwrite", "--collect-only")
    result.stdout.fnmatch_lines([
        "dualwrite: backends sqlite, postgres (from ini)",
        "  sqlite: sqlite (embedded, temporary files)",
        "  postgres: url from env: postgresql+psycopg://app:***@db.invalid:5432/app",
        "  settings: postgres_url (from env), examples (from ini)",
    ])
    assert "hunter2" not in result.stdout.str()


def test_cli_beats_env_in_the_header(pytester: pytest.Pytester,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALWRITE_BACKENDS", "postgres")
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", "postgresql://u@db.invalid/app")
    result = pytester.runpytest("--dualwrite", "--dualwrite-backend=sqlite", "--collect-only")
    result.stdout.fnmatch_lines(["dualwrite: backends sqlite (from cli)"])


def test_no_postgres_anywhere_skips_with_one_line(pytester: pytest.Pytester,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DUALWRITE_POSTGRES_URL", raising=False)
    empty = pytester.mkdir("no-binaries-here")
    pytester.makepyfile(USES_DB)
    # `all`: postgres asked for by name would be a usage error (test_trust_settings.py)
    result = pytester.runpytest("--dualwrite", "--dualwrite-backend=all",
                                f"--dualwrite-postgres-bin={empty}", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    skip_lines = [line for line in result.stdout.lines if line.startswith("SKIPPED")]
    assert len(skip_lines) == 1
    assert re.match(
        r"SKIPPED \[1\] .*: postgres unavailable: no URL \(set --dualwrite-postgres-url or "
        r"DUALWRITE_POSTGRES_URL\); .*Docker.*; no Postgres server binaries \(initdb, postgres\)"
        r" in dualwrite_postgres_bin \[.*no-binaries-here\]", skip_lines[0])


def test_local_cluster_serves_the_run_and_is_gone(pytester: pytest.Pytester,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_dualwrite.backends.local_cluster import find_server_binaries

    if find_server_binaries() is None:
        pytest.skip("no Postgres server binaries on this machine")
    monkeypatch.delenv("DUALWRITE_POSTGRES_URL", raising=False)
    # A temp folder the server's unprivileged user can reach, watched for leftovers.
    tmp = Path(tempfile.mkdtemp(prefix="dualwrite-test-"))
    tmp.chmod(0o755)
    monkeypatch.setenv("TMPDIR", str(tmp))
    pytester.makepyfile(USES_DB)
    try:
        result = pytester.runpytest_subprocess("--dualwrite", "--dualwrite-backend=postgres",
                                               "-s")
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["  postgres: local cluster from * (started on first use)"])
        assert list(tmp.iterdir()) == []  # no data folder, no socket folder
        procs = subprocess.run(["pgrep", "-f", str(tmp)], capture_output=True, text=True,
                               check=False).stdout.split()
        assert procs == []  # no server process
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_each_backend_gets_a_fresh_database_and_all_are_dropped(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = need_postgres()
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", url)
    pytester.makepyfile(USES_DB + """

def test_a_failing_test_still_drops_its_database(dualwrite_db):
    with dualwrite_db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE doomed (id INTEGER)")
    with open("names.txt", "a") as names:
        names.write(dualwrite_db.name + "\\n")
    assert False, "planted failure"
""")
    result = pytester.runpytest("--dualwrite", "--dualwrite-backend=sqlite,postgres", "-s", "-v")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["*test_sees_only_its_own_database?sqlite? DB sqlite dualwrite_*",
                                 "*test_sees_only_its_own_database?postgres? DB postgres "
                                 "dualwrite_*"])
    names = (pytester.path / "names.txt").read_text().split()
    assert len(set(names)) == 4
    assert still_there(pytester, url) == []


def test_the_url_database_is_never_touched(pytester: pytest.Pytester,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    url = need_postgres()
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS dualwrite_sentinel")
        conn.exec_driver_sql("CREATE TABLE dualwrite_sentinel (id INTEGER, note TEXT)")
        conn.exec_driver_sql("INSERT INTO dualwrite_sentinel VALUES (1, 'keep me')")
    try:
        monkeypatch.setenv("DUALWRITE_POSTGRES_URL", url)
        pytester.makepyfile(USES_DB)
        result = pytester.runpytest("--dualwrite", "--dualwrite-backend=postgres")
        result.assert_outcomes(passed=1)
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT id, note FROM dualwrite_sentinel").all()
            assert [tuple(r) for r in rows] == [(1, "keep me")]
            names = sa.inspect(conn).get_table_names()
            assert "mine" not in names
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS dualwrite_sentinel")
        engine.dispose()


def test_xdist_workers_get_their_own_databases(pytester: pytest.Pytester,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    url = need_postgres()
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", url)
    many = "\n".join(
        f"def test_{i}(dualwrite_db):\n"
        f"    with dualwrite_db.engine.begin() as conn:\n"
        f"        assert sa.inspect(conn).get_table_names() == []\n"
        f"        conn.exec_driver_sql('CREATE TABLE t{i} (id INTEGER)')\n"
        f"    with open('names.txt', 'a') as names:\n"
        f"        names.write(dualwrite_db.name + '\\n')\n"
        for i in range(8))
    pytester.makepyfile("import sqlalchemy as sa\n" + many)
    result = pytester.runpytest_subprocess("--dualwrite", "--dualwrite-backend=sqlite,postgres",
                                           "-n", "2", "-p", "xdist")
    result.assert_outcomes(passed=16)
    names = (pytester.path / "names.txt").read_text().split()
    assert len(set(names)) == 16
    assert any("_gw0_" in n for n in names) and any("_gw1_" in n for n in names)
    assert still_there(pytester, url) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_still_drops_its_databases(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    url = need_postgres()
    pytester.makepyfile("""
import time

def test_waits(dualwrite_db):
    with open("names.txt", "a") as names:
        names.write(dualwrite_db.name + "\\n")
    time.sleep(60)
""")
    env = {**os.environ, "DUALWRITE_POSTGRES_URL": url}
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--dualwrite", "--dualwrite-backend=postgres",
         "-p", "no:cacheprovider"], cwd=pytester.path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    names = pytester.path / "names.txt"
    deadline = time.monotonic() + 60
    while not names.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert names.exists(), "the inner run never reached its test"
    process.send_signal(signum)
    process.wait(timeout=60)
    assert still_there(pytester, url) == []
