"""Bounds on the user's code: a time limit per call, a batch limit per backfill run.

A `write` that sleeps (in Python or in the database) or a backfill that never ends fails
its item with one line naming the spec, the callable and the setting; the run goes on.
"""

from __future__ import annotations

import re
import signal
import time

import pytest
import sqlalchemy as sa

from pytest_dualwrite.dualwrite.bounds import DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_BATCHES, Bounds
from pytest_dualwrite.errors import Abort, ConfigError
from pytest_dualwrite.settings import resolve

from .conftest import copy_example, postgres_url
from .test_bad_inputs import (
    assert_clean,
    assert_each_fails_with,
    assert_usage_error,
    edit,
    run,
    sections,
    spec_line,
)

# --- settings ----------------------------------------------------------------------------


def test_cli_beats_env_beats_ini_and_defaults() -> None:
    settings = resolve({"dualwrite_call_timeout": 5.0}, {"DUALWRITE_CALL_TIMEOUT": "7"},
                       {"dualwrite_call_timeout": "9", "dualwrite_max_batches": "12"})
    assert (settings.call_timeout, settings.source("call_timeout")) == (5.0, "cli")
    assert (settings.max_batches, settings.source("max_batches")) == (12, "ini")
    settings = resolve({}, {"DUALWRITE_CALL_TIMEOUT": "2.5", "DUALWRITE_MAX_BATCHES": "0"},
                       {"dualwrite_call_timeout": "9"})
    assert (settings.call_timeout, settings.source("call_timeout")) == (2.5, "env")
    assert settings.max_batches == 0  # no limit
    settings = resolve({}, {}, {})
    assert (settings.call_timeout, settings.max_batches) == (DEFAULT_CALL_TIMEOUT,
                                                             DEFAULT_MAX_BATCHES)


@pytest.mark.parametrize("env, value, message", [
    ("DUALWRITE_CALL_TIMEOUT", "soon", "'soon' is not a number of seconds"),
    ("DUALWRITE_CALL_TIMEOUT", "-1", "'-1' must be 0 \\(no limit\\) or a positive number of "
                                     "seconds"),
    ("DUALWRITE_CALL_TIMEOUT", "inf", "'inf' must be 0 \\(no limit\\) or a positive number"),
    ("DUALWRITE_MAX_BATCHES", "1.5", "'1.5' is not a whole number"),
    ("DUALWRITE_MAX_BATCHES", "-3", "'-3' must be 0 \\(no limit\\) or more"),
])
def test_a_bad_bound_names_the_setting(env: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{env}: {message}"):
        resolve({}, {env: value}, {})


# --- Bounds alone --------------------------------------------------------------------------


def test_a_python_sleep_is_stopped(sqlite_engine: sa.Engine) -> None:
    bounds = Bounds(call_timeout=0.2)
    try:
        with sqlite_engine.connect() as conn:
            with pytest.raises(Abort) as caught, bounds.limit(conn, "here", "write=app.write"):
                time.sleep(3600)
            assert re.fullmatch(r"here: write=app\.write did not return within 0\.2 s .*",
                                str(caught.value.error))
            # Caught and swallowed by the user's code: still a timeout when it returns.
            with pytest.raises(Abort), bounds.limit(conn, "here", "write=app.write"):
                try:
                    time.sleep(3600)
                except BaseException:
                    pass
            with bounds.limit(conn, "here", "write=app.write"):  # a quick call passes
                assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        bounds.close()


def test_a_handler_reset_between_calls_is_taken_back(sqlite_engine: sa.Engine) -> None:
    """pytest-timeout sets SIGALRM back to SIG_DFL after each test: the next call installs
    ours again (a SIGALRM under SIG_DFL would end the process), and an alarm that is not
    ours goes to the handler we found."""
    bounds = Bounds(call_timeout=0.2)
    theirs: list[int] = []
    try:
        with sqlite_engine.connect() as conn:
            with pytest.raises(Abort), bounds.limit(conn, "here", "write=w"):
                time.sleep(3600)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            with pytest.raises(Abort), bounds.limit(conn, "here", "write=w"):
                time.sleep(3600)
            signal.signal(signal.SIGALRM, lambda signum, frame: theirs.append(signum))
            with bounds.limit(conn, "here", "write=w"):
                signal.raise_signal(signal.SIGALRM)  # not ours: theirs gets it
            assert theirs == [signal.SIGALRM]
    finally:
        bounds.close()
        signal.signal(signal.SIGALRM, signal.SIG_DFL)


def test_a_sqlite_statement_that_never_ends_is_interrupted(sqlite_engine: sa.Engine) -> None:
    bounds = Bounds(call_timeout=0.2)
    endless = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
               "SELECT count(*) FROM c")
    try:
        with sqlite_engine.connect() as conn:
            with pytest.raises(Abort), bounds.limit(conn, "here", "backfill=app.copy"):
                conn.exec_driver_sql(endless).all()
            assert conn.exec_driver_sql("SELECT 2").scalar() == 2  # the connection goes on
    finally:
        bounds.close()


