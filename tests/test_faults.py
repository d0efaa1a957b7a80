"""A connection the server ends mid-item (`pg_terminate_backend`), as a user's run meets it.

The item fails with one line saying the connection was lost (not a traceback of ours),
the items after it still run, the run ends, and every `dualwrite_*` database it created is
dropped. A connection of the plugin's own (a kept copy's, the admin one) that dies between
or during items is replaced, and fails nothing.

Every inner database name is recorded in `names.txt`; all databases of one run share the
prefix `dualwrite_<run>_<worker>_`, so a leftover check on that prefix sees templates and
clones too, and no other run's databases (the suite runs in parallel with others).
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from hypothesis.errors import FlakyFailure

from .conftest import copy_example, need_postgres, postgres_url

RECORD = '''
import sqlalchemy as sa

import catalog
from pytest_dualwrite import DualWrite

SPEC = dict(old="products", new="catalog_items", key={"sku": "item_sku"},
            columns={"name": "title", "description": "body", "price_cents": "price_cents",
                     "updated_at": "changed_at"},
            expand=2, contract=3, update=catalog.update, delete=catalog.delete,
            read=catalog.read)


def record(conn):
    """Note the database this run uses, for the outer test's leftover check."""
    name = conn.exec_driver_sql("SELECT current_database()").scalar()
    with open("names.txt", "a") as names:
        names.write(name + "\\n")


def kill_myself(conn):
    record(conn)
    conn.exec_driver_sql("SELECT pg_terminate_backend(pg_backend_pid())")


def kill_the_others(conn):
    """End every other session of this run (the admin one, kept copies): by the
    application_name the plugin gives its connections, so no other run is touched."""
    record(conn)
    return conn.execute(sa.text(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name = current_setting('application_name') "
        "AND pid <> pg_backend_pid()")).all()
'''

CALLABLES_KILL_THEMSELVES = RECORD + '''

def write_kills(conn, row):
    kill_myself(conn)


def backfill_kills(conn):
    yield from catalog.backfill(conn)
    kill_myself(conn)
    yield


killed_by_write = DualWrite(write=write_kills, backfill=catalog.backfill, **SPEC)
killed_by_backfill = DualWrite(write=catalog.write, backfill=backfill_kills, **SPEC)


def test_after(dualwrite_db):
    with dualwrite_db.engine.connect() as conn:
        record(conn)
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
'''

PLUGIN_CONNECTIONS_KILLED = RECORD + '''

def test_kills_the_kept_copies_between_items(dualwrite_db):
    with dualwrite_db.engine.connect() as conn:
        killed = kill_the_others(conn)
    assert killed  # the copy products_to_catalog_items kept, and the admin connection


def read_kills_the_others(conn, sku):
    kill_the_others(conn)
    return catalog.read(conn, sku)


rude_reader = DualWrite(write=catalog.write, backfill=catalog.backfill,
                        **{**SPEC, "read": read_kills_the_others})
after = DualWrite(write=catalog.write, backfill=catalog.backfill, **SPEC)
'''

DUALWRITE_DB_KILLED = RECORD + '''

def test_killed_from_outside(dualwrite_db):
    with dualwrite_db.engine.connect() as conn, dualwrite_db.engine.connect() as other:
        record(conn)
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        other.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        conn.exec_driver_sql("SELECT 1")


def test_killed_inside_a_checkout(dualwrite_db):
    with dualwrite_db.checkout(2) as conn:
        kill_myself(conn)


def test_checkout_after_the_kill(dualwrite_db):
    with dualwrite_db.checkout(2) as conn:
        record(conn)
        assert conn.exec_driver_sql("SELECT count(*) FROM catalog_items").scalar() == 0
        conn.exec_driver_sql("INSERT INTO products (sku, name, price_cents) VALUES ('a', 'b', 1)")


def test_after(dualwrite_db):
    with dualwrite_db.engine.connect() as conn:
        record(conn)
