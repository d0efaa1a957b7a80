"""No database left behind, none outside our own touched.

Unit tests of `backends/cleanup.py` (owners, who is gone), then runs as users run them on
Postgres, scoped to a role made for the test: under pytest-xdist, in a row and at once, with
a worker killed by SIGKILL, with a drop that fails, and `--dualwrite-drop-stale` among
databases of dead, live, foreign and unknown owners.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest
import sqlalchemy as sa

from pytest_dualwrite.backends.cleanup import (
    Owner,
    classify,
    drop_in_parallel,
    owner_state,
    this_owner,
)

from .conftest import copy_example, need_postgres


def dead_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_owner_round_trips_through_its_comment() -> None:
    owner = this_owner("6b1100000000")
    assert Owner.from_comment(owner.comment()) == owner
    for other in (None, "", "a note by a person", '{"tool": "other", "pid": 1}', "[1, 2]"):
        assert Owner.from_comment(other) is None


def test_only_a_provably_gone_owner_is_gone() -> None:
    here = this_owner("6b1100000000")
    assert owner_state(here, here) == "running"
    assert owner_state(replace(here, pid=dead_pid()), here) == "gone"
    assert owner_state(replace(here, host="ci-runner-7"), here) == "elsewhere"
    if here.boot is not None:  # Linux: a reboot ends every process; a pid reused is another
        assert owner_state(replace(here, boot="another-boot"), here) == "gone"
        assert owner_state(replace(here, pid=1, start="1"), here) == "gone"
        assert owner_state(replace(here, boot=None), here) == "elsewhere"


def test_classify_never_lists_what_is_not_a_leftover() -> None:
    here = this_owner("6b11aaaa0000")
    dead = replace(here, run="6b1100000001", pid=dead_pid()).comment()
    far = replace(here, run="6b1100000002", host="elsewhere").comment()
    found = classify([
        ("dualwrite_6b1100000001_gw0_1", dead),
        ("dualwrite_6b1100000002_gw0_1", far),
        ("dualwrite_6b1100000003_main_1", None),
        ("dualwrite_6b11aaaa0000_main_1", dead),  # this run's: never
        ("dualwrite_6b1100000004_main_1", dead),  # the URL's own database: never
        ("dualwrite_unit_abc", dead),  # not named by the plugin
        ("app_production", dead),
    ], here=here, protected={"dualwrite_6b1100000004_main_1"}, prefix="dualwrite_")
    assert found.stale == ["dualwrite_6b1100000001_gw0_1"]
    assert found.elsewhere == ["dualwrite_6b1100000002_gw0_1"]
    assert found.unknown == ["dualwrite_6b1100000003_main_1"]


def test_drops_run_in_parallel_and_failures_are_lines() -> None:
    seen: list[str] = []

    def drop(name: str) -> None:
        if name == "b":
            raise RuntimeError("cannot drop a template database\n[SQL: DROP ...]")
        seen.append(name)

    assert drop_in_parallel(["a", "b", "c"], drop) == ["b: cannot drop a template database"]
    assert sorted(seen) == ["a", "c"]


# --- on Postgres, as a role of the test's own -----------------------------------------------

@pytest.fixture
def role_url() -> Iterator[str]:
    """A URL for a fresh `CREATEDB LOGIN` role: what it owns is what a run left."""
    admin_url = sa.make_url(need_postgres()).set(drivername="postgresql+psycopg")
    role = f"dw_cleanup_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} CREATEDB LOGIN PASSWORD 'dw-cleanup-pw'")
    try:
        yield admin_url.set(drivername="postgresql", username=role,
                            password="dw-cleanup-pw").render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            for name in owned_by(conn, role):
                conn.exec_driver_sql(f'ALTER DATABASE "{name}" IS_TEMPLATE false')
                conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()


def owned_by(conn: sa.Connection, role: str) -> list[str]:
    return list(conn.execute(sa.text(
        "SELECT datname FROM pg_database WHERE datdba = "
        "(SELECT oid FROM pg_roles WHERE rolname = :r) ORDER BY datname"), {"r": role}
    ).scalars())


def left_by(url: str) -> list[str]:
    role = sa.make_url(url).username
    engine = sa.create_engine(need_postgres().replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return owned_by(conn, str(role))
    finally:
        engine.dispose()


USES_DB = """
import os, signal
import sqlalchemy as sa
import pytest

@pytest.mark.parametrize("n", range(4))
def test_a_database_each(dualwrite_db, n):
    with dualwrite_db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE mine (id INTEGER)")
    if os.environ.get("DW_TEST_KILL") == str(n):
        os.kill(os.getpid(), signal.SIGKILL)  # the worker dies, its databases stay
    if os.environ.get("DW_TEST_TEMPLATE") == str(n):
        with dualwrite_db.engine.begin() as conn:  # a template cannot be dropped
            conn.exec_driver_sql(f'ALTER DATABASE "{dualwrite_db.name}" IS_TEMPLATE true')
