"""The readers, one convention each, from the smallest file that shows each rule: what
the tool itself reads, and a one-line refusal wherever the tool would read the file
differently from how it looks (above all: a down never runs as an up)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_dualwrite.errors import MigrationError
from pytest_dualwrite.migrations import readers
from pytest_dualwrite.migrations.dialects import split
from pytest_dualwrite.migrations.discovery import discover, write_lock
from pytest_dualwrite.migrations.model import Migration, PythonStep, SqlSource
from pytest_dualwrite.migrations.readers.base import Claim, Group, Reader

from .test_discovery import one_line_error, sql, write


def lines_of(source: SqlSource | PythonStep | None) -> list[tuple[int, str]]:
    """(line, first word) of every statement, as the runner would run them."""
    return [(s.line, s.sql.split()[0] + " " + s.sql.split()[2])
            for s in split(sql(source), "postgres")]


# --- defect 3: each convention keeps its own tool's gap rule -----------------------------------

GAPPED = {  # versions 1 and 3 of each convention: 2 is missing
    "updown": {"001_a.up.sql": "SELECT 1;", "003_c.up.sql": "SELECT 3;"},
    "flyway": {"V1__a.sql": "SELECT 1;", "V3__c.sql": "SELECT 3;"},
    "dbmate": {"001_a.sql": "-- migrate:up\nSELECT 1;\n-- migrate:down\n",
               "003_c.sql": "-- migrate:up\nSELECT 3;\n-- migrate:down\n"},
    "goose": {"001_a.sql": "-- +goose Up\nSELECT 1;\n", "003_c.sql": "-- +goose Up\nSELECT 3;\n"},
    "sql-migrate": {"1_a.sql": "-- +migrate Up\nSELECT 1;\n",
                    "3_c.sql": "-- +migrate Up\nSELECT 3;\n"},
}


@pytest.mark.parametrize("convention", sorted(GAPPED))
def test_tools_that_allow_gaps_allow_them_unless_the_setting_says_no(
        tmp_path: Path, convention: str) -> None:
    folder = write(tmp_path / "m", GAPPED[convention])
    history = discover(folder)
    assert history.convention == convention
    assert [m.version[0] for m in history] == [1, 3]
    message = one_line_error(folder, "gap in migration numbering", allow_gaps=False)
    assert "2 is missing before" in message


def test_plain_numbered_files_keep_refusing_gaps_unless_allowed(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"001_a.sql": "SELECT 1;", "003_c.sql": "SELECT 3;"})
    one_line_error(folder, r"003_c\.sql: gap in migration numbering: 002 is missing")
    assert [m.number for m in discover(folder, allow_gaps=True)] == [1, 3]


def test_python_steps_follow_the_gap_rule_of_the_folder_they_join(tmp_path: Path) -> None:
    step = "def upgrade(conn):\n    pass\n"
    folder = write(tmp_path / "m", {"001_a.up.sql": "SELECT 1;", "003_b.py": step})
    assert [m.convention for m in discover(folder)] == ["updown", "python"]
    alone = write(tmp_path / "p", {"001_a.py": step, "003_b.py": step})
    one_line_error(alone, r"003_b\.py: gap in migration numbering: 002 is missing")


# --- defect 13: code a tool runs, folder-per-migration layouts -------------------------------


def test_flyway_java_migration_is_said_in_one_line_and_fills_its_gap(tmp_path: Path) -> None:
    folder = write(tmp_path / "fw", {
        "V1__a.sql": "SELECT 1;",
        "V2_1__BackfillFacets.java": "public class V2_1__BackfillFacets {}",
        "V3__b.sql": "SELECT 2;",
    })
    for gaps in (None, False):  # the Java version counts as present even when strict
        history = discover(folder, allow_gaps=gaps)
        assert [m.label for m in history] == ["V1__a.sql", "V3__b.sql"]
        (note,) = history.notes
        assert note == (f"{folder / 'V2_1__BackfillFacets.java'}: a Java migration (Flyway "
                        "runs it, the plugin cannot): version V2_1 is left out of every check")


def test_goose_go_migration_is_said_in_one_line(tmp_path: Path) -> None:
    folder = write(tmp_path / "g", {
        "00001_a.sql": "-- +goose Up\nCREATE TABLE a (id INT);\n",
        "00002_backfill.go": "package migrations\n",
        "00003_c.sql": "-- +goose Up\nCREATE TABLE c (id INT);\n",
    })
    history = discover(folder, allow_gaps=False)
    assert [m.number for m in history] == [1, 3]
    assert history.notes == (f"{folder / '00002_backfill.go'}: a Go migration (goose runs it, "
                             "the plugin cannot): version 00002 is left out of every check",)


def test_diesel_folders(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    write(folder / "00000000000000_diesel_initial_setup", {"up.sql": "SELECT 0;",
                                                           "down.sql": "SELECT 0;"})
    write(folder / "2023-01-01-120000_create_users", {
        "up.sql": "CREATE TABLE users (id INT);", "down.sql": "DROP TABLE users;",
        "metadata.toml": "run_in_transaction = true\n"})
    write(folder / "2023-02-01-000000_add_email", {"up.sql": "ALTER TABLE users ADD email TEXT;"})
    setup, users, email = discover(folder)
    assert {m.convention for m in (setup, users, email)} == {"diesel"}
    assert users.version == (20230101120000,) and users.number == 20230101120000
    assert users.label == "2023-01-01-120000_create_users/up.sql"
    assert sql(users.down).text == "DROP TABLE users;"
    assert email.down is None
    # the lock names each file by its folder: every migration has an up.sql
    lines = write_lock(folder, [setup, users, email]).read_text().splitlines()
    assert [line.split()[0] for line in lines] == [
        "00000000000000_diesel_initial_setup/down.sql",
        "00000000000000_diesel_initial_setup/up.sql", "2023-01-01-120000_create_users/down.sql",
        "2023-01-01-120000_create_users/up.sql", "2023-02-01-000000_add_email/up.sql"]
    discover(folder)  # and the lock it wrote holds
    (folder / "2023-02-01-000000_add_email" / "up.sql").write_text("SELECT 2;")
    one_line_error(folder, r"add_email/up\.sql was edited after it was locked")


def test_prisma_folders(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    write(folder, {"migration_lock.toml": 'provider = "postgresql"\n'})
    write(folder / "20240101000000_init", {
        "migration.sql": "-- CreateTable\nCREATE TABLE \"User\" (\"id\" SERIAL NOT NULL);"})
    write(folder / "20240301000000_email", {"migration.sql": "ALTER TABLE \"User\" ADD x INT;"})
    init, email = discover(folder)
    assert (init.convention, init.number, init.down) == ("prisma", 20240101000000, None)
    assert email.label == "20240301000000_email/migration.sql"


def test_a_folder_named_like_a_migration_without_its_file_is_refused(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {})
    write(folder / "20240101000000_init", {"migrate.sql": "SELECT 1;"})
    one_line_error(folder, r"20240101000000_init: a folder named like a migration, but with "
                           r"neither up\.sql \(Diesel\) nor migration\.sql \(Prisma\)")


# --- defect 9: dbmate sections as dbmate reads them ----------------------------------------

DBMATE_TWO_SECTIONS = (
    "-- migrate:up\n"                                  # 1
    "CREATE TABLE users (id INT PRIMARY KEY);\n"        # 2
    "\n"                                                # 3
    "-- migrate:down\n"                                 # 4
    "DROP TABLE users;\n"                               # 5
    "\n"                                                # 6
    "-- migrate:up transaction:false\n"                 # 7
    "CREATE TABLE posts (id INT PRIMARY KEY);\n"        # 8
    "-- migrate:down\n"                                 # 9
    "DROP TABLE posts;\n"                               # 10
)


def test_dbmate_several_sections_run_in_file_order_with_their_real_lines(tmp_path: Path) -> None:
    folder = write(tmp_path / "db", {"20250109001424_users_and_posts.sql": DBMATE_TWO_SECTIONS})
    (migration,) = discover(folder)
    assert migration.convention == "dbmate"
    assert lines_of(migration.up) == [(2, "CREATE users"), (8, "CREATE posts")]
    # dbmate's Rollback walks the sections forward: the first section's down runs first
    assert lines_of(migration.down) == [(5, "DROP users"), (10, "DROP posts")]
    assert "posts" not in sql(migration.down).text.split("DROP TABLE users;")[0]


@pytest.mark.parametrize(("text", "line", "says"), [
    ("-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;\n-- migrate:down\n", 1,
     "this `-- migrate:up` section has no `-- migrate:down`, which dbmate refuses"),
    ("-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n-- migrate:down\nSELECT 3;\n", 5,
     "a second `-- migrate:down` in one section"),
    ("CREATE TABLE early (id INT);\n-- migrate:up\nSELECT 1;\n-- migrate:down\n", 1,
     "SQL before the first `-- migrate:up`, which dbmate refuses"),
    ("-- migrate:up\nSELECT 1;\n  -- migrate:down\nSELECT 2;\n-- migrate:down\n", 3,
     "`-- migrate:down` is not a marker dbmate reads"),
    ("-- Migrate:Up\nSELECT 1;\n-- migrate:down\n", 1,
     "`-- Migrate:Up` is not a marker dbmate reads"),
], ids=["section-without-down", "two-downs", "sql-before-up", "indented-down", "uppercase-up"])
def test_dbmate_refuses_what_dbmate_refuses(tmp_path: Path, text: str, line: int,
                                            says: str) -> None:
    folder = write(tmp_path / "db", {"20250109001424_x.sql": text})
    message = one_line_error(folder, "dbmate|section")
    assert message.startswith(f"{folder / '20250109001424_x.sql'}:{line}: {says}"), message


# --- defect 10: sql-migrate, and never a down as an up ---------------------------------------

SQL_MIGRATE = (
    "-- a comment sql-migrate skips\n"                  # 1
    "-- +migrate Up\n"                                  # 2
    "CREATE TABLE people (id INT PRIMARY KEY);\n"       # 3
    "-- +migrate StatementBegin\n"                      # 4
    "CREATE FUNCTION touch() RETURNS trigger AS $$\n"   # 5
    "BEGIN\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n"  # 6-9
    "-- +migrate StatementEnd\n"                        # 10
    "-- +migrate Down\n"                                # 11
    "DROP FUNCTION touch();\n"                          # 12
    "-- +migrate Up\n"                                  # 13
    "CREATE INDEX people_id ON people (id);\n"          # 14
    "-- +migrate Down\n"                                # 15
    "DROP TABLE people;\n"                              # 16
)


def test_sql_migrate_sections(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"1_people.sql": SQL_MIGRATE,
                                    "2_more.sql": "-- +migrate Up\nSELECT 1;\n"})
    people, more = discover(folder)
    assert (people.convention, people.number, more.down) == ("sql-migrate", 1, None)
    assert [line for line, _ in lines_of(people.up)] == [3, 5, 14]
    assert "DROP" not in sql(people.up).text
    assert lines_of(people.down) == [(12, "DROP touch()"), (16, "DROP people")]


@pytest.mark.parametrize(("text", "line", "says"), [
    ("-- +migrate Up\nCREATE TABLE t (id INT);\n-- +migrate down\nDROP TABLE t;\n", 3,
     "`-- +migrate down` is not a command sql-migrate reads"),
    ("CREATE TABLE t (id INT);\n-- +migrate Up\nSELECT 1;\n", 1,
     "SQL above the first `-- +migrate` line, which sql-migrate never runs"),
    ("-- +migrate Down\nDROP TABLE t;\n", 1, "has `-- +migrate Down` but no `-- +migrate Up`"),
], ids=["lowercase-down", "sql-above-up", "down-only"])
def test_sql_migrate_refusals(tmp_path: Path, text: str, line: int, says: str) -> None:
    folder = write(tmp_path / "m", {"1_x.sql": text})
    message = one_line_error(folder, "sql-migrate|migrate")
    assert message.startswith(f"{folder / '1_x.sql'}:{line}: {says}"), message


@pytest.mark.parametrize(("name", "text", "line", "tool"), [
    ("001_x.sql", "CREATE TABLE t (id INT);\n---- create above / drop below ----\nDROP TABLE t;\n",
     2, "tern"),
    ("001_x.sql", "-- Up Migration\nCREATE TABLE t (id INT);\n-- Down Migration\nDROP TABLE t;\n",
     3, "node-pg-migrate"),
    ("001_x.sql", "CREATE TABLE t (id INT);\n-- //@UNDO\nDROP TABLE t;\n", 2,
     "MyBatis Migrations"),
    ("001_x.up.sql", "CREATE TABLE t (id INT);\n-- +goose Down\nDROP TABLE t;\n", 2, "goose"),
    ("001_x.up.sql", "CREATE TABLE t (id INT);\n-- migrate:down\nDROP TABLE t;\n", 2, "dbmate"),
    ("V1__x.sql", "CREATE TABLE t (id INT);\n-- +migrate Down\nDROP TABLE t;\n", 2,
     "sql-migrate"),
    ("001_x.sql", "-- migrate:up\nCREATE TABLE t (id INT);\n-- +goose Down\nDROP TABLE t;\n"
     "-- migrate:down\n", 3, "goose"),
], ids=["tern", "node-pg-migrate", "mybatis", "goose-in-up-file", "dbmate-in-up-file",
        "sql-migrate-in-flyway", "goose-in-dbmate"])
def test_a_down_marker_the_reader_does_not_read_is_refused(
        tmp_path: Path, name: str, text: str, line: int, tool: str) -> None:
    folder = write(tmp_path / "m", {name: text})
    message = one_line_error(folder, "down marker")
    assert message.startswith(f"{folder / name}:{line}: `"), message
    assert f"is a down marker ({tool})" in message
    assert "the SQL below it would run as part of the up" in message


def test_goose_refusals_name_the_line(tmp_path: Path) -> None:
    folder = write(tmp_path / "g", {"001_x.sql": "-- +goose Up\nSELECT 1;\n  -- +goose Down\n"})
    one_line_error(folder, r"001_x\.sql:3: `-- \+goose Down` is indented, and goose refuses")
    write(folder, {"001_x.sql": "SELECT 0;\n-- +goose Up\nSELECT 1;\n"})
    one_line_error(folder, r"001_x\.sql:1: SQL before `-- \+goose Up`, which goose refuses")
    write(folder, {"001_x.sql": "-- +goose Up\nSELECT 1;\n-- +goose Down\n-- +goose down\n"})
    one_line_error(folder, r"001_x\.sql:4: a second `-- \+goose Down` line; goose refuses it")
    write(folder, {"001_x.sql": "-- +goose Down\nSELECT 1;\n-- +goose Up\n"})
    one_line_error(folder, r"001_x\.sql:1: has `-- \+goose Down` but no `-- \+goose Up`")


# --- defect 11: the tool's own table, when the history uses it ------------------------------


@pytest.mark.parametrize(("files", "table"), [
    ({"001_a.up.sql": "CREATE VIEW v AS SELECT version FROM schema_migrations;"},
     "schema_migrations"),
    ({"001_a.sql": "-- migrate:up\nGRANT SELECT ON schema_migrations TO app;\n-- migrate:down\n"},
     "schema_migrations"),
    ({"001_a.sql": "-- +goose Up\nGRANT SELECT ON goose_db_version TO app;\n"},
     "goose_db_version"),
    ({"V1__a.sql": 'GRANT SELECT ON "flyway_schema_history" TO app;'}, "flyway_schema_history"),
])
def test_a_history_that_names_its_tools_table_gets_that_tables_bookkeeping(
        tmp_path: Path, files: dict[str, str], table: str) -> None:
    history = discover(write(tmp_path / "m", files))
    assert [b.table for b in readers.bookkeeping_for(history)] == [table]


def test_a_history_that_does_not_name_it_gets_none(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"001_a.up.sql": "CREATE TABLE schema_migrations_old (x);"})
    assert readers.bookkeeping_for(discover(folder)) == ()


# --- the interface takes a reader whose steps are applied through a tool's API --------------


class FakeToolApi:
    """Stands for a tool's own API (Alembic's `command.upgrade`): it applies a step."""

    def __init__(self) -> None:
        self.applied: list[str] = []

    def upgrade(self, conn: object, revision: str) -> None:
        self.applied.append(revision)
        conn.exec_driver_sql(f"CREATE TABLE t_{revision} (id INTEGER)")  # type: ignore[attr-defined]


class RevisionReader(Reader):
    """Claims `<n>_<rev>.rev` files; each step is a callable, not SQL text."""

    name = "revisions"
    label = "revisions (N_rev.rev)"
    example = "1_abc.rev"

    def __init__(self, api: FakeToolApi) -> None:
        self.api = api

    def claim(self, path: Path) -> list[Claim] | None:
        if path.suffix != ".rev":
            return None
        number, _, revision = path.stem.partition("_")
        return [Claim(path, self, "up", (int(number),), number, revision)]

    def migration(self, group: Group) -> Migration:
        up = group.up
        assert up is not None
        step = PythonStep(up.path, lambda conn, r=up.description: self.api.upgrade(conn, r))
        return Migration(up.version, up.version_text, up.description, self.name, step)


def test_a_registered_reader_whose_steps_are_callables_runs_through_the_runner(
        tmp_path: Path) -> None:
    import sqlalchemy as sa

    from pytest_dualwrite.migrations.runner import Runner

    api = FakeToolApi()
    reader = RevisionReader(api)
    readers.register(reader)
    try:
        folder = write(tmp_path / "m", {"1_abc.rev": "", "2_def.rev": ""})
        history = discover(folder)
    finally:
        readers.unregister(reader)
    assert history.convention == "revisions"
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    runner = Runner(history, "sqlite", "sqlite")
    runner.migrate_to_index_engine(engine, 2)
    assert api.applied == ["abc", "def"]
    with engine.connect() as conn:
        assert runner.current(conn) == 2
        assert {"t_abc", "t_def"} <= set(sa.inspect(conn).get_table_names())
    with pytest.raises(MigrationError, match="no migrations found"):
        discover(folder)  # unregistered, nothing reads .rev files


FUNCTION = ("CREATE FUNCTION touch() RETURNS trigger AS $body$\n"
            "BEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$body$ LANGUAGE plpgsql;\n")


@pytest.mark.parametrize(("marker", "tool"), [("-- +goose Up", "goose"),
                                              ("-- +migrate Up", "sql-migrate")])
def test_a_function_body_the_tool_would_cut_at_a_semicolon_is_refused(
        tmp_path: Path, marker: str, tool: str) -> None:
    """goose and sql-migrate end a statement at every line ending in `;` unless the
    statement sits between StatementBegin and StatementEnd: unwrapped, the function
    reaches the server cut after `NEW.updated_at := now();`."""
    folder = write(tmp_path / "m", {"1_touch.sql": f"{marker}\n{FUNCTION}"})
    prefix = marker.rsplit(" ", 1)[0]
    message = one_line_error(folder, "cut in two")
    assert message == (
        f"{folder / '1_touch.sql'}:4: {tool} ends a statement at this line (it ends in `;`), "
        f"inside the $body$ body opened at line 2, so the server gets it cut in two; wrap "
        f"the statement in `{prefix} StatementBegin` / `{prefix} StatementEnd`")
    wrapped = f"{marker}\n{prefix} StatementBegin\n{FUNCTION}{prefix} StatementEnd\n"
    write(folder, {"1_touch.sql": wrapped})
    (migration,) = discover(folder)
    assert [line for line, _ in lines_of(migration.up)] == [3]
