"""Discovery reads every supported convention and refuses, in one line, a folder that lies."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from pytest_dualwrite.errors import MigrationError
from pytest_dualwrite.migrations.discovery import (
    atlas_sum,
    check_atlas_sum,
    check_lock,
    discover,
    file_digest,
    migration_files,
    write_lock,
)
from pytest_dualwrite.migrations.model import PythonStep, SqlSource

CREATE_USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n"


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def one_line_error(folder: Path, match: str, **kwargs: object) -> str:
    """Discover, expect a MigrationError matching `match`, and check it is one line."""
    with pytest.raises(MigrationError, match=match) as info:
        discover(folder, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    return message


def sql(source: SqlSource | PythonStep | None) -> SqlSource:
    assert isinstance(source, SqlSource)
    return source


# --- conventions ----------------------------------------------------------------------


def test_numbered_from_zero(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "000_create_users_table.sql": CREATE_USERS,
        "001_add_email.sql": "ALTER TABLE users ADD COLUMN email TEXT;\n",
        "003_add_messages_table.sql": "CREATE TABLE messages (id INTEGER);\n",
        "002_index_email.sql": "CREATE INDEX ix ON users (email);\n",
    })
    migrations = discover(folder)
    assert [m.version for m in migrations] == [(0,), (1,), (2,), (3,)]
    assert [m.version_text for m in migrations] == ["000", "001", "002", "003"]
    assert [m.number for m in migrations] == [0, 1, 2, 3]
    assert migrations[0].description == "create_users_table"
    assert migrations[3].label == "003_add_messages_table.sql"
    assert {m.convention for m in migrations} == {"numbered"}
    first = sql(migrations[0].up)
    assert (first.path, first.text, first.first_line) == (
        folder / "000_create_users_table.sql", CREATE_USERS, 1,
    )
    assert all(m.down is None and not m.stand_ins for m in migrations)


def test_numbered_from_one_and_path_given_as_text(tmp_path: Path) -> None:
    write(tmp_path / "m", {"1_a.sql": CREATE_USERS, "2_b.sql": "SELECT 1;"})
    migrations = discover(str(tmp_path / "m"))
    assert [m.number for m in migrations] == [1, 2]


def test_updown_pairs(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "001_users.up.sql": CREATE_USERS,
        "001_users.down.sql": "DROP TABLE users;\n",
        "002_email.up.sql": "ALTER TABLE users ADD COLUMN email TEXT;\n",
        "003_noop_down.up.sql": "CREATE INDEX ix ON users (email);\n",
        "003_noop_down.down.sql": "\n-- nothing to undo\n",
    })
    first, second, third = discover(folder)
    assert first.convention == "updown"
    assert first.description == "users"
    assert sql(first.up).path.name == "001_users.up.sql"
    assert sql(first.down).text == "DROP TABLE users;\n"
    assert second.down is None  # the down file is optional
    assert third.down is None  # an empty down (the `migrate create` template) is no down


def test_dbmate_sections_point_at_their_real_lines(tmp_path: Path) -> None:
    folder = write(tmp_path / "db", {
        "20250109001424_create_users.sql": (
            "-- a header comment\n"
            "-- migrate:up\n"
            "CREATE TABLE users (id INTEGER);\n"
            "\n"
            "-- migrate:down\n"
            "DROP TABLE users;\n"
        ),
        "20250301120000_add_email.sql": (
            "-- migrate:up transaction:false\n"
            "ALTER TABLE users ADD COLUMN email TEXT;\n"
            "-- migrate:down\n"
            "\n"
        ),
    })
    users, email = discover(folder)
    assert users.convention == email.convention == "dbmate"
    assert users.version == (20250109001424,)
    assert users.number == 20250109001424
    assert users.description == "create_users"
    up, down = sql(users.up), sql(users.down)
    assert (up.first_line, up.text) == (3, "CREATE TABLE users (id INTEGER);\n\n")
    assert (down.first_line, down.text) == (6, "DROP TABLE users;\n")
    lines = (folder / "20250109001424_create_users.sql").read_text().splitlines()
    assert lines[up.first_line - 1] == "CREATE TABLE users (id INTEGER);"
    assert lines[down.first_line - 1] == "DROP TABLE users;"
    assert sql(email.up).first_line == 2
    assert email.down is None  # `dbmate new` leaves an empty down section


def test_goose_sections_are_split_too(tmp_path: Path) -> None:
    folder = write(tmp_path / "g", {
        "20240101000000_users.sql": (
            "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE users (id INTEGER);\n"
            "-- +goose StatementEnd\n-- +goose Down\nDROP TABLE users;\n"
        ),
    })
    (migration,) = discover(folder)
    assert migration.convention == "goose"  # its own reader (bookkeeping goose_db_version)
    assert "DROP" not in sql(migration.up).text
    assert sql(migration.down).text == "DROP TABLE users;\n"
    assert sql(migration.down).first_line == 6


def test_timestamps_without_markers_allow_gaps(tmp_path: Path) -> None:
    folder = write(tmp_path / "atlas", {
        "20250109001424.sql": CREATE_USERS,
        "20250110093000_add_email.sql": "ALTER TABLE users ADD COLUMN email TEXT;\n",
        "20250301000000_add_index.sql": "CREATE INDEX ix ON users (email);\n",
    })
    migrations = discover(folder)
    assert [m.version_text for m in migrations] == [
        "20250109001424", "20250110093000", "20250301000000",
    ]
    assert [m.description for m in migrations] == ["", "add_email", "add_index"]
    assert {m.convention for m in migrations} == {"timestamp"}


def test_flyway_dotted_versions_undo_and_repeatables(tmp_path: Path) -> None:
    folder = write(tmp_path / "fw", {
        "V1__create_users.sql": CREATE_USERS,
        "U1__drop_users.sql": "DROP TABLE users;\n",
        "V1_1__add_email.sql": "ALTER TABLE users ADD COLUMN email TEXT;\n",
        "V2.1__add_index.sql": "CREATE INDEX ix ON users (email);\n",
        "V2__add_name.sql": "ALTER TABLE users ADD COLUMN nick TEXT;\n",
        "V10__later.sql": "SELECT 1;\n",
        "R__views.sql": "CREATE VIEW v AS SELECT 1;\n",
        "R__a_functions.sql": "SELECT 2;\n",
    })
    # V10 after V2.1: numeric tuples, not text order. V3..V9 missing -> allow gaps here.
    migrations = discover(folder, allow_gaps=True)
    assert [m.version for m in migrations[:5]] == [(1,), (1, 1), (2,), (2, 1), (10,)]
    assert [m.version_text for m in migrations[:5]] == ["1", "1_1", "2", "2.1", "10"]
    assert migrations[1].number == "1_1"
    assert {m.convention for m in migrations} == {"flyway"}
    assert sql(migrations[0].down).path.name == "U1__drop_users.sql"
    assert [m.label for m in migrations[5:]] == ["R__a_functions.sql", "R__views.sql"]
    assert all(m.repeatable for m in migrations[5:])
    assert not any(m.repeatable for m in migrations[:5])


def test_flyway_stand_ins(tmp_path: Path) -> None:
    folder = write(tmp_path / "fw", {
        "V1__users.sql": CREATE_USERS,
        "U1__users.sql": "DROP TABLE users;",
        "V1__users.sqlite.sql": "CREATE TABLE users (id INTEGER);",
        "U1__users.sqlite.sql": "DROP TABLE IF EXISTS users;",
    })
    (migration,) = discover(folder)
    assert sorted(migration.stand_ins) == ["sqlite", "sqlite:down"]
    assert migration.stand_ins["sqlite:down"].path.name == "U1__users.sqlite.sql"


def test_flyway_fifty_five_files(tmp_path: Path) -> None:
    files = {f"V{n}__step_{n}.sql": f"SELECT {n};\n" for n in range(1, 46)}
    dotted = ["V3.1", "V3.2", "V7_1", "V7_2", "V7_2_1", "V20.5", "V44.1"]
    files |= {f"{v}__dotted.sql": "SELECT 0;\n" for v in dotted}
    files |= {"R__refresh_views.sql": "SELECT 1;\n", "R__grants.sql": "SELECT 2;\n"}
    files["U45__undo_last.sql"] = "SELECT 3;\n"
    assert len(files) == 55
    migrations = discover(write(tmp_path / "fw", files))
    assert len(migrations) == 54  # the undo file is the down of V45
    versions = [m.version for m in migrations if not m.repeatable]
    assert versions == sorted(versions)
    assert versions[:5] == [(1,), (2,), (3,), (3, 1), (3, 2)]
    assert (7, 2, 1) in versions
    assert versions.index((7, 2, 1)) == versions.index((7, 2)) + 1 < versions.index((8,))
    assert [m.label for m in migrations[-2:]] == ["R__grants.sql", "R__refresh_views.sql"]
    assert sql(migrations[-3].down).path.name == "U45__undo_last.sql"


def test_flyway_trailing_zero_is_the_same_version(tmp_path: Path) -> None:
    folder = write(tmp_path / "fw", {"V1__a.sql": "SELECT 1;", "V1.0__b.sql": "SELECT 2;"})
    message = one_line_error(folder, "duplicate migration version")
    assert "V1__a.sql" in message and "V1.0__b.sql" in message


def test_python_steps_mixed_into_a_numbered_history(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "001_users.sql": CREATE_USERS,
        "002_backfill_names.py": (
            "DUALWRITE_DROPS = ['Accounts.Display_Name']\n"
            "def upgrade(conn):\n    conn.append('up')\n"
            "def downgrade(conn):\n    conn.append('down')\n"
        ),
        "003_data_only.py": "def upgrade(conn):\n    conn.append('three')\n",
        "_helpers.py": "raise RuntimeError('helpers are not migrations')\n",
    })
    users, backfill, data_only = discover(folder)
    assert users.convention == "numbered"
    assert backfill.convention == "python"
    assert (backfill.number, backfill.description) == (2, "backfill_names")
    assert isinstance(backfill.up, PythonStep)
    assert backfill.up.path == folder / "002_backfill_names.py"
    calls: list[str] = []
    backfill.up.upgrade(calls)
    assert backfill.up.downgrade is not None
    backfill.up.downgrade(calls)
    assert calls == ["up", "down"]
    assert backfill.down is backfill.up  # the step carries its own downgrade
    assert backfill.declared_drops == frozenset({"accounts.display_name"})
    assert isinstance(data_only.up, PythonStep)
    assert data_only.up.downgrade is None and data_only.down is None


def test_python_steps_with_the_same_name_in_two_folders_do_not_collide(tmp_path: Path) -> None:
    for which in ("a", "b"):
        source = f"def upgrade(conn):\n    conn.append({which!r})\n"
        write(tmp_path / which, {"001_step.py": source})
    calls: list[str] = []
    for which in ("a", "b"):
        (step,) = discover(tmp_path / which)
        assert isinstance(step.up, PythonStep)
        step.up.upgrade(calls)
    assert calls == ["a", "b"]


def test_files_that_are_not_migrations_are_ignored(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "001_users.sql": CREATE_USERS,
        "README.md": "how we migrate",
        "README": "plain readme",
        ".hidden.sql": "not me",
        ".gitkeep": "",
        "__init__.py": "",
        "conftest.py": "import this_does_not_exist\n",
        "atlas.hcl": "env {}",
        "notes.txt": "x",
    })
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.sql").write_text("junk")
    (folder / "archive").mkdir()
    (folder / "archive" / "old.sql").write_text("junk")
    assert [m.label for m in discover(folder)] == ["001_users.sql"]


# --- stand-ins and declared drops -----------------------------------------------------


def test_per_dialect_stand_ins(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "001_users.sql": CREATE_USERS,
        "002_trigger.sql": "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN END $$;",
        "002_trigger.sqlite.sql": "CREATE TRIGGER t AFTER INSERT ON users BEGIN SELECT 1; END;",
        "002_trigger.mysql.sql": "SELECT 1;",
        "002_trigger.postgresql.sql": "SELECT 2;",
    })
    users, trigger = discover(folder)
    assert users.stand_ins == {}
    assert sorted(trigger.stand_ins) == ["mysql", "postgres", "sqlite"]
    assert trigger.stand_ins["sqlite"].path.name == "002_trigger.sqlite.sql"
    assert trigger.stand_ins["sqlite"].text.startswith("CREATE TRIGGER")
    assert sql(trigger.up).path.name == "002_trigger.sql"


def test_updown_stand_ins_include_the_down(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "001_users.up.sql": CREATE_USERS,
        "001_users.down.sql": "DROP TABLE users;",
        "001_users.sqlite.up.sql": "CREATE TABLE users (id INTEGER);",
        "001_users.sqlite.down.sql": "DROP TABLE IF EXISTS users;",
    })
    (migration,) = discover(folder)
    assert migration.stand_ins["sqlite"].text == "CREATE TABLE users (id INTEGER);"
    assert migration.stand_ins["sqlite:down"].text == "DROP TABLE IF EXISTS users;"
    assert migration.stand_ins["sqlite:down"].path.name == "001_users.sqlite.down.sql"


def test_dbmate_stand_in_keeps_its_sections(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        # dbmate refuses a file without `-- migrate:down`; an empty down is no down
        "20250109001424_users.sql": "-- migrate:up\nCREATE TABLE users (id INT);\n"
                                    "-- migrate:down\n",
        "20250109001424_users.sqlite.sql": (
            "-- migrate:up\nCREATE TABLE users (id INTEGER);\n-- migrate:down\nDROP TABLE users;\n"
        ),
    })
    (migration,) = discover(folder)
    assert migration.stand_ins["sqlite"].text == "CREATE TABLE users (id INTEGER);\n"
    assert migration.stand_ins["sqlite:down"].first_line == 4


def test_stand_in_without_its_migration(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"001_a.sql": "SELECT 1;", "002_b.sqlite.sql": "SELECT 2;"})
    message = one_line_error(folder, r"002_b\.sqlite\.sql: a per-dialect stand-in without")
    assert "002" in message


def test_declared_drops(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "001_users.sql": CREATE_USERS,
        "002_contract.sql": (
            "-- dualwrite: drops accounts.Display_Name, accounts.nick\n"
            "ALTER TABLE accounts DROP COLUMN display_name;\n"
            "  --dualwrite: drops legacy_sessions old_audit\n"
            "DROP TABLE legacy_sessions;\n"
        ),
    })
    users, contract = discover(folder)
    assert users.declared_drops == frozenset()
    assert contract.declared_drops == frozenset(
        {"accounts.display_name", "accounts.nick", "legacy_sessions", "old_audit"}
    )


def test_declared_drops_only_count_in_the_up_section(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "20250109001424_x.sql": (
            "-- dualwrite: drops header_table\n-- migrate:up\n-- dualwrite: drops t.c\n"
            "ALTER TABLE t DROP COLUMN c;\n-- migrate:down\n-- dualwrite: drops t\nDROP TABLE t;\n"
        ),
    })
    (migration,) = discover(folder)
    assert migration.declared_drops == frozenset({"header_table", "t.c"})


def test_declared_drops_naming_nothing(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"001_x.sql": "SELECT 1;\n-- dualwrite: drops\n"})
    one_line_error(folder, r"001_x\.sql:2: `-- dualwrite: drops` names nothing")


def test_python_drops_must_be_strings(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "001_x.py": "DUALWRITE_DROPS = [1]\ndef upgrade(conn):\n    pass\n",
    })
    one_line_error(folder, r"001_x\.py: DUALWRITE_DROPS must be a list")


# --- validation -----------------------------------------------------------------------


def test_missing_folder(tmp_path: Path) -> None:
    message = one_line_error(tmp_path / "nope", "does not exist")
    assert str(tmp_path / "nope") in message
    assert "dualwrite_migrations" in message


def test_folder_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "file.sql").write_text("SELECT 1;")
    message = one_line_error(tmp_path / "file.sql", "is not a folder")
    assert "dualwrite_migrations" in message


def test_folder_without_migrations(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"README.md": "nothing here"})
    message = one_line_error(folder, "no migrations found")
    assert str(folder) in message and "dualwrite_migrations" in message


def test_gap_in_numbering(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "001_a.sql": "SELECT 1;", "002_b.sql": "SELECT 2;", "004_d.sql": "SELECT 4;",
    })
    message = one_line_error(folder, r"gap in migration numbering: 003 is missing before 004_d")
    assert message.startswith(str(folder / "004_d.sql"))
    assert "dualwrite_allow_gaps = true" in message
    assert [m.number for m in discover(folder, allow_gaps=True)] == [1, 2, 4]


def test_wide_gap_names_the_range(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"0001_a.sql": "SELECT 1;", "0005_b.sql": "SELECT 2;"})
    one_line_error(folder, r"0002 to 0004 is missing before 0005_b\.sql")


def test_numbering_must_start_at_zero_or_one(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"002_b.sql": "SELECT 2;", "003_c.sql": "SELECT 3;"})
    one_line_error(folder, r"002_b\.sql: migration numbering starts at 002, so 001 is missing")


def test_flyway_gap_in_major_versions(tmp_path: Path) -> None:
    """Flyway allows gaps (its own rule); dualwrite_allow_gaps = false still refuses them."""
    folder = write(tmp_path / "fw", {
        "V1__a.sql": "SELECT 1;", "V2.1__b.sql": "SELECT 2;", "V4__d.sql": "SELECT 4;",
    })
    assert [m.version_text for m in discover(folder)] == ["1", "2.1", "4"]
    one_line_error(folder, r"V3 is missing before V4__d\.sql", allow_gaps=False)


def test_duplicate_version_names_both_files(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "001_a.sql": "SELECT 1;", "002_b.sql": "SELECT 2;", "002_c.sql": "SELECT 3;",
    })
    message = one_line_error(folder, "duplicate migration version 002")
    assert "002_b.sql" in message and "002_c.sql" in message


def test_sql_and_python_with_the_same_number_are_duplicates(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"001_a.sql": "SELECT 1;", "001_a.py": "def upgrade(c): pass\n"})
    message = one_line_error(folder, "duplicate migration version 001")
    assert "001_a.py" in message and "001_a.sql" in message


@pytest.mark.parametrize(
    ("files", "names"),
    [
        ({"V1__x.sql": "SELECT 1;", "002_y.sql": "SELECT 2;"}, ("V1__x.sql", "002_y.sql")),
        ({"001_x.up.sql": "SELECT 1;", "002_y.sql": "SELECT 2;"}, ("001_x.up.sql", "002_y.sql")),
        ({"V1__x.sql": "SELECT 1;", "002_y.py": "def upgrade(c): pass\n"}, ("V1__x", "002_y.py")),
        (
            {"001_x.sql": "-- migrate:up\nSELECT 1;", "002_y.sql": "SELECT 2;"},
            ("001_x.sql", "002_y.sql"),
        ),
    ],
)
def test_mixed_conventions(tmp_path: Path, files: dict[str, str], names: tuple[str, str]) -> None:
    message = one_line_error(write(tmp_path / "m", files), "mixes migration conventions")
    assert all(name in message for name in names)


def test_empty_file(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"001_a.sql": "SELECT 1;", "002_b.sql": "  \n-- todo\n"})
    one_line_error(folder, r"002_b\.sql: empty migration")


def test_empty_up_section(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "20250109001424_a.sql": "-- migrate:up\n\n-- migrate:down\nDROP TABLE a;\n",
    })
    one_line_error(folder, r"20250109001424_a\.sql:2: the up section is empty")


def test_down_without_up(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "001_a.up.sql": "SELECT 1;", "002_b.down.sql": "SELECT 2;",
    })
    one_line_error(folder, r"002_b\.down\.sql: a down migration without its up migration "
                           r"\(002_b\.up\.sql\)")


def test_flyway_undo_without_versioned(tmp_path: Path) -> None:
    folder = write(tmp_path / "fw", {"V1__a.sql": "SELECT 1;", "U2__b.sql": "SELECT 2;"})
    one_line_error(folder, r"U2__b\.sql: an undo migration without its V2__ migration")


def test_dbmate_down_without_up(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "20250109001424_a.sql": "CREATE TABLE a (id INT);\n-- migrate:down\nDROP TABLE a;\n",
    })
    one_line_error(folder, r"20250109001424_a\.sql:2: has `-- migrate:down` but no "
                           r"`-- migrate:up`")


def test_dbmate_down_before_up(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "20250109001424_a.sql": "-- migrate:down\nDROP TABLE a;\n-- migrate:up\nSELECT 1;\n",
    })
    one_line_error(folder, r"20250109001424_a\.sql:1: the down section comes before")


def test_python_without_upgrade(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"001_a.py": "def downgrade(conn):\n    pass\n"})
    message = one_line_error(folder, r"001_a\.py: defines no callable upgrade\(conn\)")
    assert message.startswith(str(folder / "001_a.py"))


def test_python_that_fails_to_import(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "001_a.py": "import no_such_module_for_dualwrite\ndef upgrade(conn):\n    pass\n",
    })
    one_line_error(
        folder,
        r"001_a\.py: failed to import: ModuleNotFoundError: "
        r"No module named 'no_such_module_for_dualwrite'$",
    )


def test_python_with_a_syntax_error(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"001_a.py": "def upgrade(conn)\n    pass\n"})
    message = one_line_error(folder, r"001_a\.py: failed to import: SyntaxError")
    assert "line 1" in message


def test_python_raising_a_multiline_error_still_gives_one_line(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"001_a.py": "raise ValueError('first\\nsecond')\n"})
    one_line_error(folder, r"failed to import: ValueError: first$")


@pytest.mark.parametrize("name", ["abc.sql", "v1__lowercase.sql", "1-create.sql", "1-x.py"])
def test_name_that_fits_no_convention(tmp_path: Path, name: str) -> None:
    folder = write(tmp_path / "m", {"001_a.sql": "SELECT 1;", name: "SELECT 2;"})
    message = one_line_error(folder, "file name fits no migration convention")
    assert message.startswith(str(folder / name))


def test_flyway_with_up_suffix(tmp_path: Path) -> None:
    folder = write(tmp_path / "fw", {"V1__a.up.sql": "SELECT 1;"})
    one_line_error(folder, r"V1__a\.up\.sql: Flyway file names have no \.up/\.down part")


def test_not_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "001_a.sql").write_bytes(b"SELECT '\xff';")
    one_line_error(folder, r"001_a\.sql: not UTF-8 text")


# --- lock file ------------------------------------------------------------------------


def test_lock_file_records_every_file(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "001_users.up.sql": CREATE_USERS,
        "001_users.down.sql": "DROP TABLE users;",
        "001_users.sqlite.up.sql": "CREATE TABLE users (id INTEGER);",
        "002_step.up.sql": "SELECT 2;",
        "003_data.py": "def upgrade(conn):\n    pass\n",
    })
    migrations = discover(folder)
    lock_path = write_lock(folder, migrations)
    assert lock_path == folder / "migrations.lock"
    lines = lock_path.read_text().splitlines()
    names = [line.split(" ")[0] for line in lines]
    assert names == sorted(names) == [
        "001_users.down.sql", "001_users.sqlite.up.sql", "001_users.up.sql",
        "002_step.up.sql", "003_data.py",
    ]
    digest = hashlib.sha256(CREATE_USERS.encode()).hexdigest()
    assert f"001_users.up.sql sha256:{digest}" in lines
    assert all(re.fullmatch(r"\S+ sha256:[0-9a-f]{64}", line) for line in lines)
    assert [p.name for p in migration_files(migrations)] == names
    # The lock itself is not a migration, and the untouched files pass its check.
    assert [m.label for m in discover(folder)] == [m.label for m in migrations]


def test_edited_locked_file_is_refused(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"001_a.sql": "SELECT 1;", "002_b.sql": "SELECT 2;"})
    write_lock(folder, discover(folder))
    (folder / "002_b.sql").write_text("SELECT 22;")
    message = one_line_error(folder, r"002_b\.sql was edited after it was locked")
    assert "revert it or add a new migration" in message
    assert f"python -m pytest_dualwrite lock {folder}" in message
    assert len(discover(folder, lock=False)) == 2  # the lock command reads without checking


def test_files_newer_than_the_lock_are_fine(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"001_a.sql": "SELECT 1;"})
    write_lock(folder, discover(folder))
    write(folder, {"002_b.sql": "SELECT 2;"})
    assert [m.number for m in discover(folder)] == [1, 2]


def test_locked_file_that_disappeared(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"001_a.sql": "SELECT 1;", "002_b.sql": "SELECT 2;"})
    write_lock(folder, discover(folder))
    (folder / "002_b.sql").rename(folder / "002_renamed.sql")
    one_line_error(folder, r"002_b\.sql is in migrations\.lock but no longer in the folder")


def test_locked_down_file_emptied_counts_as_edited(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"001_a.up.sql": "SELECT 1;", "001_a.down.sql": "SELECT 0;"})
    write_lock(folder, discover(folder))
    (folder / "001_a.down.sql").write_text("")
    one_line_error(folder, r"001_a\.down\.sql was edited after it was locked")


def test_lock_ignores_line_endings(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"001_a.sql": "SELECT 1;\nSELECT 2;\n"})
    write_lock(folder, discover(folder))
    (folder / "001_a.sql").write_bytes(b"SELECT 1;\r\nSELECT 2;\r\n")
    discover(folder)
    assert file_digest(folder / "001_a.sql") == "sha256:" + hashlib.sha256(
        b"SELECT 1;\nSELECT 2;\n"
    ).hexdigest()


def test_unreadable_lock_line(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"001_a.sql": "SELECT 1;", "migrations.lock": "001_a.sql md5:x"})
    one_line_error(folder, r"migrations\.lock:1: not a lock line")


def test_check_lock_without_a_lock_file_checks_nothing(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"001_a.sql": "SELECT 1;"})
    check_lock(folder, discover(folder))


# --- Atlas atlas.sum ------------------------------------------------------------------

ATLAS_FILES = {
    "20250109001424.sql": "CREATE TABLE users (id int);\n",
    "20250110093000_add_email.sql": "ALTER TABLE users ADD COLUMN email text;\n",
}
# What `atlas migrate hash` writes for ATLAS_FILES (the algorithm was checked against the
# atlas.sum files in ariga/atlas's own test data).
ATLAS_SUM_TEXT = (
    "h1:qj2zT6SbL5pcHM68CQ+jucFsz5FN48Aw9mEm4j9kqV0=\n"
    "20250109001424.sql h1:UslXjT8PJyoeKXJse4X7hszRWrYFezg2xidTa4XCpSk=\n"
    "20250110093000_add_email.sql h1:SDUed9Wbg0IRc92NQiE2CFhzPkH0yKfk8U2gO5zDQW8=\n"
)


def chained_hashes(files: dict[str, bytes]) -> list[str]:
    """Atlas's per-file hash spelled out: one SHA-256 over name, bytes, name, bytes..."""
    running = hashlib.sha256()
    out = []
    for name in sorted(files):
        running.update(name.encode() + files[name])
        out.append(base64.b64encode(running.digest()).decode())
    return out


