"""The dialect layer: splitting migrations, and running Postgres SQL on SQLite and Postgres.

The history tests apply real Postgres migrations on both backends (`any_engine`) and then
check behaviour, not text: defaults fill in, cascades delete, CHECKs reject, SERIALs count.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from pytest_dualwrite.errors import MigrationError
from pytest_dualwrite.migrations.dialects import (
    ApplyTimeStatement,
    TranspileContext,
    expand_at_apply,
    for_dialect,
    install_sqlite_functions,
    prepare,
    split,
)
from pytest_dualwrite.migrations.model import Migration, SqlSource, Statement


def source(text: str, name: str = "001_init.sql", first_line: int = 1) -> SqlSource:
    return SqlSource(Path("migrations") / name, text, first_line)


def target_of(engine: sa.Engine) -> str:
    return "sqlite" if engine.dialect.name == "sqlite" else "postgres"


def as_runner(engine: sa.Engine) -> sa.Engine:
    """SQLite the way the plugin's backend sets it up: our functions, FKs on, real BEGIN."""
    if engine.dialect.name == "sqlite":
        install_sqlite_functions(engine)

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: sa.Connection) -> None:
            conn.exec_driver_sql("BEGIN")

    return engine


def run(engine: sa.Engine, statements: list[Statement]) -> None:
    """What the runner does with one migration: one transaction, statements in order."""
    target = target_of(engine)
    with engine.begin() as conn:
        for statement in statements:
            for sql in expand_at_apply(conn, statement, target):
                conn.exec_driver_sql(sql)


def migrate(engine: sa.Engine, texts: list[str], context: TranspileContext | None = None,
            start: int = 1) -> TranspileContext:
    context = context if context is not None else TranspileContext()
    for number, text in enumerate(texts, start):
        statements = split(source(text, f"{number:03d}_step.sql"), "postgres")
        run(engine, for_dialect(statements, "postgres", target_of(engine), context=context))
    return context