def test_no_limit_when_zero() -> None:
    bounds = Bounds(call_timeout=0, max_batches=0)
    with bounds.limit(None, "here", "write=w"):  # type: ignore[arg-type]  # no watchdog at all
        pass
    bounds.check_batches("here", "b", 10**9)
    with pytest.raises(Abort, match=r"here: backfill=b yielded 3 batches without finishing"):
        Bounds(max_batches=3).check_batches("here", "b", 3)


# --- as users meet them ----------------------------------------------------------------------


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    copy_example(pytester, "products")
    for name in ("DW_BUG", "DUALWRITE_POSTGRES_URL", "DUALWRITE_BACKENDS",
                 "DUALWRITE_CALL_TIMEOUT", "DUALWRITE_MAX_BATCHES"):
        monkeypatch.delenv(name, raising=False)
    return pytester


SLEEPS = {
    "python": "import time\n    time.sleep(3600)",
    "sql_sqlite": ('conn.exec_driver_sql("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL '
                   'SELECT x + 1 FROM c) SELECT count(*) FROM c").all()'),
    "sql_postgres": 'conn.exec_driver_sql("SELECT pg_sleep(3600)")',
}


# Read once: the `project` fixture clears the variable for the inner runs.
SERVER_URL = postgres_url()


def _backend(monkeypatch: pytest.MonkeyPatch, backend: str) -> str:
    if backend == "postgres":
        if not SERVER_URL:
            pytest.skip("postgres: DUALWRITE_POSTGRES_URL is not set")
        monkeypatch.setenv("DUALWRITE_POSTGRES_URL", SERVER_URL)
    return backend


@pytest.mark.parametrize("backend, sleep", [
    ("sqlite", "python"), ("sqlite", "sql_sqlite"),
    ("postgres", "python"), ("postgres", "sql_postgres")])
def test_a_write_that_hangs_fails_its_item_in_one_line(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, backend: str,
        sleep: str) -> None:
    _backend(monkeypatch, backend)
    edit(project.path / "catalog.py", "def write(conn: sa.Connection, row: dict) -> None:\n",
         f"def write(conn, row):\n    {SLEEPS[sleep]}\n\n\ndef _write(conn, row):\n")
    # The setting from the ini: the read path after it runs on the same databases, and passes.
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "dualwrite_call_timeout = 1\n")
    # Enough examples that one surely writes (the first write ends the item).
    result = run(project, "--dualwrite-examples=50", "-k",
                 "dual_write_keeps_both_equal or read_path_matches", backend=backend)
    outcomes = result.parseoutcomes()
    outcomes.pop("deselected", None)
    assert outcomes == {"failed": 1, "passed": 1}, result.stdout.str()
    pattern = (rf"{spec_line(project)}: products_to_catalog_items: write=catalog\.write did "
               r"not return within 1 s \(--dualwrite-call-timeout / dualwrite_call_timeout\); "
               r"does it wait on something that never comes\? If it is only slow, raise the "
               r"limit")
    failures = sections(result)
    assert list(failures) == [f"products_to_catalog_items::dual_write_keeps_both_equal"
                              f"[{backend}]"], result.stdout.str()
    (body,) = failures.values()
    assert len(body) == 1 and re.fullmatch(pattern, body[0]), body
    assert_clean(result)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_backfill_that_never_ends_fails_in_one_line(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    _backend(monkeypatch, backend)
    edit(project.path / "catalog.py", "def backfill(conn: sa.Connection):\n",
         "def backfill(conn):\n    while True:\n        yield\n\n\ndef _backfill(conn):\n")
    result = run(project, "--dualwrite-max-batches=50", "-k", "backfill_preserves_every_record",
                 backend=backend)
    assert_each_fails_with(
        result, rf"{spec_line(project)}: products_to_catalog_items: backfill=catalog\.backfill "
        r"yielded 50 batches without finishing \(limit 50: --dualwrite-max-batches / "
        r"dualwrite_max_batches\); does it ever stop\? A batch that copies nothing must end "
        r"the backfill", [f"products_to_catalog_items::backfill_preserves_every_record[{backend}]"])


def test_a_bad_bound_on_the_command_line_is_a_usage_error(project: pytest.Pytester) -> None:
    result = run(project, "--dualwrite-call-timeout=soon")
    assert_usage_error(result, r".*argument --dualwrite-call-timeout: 'soon' is not a number "
                               r"of seconds")