def atlas_folder(tmp_path: Path) -> Path:
    folder = write(tmp_path / "atlas", ATLAS_FILES)
    (folder / "atlas.sum").write_text(ATLAS_SUM_TEXT)
    return folder


def test_atlas_sum_matches_the_chained_hash(tmp_path: Path) -> None:
    folder = write(tmp_path / "atlas", ATLAS_FILES)
    assert atlas_sum(folder) == ATLAS_SUM_TEXT
    expected = chained_hashes({k: v.encode() for k, v in ATLAS_FILES.items()})
    assert [line.split(" h1:")[1] for line in ATLAS_SUM_TEXT.splitlines()[1:]] == expected


def test_good_atlas_folder_is_discovered(tmp_path: Path) -> None:
    folder = atlas_folder(tmp_path)
    migrations = discover(folder)
    assert [m.version_text for m in migrations] == ["20250109001424", "20250110093000"]
    assert {m.convention for m in migrations} == {"atlas"}
    check_atlas_sum(folder)


def test_tampered_atlas_file_is_refused(tmp_path: Path) -> None:
    folder = atlas_folder(tmp_path)
    (folder / "20250109001424.sql").write_text("CREATE TABLE users (id bigint);\n")
    message = one_line_error(folder, r"20250109001424\.sql was edited after atlas\.sum was written")
    assert "atlas migrate hash" in message
    assert "20250110093000" not in message  # the first changed file, not every later one