'''


def leftovers(pytester: pytest.Pytester, url: str) -> list[str]:
    """Databases of the inner run(s) still on the server: any name with a recorded prefix."""
    names = (pytester.path / "names.txt").read_text().split()
    assert names, "the inner run recorded no database"
    prefixes = {name.rsplit("_", 1)[0] + "_" for name in names}
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT datname FROM pg_database WHERE starts_with(datname, 'dualwrite_')")
            return sorted(r[0] for r in rows if any(r[0].startswith(p) for p in prefixes))
    finally:
        engine.dispose()


@pytest.fixture
def products(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", need_postgres())
    monkeypatch.delenv("DW_BUG", raising=False)
    return copy_example(pytester, "products")


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    """The user's command line, with few examples; a hung run fails instead of hanging."""
    return project.runpytest_subprocess(
        "--dualwrite", "--dualwrite-backend=postgres", "--dualwrite-examples=5",
        "-p", "no:cacheprovider", "-p", "no:randomly", *args, timeout=300)


LOST = ("postgres: connection lost during test_kill.{callable}: terminating connection due "
        "to administrator command (the server ended the session: pg_terminate_backend, a "
        "restart or a network drop)")


def test_a_callable_that_kills_its_connection_fails_its_item_in_one_line(
        products: pytest.Pytester) -> None:
    products.makepyfile(test_kill=CALLABLES_KILL_THEMSELVES)
    result = run(products, "-k", "killed_by_write and dual_write or backfill_preserves "
                 "or test_after", "--dualwrite-report=report.json")
    # In order: products_to_catalog_items and killed_by_write's backfill_preserves pass,
    # killed_by_write's dual_write fails, killed_by_backfill's backfill_preserves fails
    # (on the connection the previous item lost, now replaced), test_after passes.
    result.assert_outcomes(passed=3, failed=2)
    out = result.stdout.str()
    for item, fn in [("killed_by_write::dual_write_keeps_both_equal", "write_kills"),
                     ("killed_by_backfill::backfill_preserves_every_record", "backfill_kills")]:
        result.stdout.fnmatch_lines([f"_* {item}[[]postgres[]] _*",
                                     LOST.format(callable=fn), "", "--- operations ---"])
    failures = out[out.index("= FAILURES ="):out.index("= dualwrite =")]
    assert "Traceback" not in failures and "psycopg" not in failures
    assert "sqlalche.me" not in failures and "Failing test case" not in failures
    report = json.loads((products.path / "report.json").read_text())
    messages = {i["nodeid"].split("::", 1)[1]: i["message"] for i in report["items"]
                if i["outcome"] == "failed"}
    assert messages == {
        "killed_by_write::dual_write_keeps_both_equal[postgres]":
            LOST.format(callable="write_kills"),
        "killed_by_backfill::backfill_preserves_every_record[postgres]":
            LOST.format(callable="backfill_kills"),
    }
    assert leftovers(products, postgres_url() or "") == []


def test_the_plugins_own_connections_killed_between_and_during_items(
        products: pytest.Pytester) -> None:
    """The kept copy's connection and the admin one, ended by someone else: replaced, so
    nothing fails, and the run still drops everything at the end."""
    products.makepyfile(test_kill=PLUGIN_CONNECTIONS_KILLED)
    result = run(products, "-k", "not migrations")
    result.assert_outcomes(passed=22)  # 3 specs x 7 items + the killing test
    assert leftovers(products, postgres_url() or "") == []


def test_a_dualwrite_db_test_whose_connection_is_killed(products: pytest.Pytester) -> None:
    """The user's own test fails with its own error; the next ones (a checkout of the same
    version included) run on, and the fixture still drops its databases."""
    products.makepyfile(test_kill=DUALWRITE_DB_KILLED)
    result = run(products, "test_kill.py", "--tb=short", "-v")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([
        "*test_killed_from_outside?postgres? FAILED*",
        "*test_killed_inside_a_checkout?postgres? FAILED*",
        "*test_checkout_after_the_kill?postgres? PASSED*",
        "*test_after?postgres? PASSED*",
    ])
    result.stdout.fnmatch_lines(
        ["E   sqlalchemy.exc.OperationalError: (psycopg.errors.AdminShutdown) terminating "
         "connection due to administrator command"] * 2)
    assert leftovers(products, postgres_url() or "") == []


class _DriverError(Exception):
    """A driver exception as psycopg raises it: a message and a SQLSTATE."""

    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _wrapped(message: str, sqlstate: str | None, invalidated: bool = False) -> sa.exc.DBAPIError:
    return sa.exc.OperationalError("SELECT 1", {}, _DriverError(message, sqlstate),
                                   connection_invalidated=invalidated)


@pytest.mark.parametrize(("error", "line"), [
    (_wrapped("terminating connection due to administrator command", "57P01"),
     "postgres: connection lost: terminating connection due to administrator command"),
    (_wrapped("server closed the connection unexpectedly\n\tThis probably means", None, True),
     "postgres: connection lost: server closed the connection unexpectedly"),
    (FlakyFailure("did not recur", [ValueError("other"), _wrapped("no route", "08006")]),
     "postgres: connection lost: no route"),
], ids=["sqlstate", "invalidated", "in-a-flaky-group"])
def test_connection_lost_reads_the_story(error: BaseException, line: str) -> None:
    from pytest_dualwrite.errors import connection_lost

    lost = connection_lost(error)
    assert lost is not None and str(lost).startswith(line + " (the server ended the session")


@pytest.mark.parametrize("error", [
    _wrapped('relation "nope" does not exist', "42P01"),
    _wrapped("canceling statement due to statement timeout", "57014"),
    sa.exc.OperationalError("SELECT 1", {}, Exception("database is locked")),
    ValueError("terminating connection"),  # not from a driver
], ids=["undefined-table", "statement-timeout", "sqlite-locked", "not-a-driver-error"])
def test_other_errors_are_not_a_lost_connection(error: BaseException) -> None:
    from pytest_dualwrite.errors import connection_lost

    assert connection_lost(error) is None
