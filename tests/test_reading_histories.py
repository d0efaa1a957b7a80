"""Histories as users run them (`pytest --dualwrite` in a pytester project): the shapes of
issue 11 (its defects 9, 10, 11 and 13) and issue 13 (items 6 and 7), each the smallest
project that showed the problem, passing or failing with one line.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from .conftest import postgres_url


def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
            files: dict[str, str], **ini: str) -> pytest.Pytester:
    """A project with `migrations/<files>`, a trivial test folder and the ini keys."""
    for name, text in files.items():
        path = pytester.path / "migrations" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (pytester.path / "tests").mkdir(exist_ok=True)
    (pytester.path / "tests" / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    keys = {"dualwrite_migrations": "migrations", "pythonpath": ".", **ini}
    pytester.makeini("[pytest]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items()))
    if postgres_url():
        monkeypatch.setenv("DUALWRITE_POSTGRES_URL", postgres_url() or "")
    return pytester


def run(pytester: pytest.Pytester, backends: str, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        "--dualwrite", f"--dualwrite-backend={backends}", "--dualwrite-examples=5",
        "-p", "no:cacheprovider", "-p", "no:randomly", "tests", *args)


def outcomes(result: pytest.RunResult) -> dict[str, str]:
    """{"check[backend]": "PASSED" | "FAILED" ...} from a `-rA` summary."""
    found = {}
    for line in result.stdout.lines:
        word, _, rest = line.partition(" migrations::")
        if word in ("PASSED", "FAILED", "ERROR", "SKIPPED") and rest:
            found[rest.split(" ")[0]] = word
    return found


def all_backends() -> str:
    return "sqlite,postgres" if postgres_url() else "sqlite"


# --- issue 13 item 6: the plugin's bookkeeping does not depend on search_path ----------------

PG_DUMP_PREAMBLE = """\
SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET client_min_messages = warning;

CREATE TABLE public.accounts (id integer NOT NULL, email text NOT NULL);
ALTER TABLE ONLY public.accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);
"""

SEARCH_PATH_HISTORIES = {
    "pg_dump preamble": {
        "001_dump.sql": PG_DUMP_PREAMBLE,
        "002_nick.sql": "ALTER TABLE accounts ADD COLUMN nick text;\n",
    },
    "SET search_path": {
        "001_accounts.sql": "CREATE TABLE accounts (id integer PRIMARY KEY, email text);\n",
        "002_audit.sql": "CREATE SCHEMA s2;\nSET search_path TO s2;\n"
                         "CREATE TABLE audit (id integer PRIMARY KEY);\n",
        "003_nick.sql": "ALTER TABLE accounts ADD COLUMN nick text;\n",
    },
    "DROP SCHEMA public": {
        "001_reset.sql": "DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n"
                         "CREATE TABLE accounts (id integer PRIMARY KEY, email text);\n",
        "002_nick.sql": "ALTER TABLE accounts ADD COLUMN nick text;\n",
    },
}


@pytest.mark.skipif(not postgres_url(), reason="needs DUALWRITE_POSTGRES_URL")
@pytest.mark.parametrize("shape", sorted(SEARCH_PATH_HISTORIES))
def test_migrations_that_move_search_path_pass_every_check_on_postgres(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, shape: str) -> None:
    result = run(project(pytester, monkeypatch, SEARCH_PATH_HISTORIES[shape]), "postgres",
                 "-rA")
    assert outcomes(result) == {f"{check}[postgres]": "PASSED" for check in (
        "migrations_are_well_formed", "upgrade_from_empty", "each_step_preserves_rows")}, \
        result.stdout.str()
    assert "Traceback" not in result.stdout.str()


# --- issue 13 item 7: an unreadable folder, a symlink loop -----------------------------------


def test_a_migrations_folder_that_cannot_be_read_is_one_line(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root reads any folder, so for root the read is made to fail the way the kernel
    fails it for another user (EACCES from listing the folder); others chmod it."""
    project(pytester, monkeypatch, {"001_a.sql": "CREATE TABLE a (id INTEGER);\n"})
    folder = pytester.path / "migrations"
    if os.geteuid() == 0:
        real_scandir = os.scandir

        def scandir(path: object = ".") -> object:
            if Path(os.fspath(path)).absolute() == folder:  # type: ignore[arg-type]
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
            return real_scandir(path)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "scandir", scandir)
    else:
        folder.chmod(0)
    try:
        result = run(pytester, "sqlite")
    finally:
        folder.chmod(0o755)
    text = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in text
    line = f"migrations folder {folder} cannot be read (Permission denied); give the user " \
           "running pytest read access, or check the dualwrite_migrations setting"
    assert result.stdout.lines.count(line) == 4  # each item fails with it, alone
    result.assert_outcomes(passed=1, failed=4)