def test_hand_edited_atlas_sum_is_refused(tmp_path: Path) -> None:
    folder = atlas_folder(tmp_path)
    lines = ATLAS_SUM_TEXT.splitlines()
    lines[2] = lines[2].replace("SDUe", "XXXX")
    (folder / "atlas.sum").write_text("\n".join(lines) + "\n")
    one_line_error(folder, r"atlas\.sum: its h1: checksum does not match the lines below it")


def test_unhashed_and_removed_atlas_files(tmp_path: Path) -> None:
    folder = atlas_folder(tmp_path)
    write(folder, {"20250201000000_new.sql": "SELECT 1;\n"})
    one_line_error(folder, r"20250201000000_new\.sql is not in atlas\.sum")
    (folder / "20250201000000_new.sql").unlink()
    (folder / "20250110093000_add_email.sql").unlink()
    one_line_error(folder, r"20250110093000_add_email\.sql is in atlas\.sum but no longer")


def test_atlas_sum_ignore_directive(tmp_path: Path) -> None:
    folder = write(tmp_path / "atlas", ATLAS_FILES)
    write(folder, {"20250105000000_seed.sql": "-- atlas:sum ignore\nINSERT INTO t VALUES (1);\n"})
    text = atlas_sum(folder)
    assert "20250105000000_seed.sql" not in text
    files = {k: v.encode() for k, v in ATLAS_FILES.items()}
    # The ignored file still feeds its name (only) into the chain.
    expected = chained_hashes({"20250105000000_seed.sql": b"", **files})[1:]
    assert [line.split(" h1:")[1] for line in text.splitlines()[1:]] == expected
