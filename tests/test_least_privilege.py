"""Least privilege on Postgres: migrations and the user's code run as a role of the run.

Where the URL's role may create roles, a migration that reaches outside its database
(`dblink`, `COPY ... TO PROGRAM`) fails with one line, the run's role owns only its
databases and is dropped at the end. Where it may not, or the user turned it off, the
header says so in one line.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from .conftest import copy_example, postgres_url
from .test_bad_inputs import assert_each_fails_with, run
from .test_safety import ReadOnly, _engine, read_only  # noqa: F401  # a fixture

SERVER_URL = postgres_url()

REACH_OUT = {
    "dblink": ("CREATE EXTENSION IF NOT EXISTS dblink;\n"
               "SELECT dblink_exec('dbname=postgres', 'CREATE TABLE dw_victim (id int)');\n",
               r"postgres refused the statement 'CREATE EXTENSION IF NOT EXISTS dblink': "
               r'permission denied to create extension "dblink"'),
    "copy_to_program": ("COPY (SELECT 1) TO PROGRAM 'echo reached';\n",
                        r"postgres refused the statement \"COPY \(SELECT 1\) TO PROGRAM 'echo "
                        r"reached'\": must be superuser or have privileges of the "
                        r"pg_execute_server_program role to COPY to or from an external "
                        r"program"),
}


def _server() -> str:
    if not SERVER_URL:
        pytest.skip("postgres: DUALWRITE_POSTGRES_URL is not set")
    return SERVER_URL


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    copy_example(pytester, "products")
    for name in ("DW_BUG", "DUALWRITE_BACKENDS", "DUALWRITE_RESTRICT_ROLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", _server())
    return pytester


def run_role(result: pytest.RunResult, project: pytest.Pytester) -> str:
    """The role the run's report says its code ran as."""
    report = json.loads((project.path / "report.json").read_text())
    described = report["backends"]["postgres"]
    found = re.search(r"run as (dualwrite_role_\w+), a role of this run", described)
    assert found, described
    return found[1]


def roles_named(url: str, name: str) -> list[str]:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT rolname FROM pg_roles WHERE rolname = :n"),
                                {"n": name}).scalars().all()
    finally:
        engine.dispose()


@pytest.mark.parametrize("reach", list(REACH_OUT))
def test_a_migration_reaching_outside_its_database_fails_in_one_line(
        project: pytest.Pytester, reach: str) -> None:
    sql, message = REACH_OUT[reach]
    path = project.path / "migrations" / "004_reach_out.sql"
    path.write_text(sql)
    result = run(project, "--dualwrite-report=report.json", "-k", "upgrade_from_empty",
                 backend="postgres")
    result.stdout.fnmatch_lines(["  postgres: migrations and your code will run as a role of "
                                 "this run that owns only its databases (* may CREATE ROLE)"])
    assert_each_fails_with(result, rf"{re.escape(str(path))}:1: {message}",
                           ["migrations::upgrade_from_empty[postgres]"])
    assert roles_named(_server(), run_role(result, project)) == []  # dropped at the end


@pytest.fixture
def role_maker() -> Iterator[str]:
    """A LOGIN CREATEDB CREATEROLE role (not a superuser), its URL; dropped afterwards
    with every database and role it still owns."""
    url = _server()
    role = f"dualwrite_rm_{uuid.uuid4().hex[:10]}"
    admin = _engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN CREATEDB CREATEROLE')
        yield sa.make_url(url).set(username=role, password=None).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as conn:
            owned = conn.execute(sa.text(
                "SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
                "WHERE r.rolname LIKE 'dualwrite_role_%' AND pg_has_role(:r, r.oid, 'USAGE')"),
                {"r": role}).scalars().all()
            for name in owned:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        admin.dispose()


def test_a_role_that_may_create_roles_runs_a_whole_project_as_a_narrower_one(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, role_maker: str) -> None:
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", role_maker)
    result = run(project, "--dualwrite-report=report.json", backend="postgres")
    result.assert_outcomes(passed=10)  # 3 migration checks, 7 spec items
    made = run_role(result, project)
    assert roles_named(_server(), made) == []


def test_a_role_that_may_not_create_roles_is_named_in_the_header(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
        read_only: ReadOnly) -> None:  # noqa: F811  # the fixture
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", read_only.url)
    result = run(project, "--collect-only", backend="postgres")
    role = read_only.role
    assert f"  postgres: WARNING: migrations and your code run as {role} ({role} may not " \
           "CREATE ROLE; grant it CREATEROLE to run them as a narrower role): they can do " \
           f"whatever {role} can" in result.outlines, result.stdout.str()


def test_turned_off_the_header_warns_of_a_superuser(project: pytest.Pytester) -> None:
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "dualwrite_restrict_role = false\n")
    result = run(project, "--collect-only", backend="postgres")
    result.stdout.fnmatch_lines([
        "  postgres: WARNING: migrations and your code run as superuser * "
        "(dualwrite_restrict_role = false): it can reach every database and run programs "
        "on the server"])