def test_a_migrations_folder_that_is_a_symlink_loop_is_one_line(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    project(pytester, monkeypatch, {})
    folder = pytester.path / "migrations"
    folder.symlink_to(folder)
    result = run(pytester, "sqlite")
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    line = f"migrations folder {folder} is a symbolic link loop (it leads back to itself); " \
           "point the dualwrite_migrations setting at the real folder"
    assert result.stdout.lines.count(line) == 4
    result.assert_outcomes(passed=1, failed=4)


# --- defect 11: the tool's own table exists, and is neither drift nor a dropped table --------

MODELS = """\
import sqlalchemy as sa

metadata = sa.MetaData()
accounts = sa.Table(
    "accounts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("email", sa.String(80), nullable=False),
)
"""


def test_golang_migrate_history_granting_on_schema_migrations_passes_every_check(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "000001_accounts.up.sql": "CREATE TABLE accounts (id INTEGER PRIMARY KEY, "
                                  "email VARCHAR(80) NOT NULL);\n",
        "000001_accounts.down.sql": "DROP TABLE accounts;\n",
        "000002_grants.up.sql": "GRANT SELECT ON schema_migrations TO PUBLIC;\n"
                                "GRANT SELECT ON accounts TO PUBLIC;\n",
    }
    pytester.makepyfile(app_models=MODELS)
    report = pytester.path / "report.json"
    result = run(project(pytester, monkeypatch, files, dualwrite_models="app_models:metadata"),
                 all_backends(), f"--dualwrite-report={report}", "-rA")
    checks = ["migrations_are_well_formed", "upgrade_from_empty", "each_step_preserves_rows",
              "downgrade_leaves_no_trace", "models_match_migrations"]
    expected = {f"{c}[{b}]": "PASSED" for c in checks for b in all_backends().split(",")}
    expected["models_match_migrations[static]"] = "PASSED"
    assert outcomes(result) == expected, result.stdout.str()
    # Not drift, not a dropped table: no finding names it (the SQLite skip of its GRANT is a
    # note, and notes may quote the statement).
    findings = [{k: v for k, v in item.items() if k != "notes"}
                for item in json.loads(report.read_text())["items"]]
    assert "schema_migrations" not in json.dumps(findings)


# --- defect 13: a Flyway Java migration is said, not skipped silently -------------------------


def test_a_flyway_java_migration_is_a_note_on_the_passing_well_formed(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "V55__jobs.sql": "CREATE TABLE jobs (id INTEGER PRIMARY KEY);\n",
        "V56_1__BackfillFacets.java": "public class V56_1__BackfillFacets {}\n",
        "V57__facets.sql": "CREATE TABLE facets (id INTEGER PRIMARY KEY);\n",
    }
    report = pytester.path / "report.json"
    result = run(project(pytester, monkeypatch, files), "sqlite", "-k", "well_formed",
                 f"--dualwrite-report={report}")
    result.assert_outcomes(passed=1)
    note = (f"{pytester.path / 'migrations' / 'V56_1__BackfillFacets.java'}: a Java migration "
            "(Flyway runs it, the plugin cannot): version V56_1 is left out of every check")
    assert f"  note: {note}" in result.stdout.lines
    (item,) = [i for i in json.loads(report.read_text())["items"]
               if i["check"] == "migrations_are_well_formed"]
    assert (item["outcome"], item["message"]) == ("passed", note)


# --- defects 9, 10, 13: histories in the newly read conventions apply and revert ------------

HISTORIES = {
    "dbmate sections": {
        "20250101000000_accounts.sql": (
            "-- migrate:up\nCREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT);\n"
            "-- migrate:down\nDROP TABLE accounts;\n\n"
            "-- migrate:up\nCREATE TABLE sessions (id INTEGER PRIMARY KEY, token TEXT);\n"
            "-- migrate:down\nDROP TABLE sessions;\n"),
        "20250301000000_nick.sql": (
            "-- migrate:up\nALTER TABLE accounts ADD COLUMN nick TEXT;\n"
            "-- migrate:down\nALTER TABLE accounts DROP COLUMN nick;\n"),
    },
    "sql-migrate": {
        "1_accounts.sql": (
            "-- +migrate Up\nCREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT);\n"
            "-- +migrate Down\nDROP TABLE accounts;\n"),
        "3_nick.sql": (
            "-- +migrate Up\nALTER TABLE accounts ADD COLUMN nick TEXT;\n"
            "-- +migrate Down\nALTER TABLE accounts DROP COLUMN nick;\n"),
    },
    "diesel": {
        "2025-01-01-000000_accounts/up.sql": "CREATE TABLE accounts (id INTEGER PRIMARY KEY, "
                                             "email TEXT);\n",
        "2025-01-01-000000_accounts/down.sql": "DROP TABLE accounts;\n",
        "2025-03-01-000000_nick/up.sql": "ALTER TABLE accounts ADD COLUMN nick TEXT;\n",
        "2025-03-01-000000_nick/down.sql": "ALTER TABLE accounts DROP COLUMN nick;\n",
    },
}


@pytest.mark.parametrize("shape", sorted(HISTORIES))
def test_newly_read_conventions_apply_and_revert(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, shape: str) -> None:
    result = run(project(pytester, monkeypatch, HISTORIES[shape]), all_backends(), "-rA")
    checks = ["migrations_are_well_formed", "upgrade_from_empty", "each_step_preserves_rows",
              "downgrade_leaves_no_trace"]
    assert outcomes(result) == {f"{c}[{b}]": "PASSED" for c in checks
                                for b in all_backends().split(",")}, result.stdout.str()


def test_dbmate_rolls_sections_back_in_file_order_as_dbmate_does(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """dbmate's README example: the first section's down drops the table the second
    section's down then alters. dbmate's Rollback runs the downs in file order, so its own
    rollback fails there, and so does downgrade_leaves_no_trace, naming the statement."""
    files = {"20250101000000_users.sql": (
        "-- migrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n"
        "-- migrate:down\nDROP TABLE users;\n\n"
        "-- migrate:up\nALTER TABLE users ADD COLUMN email VARCHAR(80);\n"
        "-- migrate:down\nALTER TABLE users DROP COLUMN email;\n")}
    result = run(project(pytester, monkeypatch, files), "sqlite", "-k", "downgrade")
    result.assert_outcomes(failed=1)
    where = pytester.path / "migrations" / "20250101000000_users.sql"
    assert any(line.startswith(f"{where}:9: sqlite refused the statement 'ALTER TABLE users "
                               "DROP COLUMN email'") for line in result.stdout.lines), \
        result.stdout.str()