def rows(engine: sa.Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


def value(engine: sa.Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.exec_driver_sql(sql).scalar()


# --- split ----------------------------------------------------------------------------------

def test_split_gives_statements_with_their_lines() -> None:
    text = """-- dualwrite: drops old_table
-- a comment; with a semicolon

CREATE TABLE a (id int);   /* trailing; comment */
INSERT INTO a VALUES (1);INSERT INTO a
  VALUES (2);
;
-- only a comment at the end;
"""
    statements = split(source(text), "postgres")
    assert [(s.line, s.sql) for s in statements] == [
        (4, "CREATE TABLE a (id int)"),
        (5, "INSERT INTO a VALUES (1)"),
        (5, "INSERT INTO a\n  VALUES (2)"),
    ]
    assert all(s.sql == s.source_sql and not s.opaque for s in statements)
    assert statements[0].where == "migrations/001_init.sql:4"
    assert type(statements[0].expression).__name__ == "Create"


def test_split_counts_lines_from_where_the_section_starts() -> None:
    """dbmate files: the down section starts further into the file."""
    statements = split(source("\nDROP TABLE a;\n", first_line=20), "postgres")
    assert statements[0].line == 21


def test_split_keeps_dollar_quotes_strings_and_comments_whole() -> None:
    text = """SELECT $tag$ a;b $tag$, 'x''y;', "we;ird" /* c; /* nested; */ */ ;
INSERT INTO notes VALUES ($$it's; fine$$);
SELECT 3"""
    statements = split(source(text), "postgres")
    assert [s.line for s in statements] == [1, 2, 3]
    assert statements[0].sql.endswith('"we;ird"')  # a comment after the last token is not SQL
    assert statements[1].sql == "INSERT INTO notes VALUES ($$it's; fine$$)"


def test_a_do_block_is_opaque_and_kept_verbatim() -> None:
    text = """DO $body$
BEGIN
  RAISE NOTICE 'a;b';
  PERFORM 1;
END
$body$;
SELECT 1;"""
    do, select = split(source(text), "postgres")
    assert do.opaque and do.expression is None
    assert do.sql == do.source_sql == text.split(";\nSELECT")[0]
    assert (select.line, select.opaque) == (7, False)


def test_plpgsql_functions_and_triggers_are_opaque() -> None:
    text = """CREATE OR REPLACE FUNCTION touch() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := now();  -- keep; it fresh
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER conversations_touch BEFORE UPDATE ON conversations
    FOR EACH ROW EXECUTE FUNCTION touch();

CREATE FUNCTION one() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;
"""
    function, trigger, atomic = split(source(text), "postgres")
    assert (function.line, function.opaque) == (1, True)
    assert function.sql.endswith("LANGUAGE plpgsql") and "keep; it fresh" in function.sql
    assert (trigger.line, trigger.opaque) == (8, True)
    assert trigger.sql.endswith("EXECUTE FUNCTION touch()")
    assert (atomic.line, atomic.opaque) == (11, True)
    assert atomic.sql.endswith("END")


def test_sqlite_trigger_bodies_stay_whole() -> None:
    text = """CREATE TRIGGER t AFTER INSERT ON a BEGIN
  INSERT INTO log VALUES (CASE WHEN new.x > 0 THEN 1 ELSE 0 END);
  UPDATE a SET y = 1;
END;
SELECT 1;"""
    trigger, select = split(source(text), "sqlite")
    assert trigger.sql.endswith("END") and trigger.opaque
    assert select.line == 5


@pytest.mark.parametrize(("text", "line", "head", "reason"), [
    ("SELECT 1;\n\n  CREATE TABLE (id int);", 3, "CREATE TABLE (id int)",
     "Expected table name but got '('"),
    ("CREATE TABLE t (\n  a int,\n  b int primary key primary\n);", 1,
     "CREATE TABLE t ( a int, b int primary key primary )", "Expecting )"),
])
def test_a_statement_sqlglot_cannot_read_runs_as_written_and_is_refused_elsewhere(
        text: str, line: int, head: str, reason: str) -> None:
    """On its own dialect the server judges it (noted); a transpile names file:line."""
    statements = split(source(text), "postgres")
    unread = statements[-1]
    assert unread.opaque and unread.expression is None and reason in (unread.unreadable or "")
    context = TranspileContext()
    assert for_dialect(statements, "postgres", "postgres", context=context) == statements
    assert [str(n) for n in context.listed] == [
        f"migrations/001_init.sql:{line}: run unread on postgres: sqlglot cannot read it "
        f"({unread.unreadable}); the server judges it"]
    with pytest.raises(MigrationError) as info:
        for_dialect(statements, "postgres", "sqlite")
    message = str(info.value)
    assert message.startswith(f"cannot run on sqlite: migrations/001_init.sql:{line}: cannot "
                              f"parse statement: {head} (")
    assert reason in message and "\n" not in message
    assert message.endswith("add 001_init.sqlite.sql as a stand-in")


@pytest.mark.parametrize(("text", "line", "head", "reason"), [
    ("SELECT 1;\nSELEC 1;", 2, "SELEC 1", "Invalid expression / Unexpected token"),
    ("SELECT 1;\nFOO BAR;", 2, "FOO BAR", "not a statement"),
])
def test_a_first_word_that_starts_no_statement_is_a_typo(
        text: str, line: int, head: str, reason: str) -> None:
    with pytest.raises(MigrationError) as info:
        split(source(text), "postgres")
    message = str(info.value)
    assert message.startswith(f"migrations/001_init.sql:{line}: cannot parse statement: {head} (")
    assert reason in message and "\n" not in message


def test_an_unterminated_string_names_its_statement() -> None:
    with pytest.raises(MigrationError, match=r"001_init.sql:3: cannot parse statement: "
                                             r"INSERT INTO a VALUES \('oops"):
        split(source("SELECT 1;\n\nINSERT INTO a VALUES ('oops);\nSELECT 2;"), "postgres")


def test_a_long_statement_is_cut_to_80_characters_in_the_message() -> None:
    text = "CREATE TABLE (" + ", ".join(f"column_{i} int" for i in range(30)) + ")"
    with pytest.raises(MigrationError) as info:
        for_dialect(split(source(text), "postgres"), "postgres", "sqlite")
    shown = str(info.value).split("cannot parse statement: ")[1].split(" (Expected")[0]
    assert len(shown) == 80 and shown.endswith("…")


# --- for_dialect ----------------------------------------------------------------------------

def test_the_same_dialect_runs_the_users_text_as_written() -> None:
    text = "create table  a (id serial primary key, meta jsonb default '{}'::jsonb);"
    statements = split(source(text), "postgres")
    out = for_dialect(statements, "postgresql", "postgres")
    assert out == statements and out[0].sql == text[:-1]


def test_transaction_control_is_left_to_the_runner_and_recorded() -> None:
    statements = split(source("BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;"), "postgres")
    for target in ("postgres", "sqlite"):
        context = TranspileContext()
        out = for_dialect(statements, "postgres", target, context=context)
        assert [s.line for s in out] == [2]
        assert [(n.statement.line, n.action) for n in context.notes] == [
            (1, "skipped"), (3, "skipped")]


def test_create_index_concurrently_loses_concurrently_on_postgres() -> None:
    """Postgres refuses CONCURRENTLY inside the transaction each migration runs in."""
    statements = split(source("CREATE INDEX CONCURRENTLY ix ON a (b DESC);"), "postgres")
    context = TranspileContext()
    (out,) = for_dialect(statements, "postgres", "postgres", context=context)
    assert out.sql == "CREATE INDEX ix ON a (b DESC)"
    assert out.source_sql == statements[0].sql
    assert "CONCURRENTLY" in str(context.notes[0])


def test_statements_without_meaning_on_sqlite_are_skipped_and_recorded() -> None:
    text = """CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
COMMENT ON TABLE a IS 'x';
SET statement_timeout = 0;
GRANT SELECT ON a TO app;
ALTER TABLE a OWNER TO app;
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TABLE a (id int);"""
    context = TranspileContext()
    out = for_dialect(split(source(text), "postgres"), "postgres", "sqlite", context=context)
    assert [s.sql for s in out] == [
        'CREATE TABLE a (id INTEGER CONSTRAINT id_dw_limit CHECK ("id" BETWEEN -2147483648 '
        'AND 2147483647))']
    assert [n.statement.line for n in context.skipped] == [1, 2, 3, 4, 5, 6]
    assert str(context.skipped[0]) == (
        "migrations/001_init.sql:1: skipped on sqlite: SQLite has no extensions")
    assert all(n.reason for n in context.skipped)


def test_an_opaque_statement_on_sqlite_asks_for_a_stand_in() -> None:
    text = "SELECT 1;\nALTER TABLE a\n  RENAME CONSTRAINT a_b_key TO a_b_unique;"
    statements = split(source(text, "003_rename.sql"), "postgres")
    with pytest.raises(MigrationError) as info:
        for_dialect(statements, "postgres", "sqlite")
    assert str(info.value) == (
        "cannot run on sqlite: migrations/003_rename.sql:2: ALTER TABLE a is a statement "
        "sqlglot cannot transpile; add 003_rename.sqlite.sql as a stand-in")


def test_triggers_functions_and_do_blocks_are_skipped_on_sqlite_and_say_what_they_touch(
        ) -> None:
    """A trigger maintains rows: its skip is lossy and names its table and the tables its
    function writes; a function alone changes nothing; a DO block may change anything."""
    text = """CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE counters SET n = n + 1; RETURN NEW; END $$;
CREATE TRIGGER touch AFTER INSERT ON public.orders
  FOR EACH ROW EXECUTE FUNCTION bump();
DO $$ BEGIN DELETE FROM stale; END $$;
CREATE TABLE a (id int);"""
    context = TranspileContext()
    out = for_dialect(split(source(text), "postgres"), "postgres", "sqlite", context=context)
    assert [s.sql for s in out] == [
        'CREATE TABLE a (id INTEGER CONSTRAINT id_dw_limit CHECK ("id" BETWEEN -2147483648 '
        'AND 2147483647))']
    assert [(n.statement.line, n.lossy, n.tables) for n in context.skipped] == [
        (1, False, ()), (3, True, ("orders", "counters")), (5, True, ("stale",))]
    assert str(context.skipped[1]) == (
        "migrations/001_init.sql:3: skipped on sqlite: SQLite cannot run a trigger written for "
        "Postgres: what it would do to rows is not done")


def test_what_sqlite_cannot_express_names_the_statement() -> None:
    text = "CREATE TABLE a (\n  n int GENERATED BY DEFAULT AS IDENTITY\n);"
    with pytest.raises(MigrationError) as info:
        for_dialect(split(source(text, "002_a.sql"), "postgres"), "postgres", "sqlite")
    message = str(info.value)
    assert message.startswith("cannot run on sqlite: migrations/002_a.sql:1: CREATE TABLE a (")
    assert "column n numbers itself but is not the primary key" in message
    assert message.endswith("add 002_a.sqlite.sql as a stand-in")


TOUCH_PG = """CREATE TABLE notes (id SERIAL PRIMARY KEY, body TEXT, edits INT NOT NULL DEFAULT 0);
CREATE FUNCTION bump() RETURNS trigger AS $$
BEGIN NEW.edits := OLD.edits + 1; RETURN NEW; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER notes_bump BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION bump();
"""
TOUCH_SQLITE = """CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT,
                    edits INT NOT NULL DEFAULT 0);
CREATE TRIGGER notes_bump AFTER UPDATE OF body ON notes BEGIN
  UPDATE notes SET edits = old.edits + 1 WHERE id = new.id;
END;
"""


def test_a_stand_in_replaces_the_file_on_its_dialect(any_engine: sa.Engine) -> None:
    engine = as_runner(any_engine)
    migration = Migration(
        (1,), "001", "notes", "numbered", source(TOUCH_PG, "001_notes.sql"),
        stand_ins={"sqlite": source(TOUCH_SQLITE, "001_notes.sqlite.sql")})
    statements = prepare(migration, "up", "postgres", target_of(engine))
    if target_of(engine) == "sqlite":
        assert [s.path.name for s in statements] == ["001_notes.sqlite.sql"] * 2
    run(engine, statements)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO notes (body) VALUES ('a')")
        conn.exec_driver_sql("UPDATE notes SET body = 'b'")
    assert rows(engine, "SELECT id, body, edits FROM notes") == [(1, "b", 1)]


# --- a Postgres history on both backends -------------------------------------------------------

SEED = [
    """-- 001: people
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email VARCHAR(255) NOT NULL UNIQUE,
    display_name TEXT,
    is_admin BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE users IS 'people; who sign in';
""",
    """CREATE TABLE tasks (
    id SERIAL PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    done BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ix_tasks_open ON tasks (user_id) WHERE NOT done;
""",
    """CREATE TABLE conversations (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title TEXT,
    metadata JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX ix_conversations_user ON conversations (user_id, updated_at DESC);
""",
    """BEGIN;
CREATE TABLE messages (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    conversation_id UUID NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
    content TEXT NOT NULL DEFAULT '',
    tool_calls JSONB NOT NULL DEFAULT '[]'::jsonb,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX CONCURRENTLY ix_messages_conv_created ON messages (conversation_id, created_at DESC);
CREATE INDEX ix_messages_with_tools ON messages (conversation_id) WHERE tool_calls <> '[]'::jsonb;
COMMIT;
""",
]

UTC_MICROSECONDS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")


@pytest.fixture
def seeded(any_engine: sa.Engine) -> sa.Engine:
    engine = as_runner(any_engine)
    migrate(engine, SEED)
    return engine


def add_user(conn: sa.Connection, email: str = "ada@example.org") -> str:
    return str(conn.exec_driver_sql(
        f"INSERT INTO users (email) VALUES ('{email}') RETURNING id").scalar())


def add_conversation(conn: sa.Connection, user_id: str) -> str:
    return str(conn.exec_driver_sql(
        f"INSERT INTO conversations (user_id) VALUES ('{user_id}') RETURNING id").scalar())


def test_the_history_transpiles_with_the_known_fixups() -> None:
    context = TranspileContext()
    sqlite = []
    for number, text in enumerate(SEED, 1):
        statements = split(source(text, f"{number:03d}_step.sql"), "postgres")
        sqlite += for_dialect(statements, "postgres", "sqlite", context=context)
    users, tasks = sqlite[0].sql, sqlite[1].sql
    # Declared so reflection reads the logical type back, with TEXT affinity where needed.
    assert "id UUID_TEXT PRIMARY KEY DEFAULT (GEN_RANDOM_UUID())" in users
    assert ('email VARCHAR(255) CONSTRAINT email_dw_limit CHECK (LENGTH("email") <= 255) '
            'NOT NULL UNIQUE') in users
    assert "is_admin BOOLEAN NOT NULL DEFAULT FALSE" in users
    assert "created_at TIMESTAMPTZ NOT NULL DEFAULT (NOW())" in users
    assert "id INTEGER PRIMARY KEY AUTOINCREMENT" in tasks
    assert "metadata JSONB_TEXT NOT NULL DEFAULT '{}'" in sqlite[3].sql
    assert "updated_at TIMESTAMPTZ NOT NULL DEFAULT (NOW())" in sqlite[3].sql
    assert sqlite[4].sql == (
        "CREATE INDEX ix_conversations_user ON conversations(user_id, updated_at DESC)")
    assert sqlite[6].sql == (
        "CREATE INDEX ix_messages_conv_created ON messages(conversation_id, created_at DESC)")
    assert "NULLS" not in " ".join(s.sql for s in sqlite)
    assert [(n.statement.path.name, n.statement.line, n.action) for n in context.notes] == [
        ("001_step.sql", 2, "skipped"), ("001_step.sql", 11, "skipped"),
        ("004_step.sql", 1, "skipped"), ("004_step.sql", 10, "adjusted"),
        ("004_step.sql", 12, "skipped")]


def test_defaults_fill_uuids_timestamps_booleans_and_json(seeded: sa.Engine) -> None:
    with seeded.begin() as conn:
        user_id = add_user(conn)
        conversation_id = add_conversation(conn, user_id)
        conn.exec_driver_sql(
            f"INSERT INTO messages (conversation_id, role) VALUES ('{conversation_id}', 'user')")
    assert uuid.UUID(user_id).version == 4 and uuid.UUID(conversation_id).version == 4
    is_admin, created_at = rows(seeded, "SELECT is_admin, created_at FROM users")[0]
    assert is_admin in (False, 0) and created_at is not None
    metadata, updated_at = rows(seeded, "SELECT metadata, updated_at FROM conversations")[0]
    tool_calls, content = rows(seeded, "SELECT tool_calls, content FROM messages")[0]
    decoded = [json.loads(v) if isinstance(v, str) else v for v in (metadata, tool_calls)]
    assert (*decoded, content) == ({}, [], "")
    if target_of(seeded) == "sqlite":
        assert UTC_MICROSECONDS.match(created_at) and UTC_MICROSECONDS.match(updated_at)


def test_deleting_a_user_cascades_to_messages(seeded: sa.Engine) -> None:
    with seeded.begin() as conn:
        user_id = add_user(conn)
        conversation_id = add_conversation(conn, user_id)
        conn.exec_driver_sql(
            f"INSERT INTO messages (conversation_id, role) VALUES ('{conversation_id}', 'tool')")
        conn.exec_driver_sql(f"INSERT INTO tasks (user_id, title) VALUES ('{user_id}', 't')")
    with seeded.begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM users WHERE id = '{user_id}'")
    assert [value(seeded, f"SELECT count(*) FROM {t}")
            for t in ("conversations", "messages", "tasks")] == [0, 0, 0]


def test_a_message_for_a_missing_conversation_is_refused(seeded: sa.Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), seeded.begin() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO messages (conversation_id, role) VALUES ('{uuid.uuid4()}', 'user')")


def test_the_role_check_rejects_a_bad_role(seeded: sa.Engine) -> None:
    with seeded.begin() as conn:
        conversation_id = add_conversation(conn, add_user(conn))
    with pytest.raises(sa.exc.IntegrityError), seeded.begin() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO messages (conversation_id, role) VALUES ('{conversation_id}', 'robot')")


def test_the_unique_email_is_enforced(seeded: sa.Engine) -> None:
    with seeded.begin() as conn:
        add_user(conn, "same@example.org")
    with pytest.raises(sa.exc.IntegrityError), seeded.begin() as conn:
        add_user(conn, "same@example.org")


def test_serial_counts_from_one(seeded: sa.Engine) -> None:
    with seeded.begin() as conn:
        user_id = add_user(conn)
        ids = [conn.exec_driver_sql(f"INSERT INTO tasks (user_id, title) VALUES ('{user_id}', "
                                    f"'t{i}') RETURNING id").scalar() for i in range(3)]
    assert ids == [1, 2, 3]
    with seeded.begin() as conn:
        conn.exec_driver_sql("DELETE FROM tasks WHERE id = 3")
        again = conn.exec_driver_sql(
            f"INSERT INTO tasks (user_id, title) VALUES ('{user_id}', 'x') RETURNING id").scalar()
    assert again == 4  # never reused, as a Postgres sequence


def test_enum_types_carry_across_files(any_engine: sa.Engine) -> None:
    engine = as_runner(any_engine)
    migrate(engine, [
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');",
        "CREATE TABLE days (id SERIAL PRIMARY KEY, mood mood NOT NULL DEFAULT 'ok');",
    ])
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO days (mood) VALUES ('happy')")
        conn.exec_driver_sql("INSERT INTO days DEFAULT VALUES")
    assert rows(engine, "SELECT mood FROM days ORDER BY id") == [("happy",), ("ok",)]
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO days (mood) VALUES ('angry')")

    context = migrate(engine, ["ALTER TYPE mood ADD VALUE 'angry' BEFORE 'ok';"], start=3)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO days (mood) VALUES ('angry')")
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO days (mood) VALUES ('furious')")
    if target_of(engine) == "sqlite":
        assert rows(engine, "PRAGMA integrity_check") == [("ok",)]
        assert "'sad', 'angry', 'ok', 'happy'" in value(
            engine, "SELECT sql FROM sqlite_master WHERE name = 'days'")
    assert context.notes == []


# --- ALTER TABLE on both backends ------------------------------------------------------------

EVOLVE = """
ALTER TABLE conversations ALTER COLUMN title SET DEFAULT 'untitled';
UPDATE conversations SET title = 'untitled' WHERE title IS NULL;
ALTER TABLE conversations ALTER COLUMN title SET NOT NULL;
ALTER TABLE users ADD COLUMN last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                  ADD COLUMN nickname VARCHAR(40);
ALTER TABLE users ALTER COLUMN display_name TYPE VARCHAR(100);
ALTER TABLE messages ADD CONSTRAINT messages_content_short CHECK (length(content) < 1000);
ALTER TABLE tasks ADD CONSTRAINT tasks_user_title_key UNIQUE (user_id, title);
ALTER TABLE tasks ALTER COLUMN done DROP NOT NULL, ALTER COLUMN done DROP DEFAULT;
ALTER TABLE tasks RENAME COLUMN title TO summary;
ALTER TABLE messages DROP CONSTRAINT messages_role_check;
ALTER TABLE IF EXISTS gone ADD COLUMN x int;
ALTER TABLE users ADD COLUMN IF NOT EXISTS nickname TEXT;
"""


def test_alter_forms_keep_rows_and_enforce_the_new_rules(seeded: sa.Engine) -> None:
    with seeded.begin() as conn:
        user_id = add_user(conn)
        conversation_id = add_conversation(conn, user_id)
        conn.exec_driver_sql(
            f"INSERT INTO messages (conversation_id, role) VALUES ('{conversation_id}', 'user')")
        conn.exec_driver_sql(f"INSERT INTO tasks (user_id, title) VALUES ('{user_id}', 't')")
    migrate(seeded, [EVOLVE], start=5)

    assert rows(seeded, "SELECT title FROM conversations") == [("untitled",)]
    assert value(seeded, "SELECT count(*) FROM users WHERE last_seen_at IS NOT NULL") == 1
    assert value(seeded, "SELECT count(*) FROM messages") == 1
    with seeded.begin() as conn:  # DROP NOT NULL, DROP DEFAULT, the renamed column
        conn.exec_driver_sql(
            f"INSERT INTO tasks (user_id, summary) VALUES ('{user_id}', 'u') RETURNING id")
    assert rows(seeded, "SELECT summary, done FROM tasks ORDER BY id") == [
        ("t", False if target_of(seeded) == "postgres" else 0), ("u", None)]
    with seeded.begin() as conn:  # the role CHECK is gone
        conn.exec_driver_sql(
            f"INSERT INTO messages (conversation_id, role) VALUES ('{conversation_id}', 'robot')")

    refused = [
        "INSERT INTO conversations (user_id, title) VALUES ('{u}', NULL)",
        "INSERT INTO messages (conversation_id, role, content) VALUES ('{c}', 'user', "
        "'{long}')",
        "INSERT INTO tasks (user_id, summary) VALUES ('{u}', 't')",
    ]
    for sql in refused:
        with pytest.raises(sa.exc.IntegrityError), seeded.begin() as conn:
            conn.exec_driver_sql(sql.format(u=user_id, c=conversation_id, long="x" * 1000))
    with seeded.begin() as conn:  # foreign keys still cascade through the changed tables
        conn.exec_driver_sql(f"DELETE FROM users WHERE id = '{user_id}'")
    assert value(seeded, "SELECT count(*) FROM messages") == 0
    if target_of(seeded) == "sqlite":  # the in-place schema edits left a sound file
        assert rows(seeded, "PRAGMA integrity_check") == [("ok",)]
        assert rows(seeded, "PRAGMA foreign_key_check") == []


def test_set_not_null_over_nulls_is_refused_with_file_and_line(seeded: sa.Engine) -> None:
    with seeded.begin() as conn:
        add_conversation(conn, add_user(conn))
    text = "SELECT 1;\nALTER TABLE conversations ALTER COLUMN title SET NOT NULL;"
    if target_of(seeded) == "postgres":
        with pytest.raises(sa.exc.IntegrityError, match="contains null values"):
            migrate(seeded, [text], start=5)
        return
    with pytest.raises(MigrationError) as info:
        migrate(seeded, [text], start=5)
    assert str(info.value) == (
        "migrations/005_step.sql:2: sqlite refused the statement 'ALTER TABLE conversations "
        "ALTER COLUMN title SET NOT NULL': column \"title\" of relation \"conversations\" "
        "contains null values")
    assert value(seeded, "SELECT count(*) FROM conversations WHERE title IS NULL") == 1


def test_an_added_check_is_checked_against_existing_rows(seeded: sa.Engine) -> None:
    with seeded.begin() as conn:
        add_user(conn, "x@example.org")
    text = "ALTER TABLE users ADD CONSTRAINT users_email_long CHECK (length(email) > 20);"
    error = MigrationError if target_of(seeded) == "sqlite" else sa.exc.IntegrityError
    with pytest.raises(error, match='check constraint "users_email_long" of relation "users" '
                                    "is violated by some row"):
        migrate(seeded, [text], start=5)


def test_an_added_foreign_key_is_checked_against_existing_rows(any_engine: sa.Engine) -> None:
    engine = as_runner(any_engine)
    migrate(engine, ["CREATE TABLE p (id INT PRIMARY KEY);\n"
                     "CREATE TABLE c (id INT PRIMARY KEY, p_id INT);\n"
                     "INSERT INTO p VALUES (1);\nINSERT INTO c VALUES (1, 1), (2, NULL);",
                     "ALTER TABLE c ADD CONSTRAINT c_p_fk FOREIGN KEY (p_id) REFERENCES p\n"
                     "    ON DELETE SET NULL;"])
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM p")
    assert rows(engine, "SELECT id, p_id FROM c ORDER BY id") == [(1, None), (2, None)]

    migrate(engine, ["ALTER TABLE c DROP CONSTRAINT c_p_fk;\nINSERT INTO c VALUES (3, 9);"],
            start=3)
    text = "ALTER TABLE c ADD CONSTRAINT c_p_fk FOREIGN KEY (p_id) REFERENCES p (id);"
    error = MigrationError if target_of(engine) == "sqlite" else sa.exc.IntegrityError
    with pytest.raises(error, match='violates foreign key constraint "c_p_fk"'):
        migrate(engine, [text], start=4)


# --- SQLite-only: the rebuild path and its limits -----------------------------------------------

def test_sqlite_rebuilds_an_unreferenced_table_for_a_layout_change(
        sqlite_engine: sa.Engine) -> None:
    engine = as_runner(sqlite_engine)
    migrate(engine, ["CREATE TABLE tags (name TEXT UNIQUE, color TEXT);\n"
                     "CREATE INDEX ix_tags_color ON tags (color);\n"
                     "INSERT INTO tags VALUES ('a', 'red'), ('b', 'red');"])
    context = migrate(engine, ["ALTER TABLE tags DROP CONSTRAINT tags_name_key;"], start=2)
    assert context.notes == []
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO tags VALUES ('a', 'blue')")  # no longer unique
    assert rows(engine, "SELECT name, color FROM tags ORDER BY rowid") == [
        ("a", "red"), ("b", "red"), ("a", "blue")]
    assert value(engine, "SELECT count(*) FROM sqlite_master WHERE name = 'ix_tags_color'") == 1


def test_sqlite_refuses_a_rebuild_of_a_referenced_table(sqlite_engine: sa.Engine) -> None:
    engine = as_runner(sqlite_engine)
    migrate(engine, SEED)
    with pytest.raises(MigrationError) as info:
        migrate(engine, ["\nALTER TABLE users DROP CONSTRAINT users_pkey;"], start=5)
    assert str(info.value) == (
        "migrations/005_step.sql:2: sqlite refused the statement 'ALTER TABLE users DROP "
        "CONSTRAINT users_pkey': changing table users this way means rebuilding it, and "
        "conversations, tasks reference(s) it: SQLite cannot turn foreign keys off inside the "
        "migration's transaction")


def test_sqlite_drops_the_indexes_of_a_dropped_column(sqlite_engine: sa.Engine) -> None:
    engine = as_runner(sqlite_engine)
    migrate(engine, ["CREATE TABLE a (id INT PRIMARY KEY, b TEXT, c TEXT);\n"
                     "CREATE INDEX ix_a_b ON a (b, c);\nINSERT INTO a VALUES (1, 'x', 'y');",
                     "ALTER TABLE a DROP COLUMN b;\nALTER TABLE a DROP COLUMN IF EXISTS zz;"])
    assert rows(engine, "SELECT * FROM a") == [(1, "y")]
    assert value(engine, "SELECT count(*) FROM sqlite_master WHERE type = 'index'") == 0


def test_apply_time_statements_fail_loudly_if_run_as_they_are(
        sqlite_engine: sa.Engine) -> None:
    statements = for_dialect(
        split(source("ALTER TABLE a ALTER COLUMN b SET NOT NULL;"), "postgres"),
        "postgres", "sqlite")
    assert isinstance(statements[0], ApplyTimeStatement)
    with pytest.raises(sa.exc.OperationalError), sqlite_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE a (b TEXT)")
        conn.exec_driver_sql(statements[0].sql)


def test_sqlite_changes_types_and_adds_constrained_columns(sqlite_engine: sa.Engine) -> None:
    engine = as_runner(sqlite_engine)
    migrate(engine, [
        "CREATE TYPE mood AS ENUM ('sad', 'ok');\n"
        "CREATE TABLE notes (id INT PRIMARY KEY, score TEXT, label TEXT);\n"
        "INSERT INTO notes VALUES (1, '7', 'ok'), (2, ' 8', 'sad');",
        "ALTER TABLE notes ALTER COLUMN score TYPE integer USING trim(score)::integer;\n"
        "ALTER TABLE notes ALTER COLUMN label TYPE mood USING label::mood;\n"
        "ALTER TABLE notes ADD COLUMN code TEXT UNIQUE;\n"
        "ALTER TABLE notes ADD COLUMN ref UUID NOT NULL DEFAULT gen_random_uuid();",
    ])
    assert rows(engine, "SELECT id, score, typeof(score), label FROM notes ORDER BY id") == [
        (1, 7, "integer", "ok"), (2, 8, "integer", "sad")]
    refs = [r[0] for r in rows(engine, "SELECT ref FROM notes")]
    assert len({uuid.UUID(r) for r in refs}) == 2  # one per row, as Postgres fills them
    for sql in ("INSERT INTO notes (id, label) VALUES (3, 'glad')",
                "INSERT INTO notes (id, label, code) VALUES (3, 'ok', 'c'), (4, 'ok', 'c')",
                "INSERT INTO notes (id, label, ref) VALUES (3, 'ok', NULL)"):
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.exec_driver_sql(sql)
    assert rows(engine, "PRAGMA integrity_check") == [("ok",)]


def test_sqlite_add_primary_key_rebuilds_the_table(sqlite_engine: sa.Engine) -> None:
    engine = as_runner(sqlite_engine)
    migrate(engine, ["CREATE TABLE codes (code TEXT, note TEXT);\n"
                     "INSERT INTO codes VALUES ('a', 'x'), ('b', NULL);",
                     "ALTER TABLE codes ADD CONSTRAINT codes_pkey PRIMARY KEY (code);"])
    assert rows(engine, "SELECT code, note FROM codes ORDER BY code") == [("a", "x"), ("b", None)]
    assert [r[1] for r in rows(engine, "PRAGMA table_info(codes)") if r[5]] == ["code"]
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO codes VALUES ('a', 'again')")


def test_in_place_edits_reach_other_open_connections(sqlite_engine: sa.Engine) -> None:
    """The schema cookie moves, so a connection that cached the old schema rereads it."""
    engine = as_runner(sqlite_engine)
    migrate(engine, ["CREATE TABLE a (id INT PRIMARY KEY, b TEXT);"])
    with engine.connect() as other:
        other.exec_driver_sql("SELECT * FROM a").all()  # caches the schema
        other.commit()
        migrate(engine, ["ALTER TABLE a ALTER COLUMN b SET NOT NULL;"], start=2)
        with pytest.raises(sa.exc.IntegrityError):
            other.exec_driver_sql("INSERT INTO a VALUES (1, NULL)")


def test_a_failed_migration_leaves_the_old_schema(sqlite_engine: sa.Engine) -> None:
    """The in-place edit rolls back with the migration's transaction."""
    engine = as_runner(sqlite_engine)
    migrate(engine, ["CREATE TABLE a (id INT PRIMARY KEY, b TEXT);"])
    with pytest.raises(sa.exc.OperationalError):
        migrate(engine, ["ALTER TABLE a ALTER COLUMN b SET NOT NULL;\nSELECT * FROM missing;"],
                start=2)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO a VALUES (1, NULL)")
    assert rows(engine, "PRAGMA integrity_check") == [("ok",)]


def test_regex_checks_run_on_both(any_engine: sa.Engine) -> None:
    engine = as_runner(any_engine)
    migrate(engine, ["CREATE TABLE people (email TEXT NOT NULL "
                     "CHECK (email ~* '^[a-z]+@[a-z]+[.]org$'));"])
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO people VALUES ('Ada@Example.ORG')")
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO people VALUES ('not an email')")


def test_sqlite_migrations_run_on_sqlite_as_written(sqlite_engine: sa.Engine) -> None:
    engine = as_runner(sqlite_engine)
    text = """BEGIN TRANSACTION;
CREATE TABLE log (id INTEGER PRIMARY KEY, msg TEXT NOT NULL, at TEXT DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT);
CREATE TRIGGER item_log AFTER INSERT ON item BEGIN
  INSERT INTO log (msg) VALUES ('added; ' || new.name);
END;
COMMIT;"""
    statements = split(source(text), "sqlite")
    context = TranspileContext()
    out = for_dialect(statements, "sqlite", "sqlite", context=context)
    assert out == statements[1:4] and len(context.skipped) == 2
    run(engine, out)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO item (name) VALUES ('pen')")
    assert rows(engine, "SELECT msg FROM log") == [("added; pen",)]


def test_data_steps_with_intervals_and_escape_strings(any_engine: sa.Engine) -> None:
    engine = as_runner(any_engine)
    migrate(engine, [
        "CREATE TABLE events (id SERIAL PRIMARY KEY, note TEXT NOT NULL,\n"
        "    at TIMESTAMPTZ NOT NULL DEFAULT now(), stale BOOLEAN NOT NULL DEFAULT false);",
        "INSERT INTO events (note, at) VALUES (E'it\\'s old', now() - interval '2 days'),\n"
        "    ('new', now());\n"
        "UPDATE events SET stale = true WHERE at < now() - interval '1 day 1 hour';",
    ])
    assert [(note, bool(stale)) for note, stale in rows(
        engine, "SELECT note, stale FROM events ORDER BY id")] == [("it's old", True),
                                                                  ("new", False)]