"""

CHECKS = "-k", "a_database_each or upgrade_from_empty or downgrade_leaves or well_formed"


def small_project(pytester: pytest.Pytester) -> pytest.Pytester:
    copy_example(pytester, "mig_lossless")
    pytester.makepyfile(test_uses_db=USES_DB)
    return pytester


def start(pytester: pytest.Pytester, url: str, *args: str,
          env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "--dualwrite", "--dualwrite-backend=postgres",
         "-p", "xdist", "-n", "2", "-p", "no:cacheprovider", *CHECKS, *args],
        cwd=pytester.path, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "DUALWRITE_POSTGRES_URL": url, **(env or {})})


def test_xdist_runs_in_a_row_and_at_once_leave_no_database(
        pytester: pytest.Pytester, role_url: str) -> None:
    project = small_project(pytester)
    quick = ("-k", "a_database_each or upgrade_from_empty")
    counts = []
    # Two in a row show that a run leaves nothing a later one trips over, two at once
    # that concurrent runs' names, roles and sweeps never meet (each run is 2 workers);
    # five and three proved no more, at twice the time (issue 16: the suite's own time).
    for _ in range(2):
        run = start(project, role_url, *quick)
        out, _ = run.communicate(timeout=600)
        assert run.returncode == 0, out
        counts.append(len(left_by(role_url)))
    runs = [start(project, role_url, *quick) for _ in range(2)]
    for run in runs:
        out, _ = run.communicate(timeout=600)
        assert run.returncode == 0, out
        assert "could not clean up" not in out and "Traceback" not in out, out
    counts.append(len(left_by(role_url)))
    print("databases left after each of 2 runs, then after 2 at once:", counts)
    assert counts == [0] * 3


def test_a_worker_killed_mid_run_leaves_nothing_the_controller_does_not_drop(
        pytester: pytest.Pytester, role_url: str) -> None:
    run = start(small_project(pytester), role_url, "--max-worker-restart=4",
                env={"DW_TEST_KILL": "1"})
    out, _ = run.communicate(timeout=600)
    assert "crashed" in out, out  # xdist saw the worker die
    assert "dualwrite: dropped" in out and "a worker left (it was interrupted or killed)" in out
    assert left_by(role_url) == []


def test_a_killed_worker_leaves_no_role_of_its_run(pytester: pytest.Pytester) -> None:
    """With a URL role that may CREATE ROLE, each worker runs as a role of the run; one
    killed by SIGKILL cannot drop its own, so the controller's sweep does."""
    url = need_postgres()
    run = start(small_project(pytester), url, "--max-worker-restart=4",
                env={"DW_TEST_KILL": "1"})
    out, _ = run.communicate(timeout=600)
    assert "crashed" in out, out
    found = re.search(r"a worker left \(it was interrupted or killed\): dualwrite_(\w+?)_gw", out)
    assert found, out
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            left = conn.execute(sa.text(
                "SELECT rolname FROM pg_roles WHERE starts_with(rolname, :p)"),
                {"p": f"dualwrite_role_{found.group(1)}_"}).scalars().all()
    finally:
        engine.dispose()
    assert left == []


def test_a_database_that_cannot_be_dropped_fails_the_run_and_says_so(
        pytester: pytest.Pytester, role_url: str) -> None:
    run = start(small_project(pytester), role_url, env={"DW_TEST_TEMPLATE": "2"})
    out, _ = run.communicate(timeout=600)
    assert run.returncode == 1, out  # every test passed; the cleanup did not
    assert "dualwrite cleanup failed" in out
    assert "dualwrite: could not clean up: postgres: could not drop dualwrite_" in out
    assert "cannot drop a template database" in out
    assert "dw-cleanup-pw" not in out
    assert len(left_by(role_url)) == 1


def test_drop_stale_drops_only_databases_whose_owner_is_provably_gone(
        pytester: pytest.Pytester, role_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    here = this_owner("0")
    old = f"{int(time.time()) - 7200:08x}"
    gone = replace(here, run=f"{old}dead", pid=dead_pid())
    names = {
        "dead": (f"dualwrite_{old}dead_gw0_1", gone.comment()),
        "live": (f"dualwrite_{old}a1fe_main_1", replace(here, run=f"{old}a1fe").comment()),
        "far": (f"dualwrite_{old}fa00_gw1_1",
                replace(gone, run=f"{old}fa00", host="another-ci-host").comment()),
        "unknown": (f"dualwrite_{old}0000_main_1", None),
        "url": (f"dualwrite_{old}dea1_main_1", replace(gone, run=f"{old}dea1").comment()),
    }
    engine = sa.create_engine(sa.make_url(role_url).set(drivername="postgresql+psycopg"),
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for name, comment in names.values():
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            if comment:
                conn.exec_driver_sql(f'COMMENT ON DATABASE "{name}" IS '
                                     + "'" + comment.replace("'", "''") + "'")
    engine.dispose()
    # The URL names a database that looks stale itself: it is the one never touched.
    url = sa.make_url(role_url).set(database=names["url"][0]).render_as_string(
        hide_password=False)
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", url)
    pytester.makepyfile(test_one="def test_one(dualwrite_db):\n    pass\n")
    result = pytester.runpytest_subprocess("--dualwrite", "--dualwrite-backend=postgres",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        f"dualwrite: 1 stale dualwrite_* database(s) left by interrupted runs (their process "
        f"is gone): {names['dead'][0]}; drop them with --dualwrite-drop-stale",
        f"dualwrite: 1 dualwrite_* database(s) of runs on other hosts, left alone*"
        f"{names['far'][0]}",
        f"dualwrite: 1 dualwrite_* database(s) with no owner recorded*{names['unknown'][0]}",
    ])
    assert names["live"][0] not in result.stdout.str()
    assert len(left_by(role_url)) == 5
    result = pytester.runpytest_subprocess("--dualwrite", "--dualwrite-backend=postgres",
                                           "-p", "no:cacheprovider", "--dualwrite-drop-stale")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"dualwrite: dropped 1 stale *{names['dead'][0]}"])
    assert set(left_by(role_url)) == {names[k][0] for k in ("live", "far", "unknown", "url")}
