"""The static fold of migration SQL: every ALTER a history uses, and honest notes.

The strongest check is against Postgres itself: run an ALTER-heavy history on a real
server and demand the fold built the very same schema, constraint names included.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from pytest_dualwrite.migrations.model import Statement
from pytest_dualwrite.schema.diff import diff
from pytest_dualwrite.schema.from_database import from_database
from pytest_dualwrite.schema.from_sql import from_sql, from_sql_text
from pytest_dualwrite.schema.model import Check, ColumnType, ForeignKey, Index, Unique

HISTORY = """
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE accounts (
    id SERIAL PRIMARY KEY,
    handle VARCHAR(40) NOT NULL,
    mood mood DEFAULT 'happy',
    score NUMERIC(10, 2) DEFAULT 0,
    note TEXT,
    CONSTRAINT accounts_handle_unique UNIQUE (handle)
);
CREATE TABLE posts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    rating INTEGER CHECK (rating > 0),
    old_flag BOOLEAN,
    UNIQUE (account_id, old_flag)
);
ALTER TABLE posts ADD CONSTRAINT posts_account_fk FOREIGN KEY (account_id)
    REFERENCES accounts (id) ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE INDEX posts_body_idx ON posts (lower(body)) WHERE rating IS NOT NULL;
CREATE INDEX ON posts (account_id);
ALTER TABLE posts RENAME COLUMN body TO content;
ALTER TABLE posts DROP COLUMN old_flag;
ALTER TABLE posts ALTER COLUMN rating TYPE BIGINT;
ALTER TABLE posts ALTER COLUMN rating SET DEFAULT 3;
ALTER TABLE accounts ALTER COLUMN note SET NOT NULL, ALTER COLUMN note SET DEFAULT '';
ALTER TABLE accounts ALTER COLUMN score DROP DEFAULT;
ALTER TABLE accounts ALTER COLUMN handle DROP NOT NULL;
ALTER TABLE accounts DROP CONSTRAINT accounts_handle_unique;
ALTER TABLE accounts ADD CONSTRAINT accounts_handle_key UNIQUE (handle);
ALTER TYPE mood ADD VALUE 'meh' BEFORE 'sad';
ALTER TABLE accounts RENAME TO profiles;
CREATE TABLE scratch (x INT REFERENCES profiles);
CREATE INDEX scratch_x ON scratch (x);
DROP INDEX scratch_x;
DROP TABLE scratch;
ALTER TABLE posts DROP CONSTRAINT posts_rating_check;
ALTER TABLE posts ADD CONSTRAINT posts_rating_range CHECK (rating BETWEEN 1 AND 5);
ALTER TABLE profiles ADD COLUMN kind VARCHAR(10) NOT NULL DEFAULT 'user'
    CHECK (kind IN ('user', 'bot'));
ALTER TABLE profiles RENAME CONSTRAINT accounts_handle_key TO profiles_handle_key;
ALTER TABLE profiles ADD COLUMN IF NOT EXISTS kind TEXT;
INSERT INTO profiles (handle, note) VALUES ('a', 'b');
COMMENT ON TABLE profiles IS 'people';
"""


def test_history_folds_into_the_final_schema() -> None:
    schema = from_sql_text(HISTORY, "postgres", "history.sql")
    assert schema.notes == ()
    assert schema.table_names == ("posts", "profiles")
    assert schema.enums == (("mood", ("happy", "meh", "sad")),)
    posts, profiles = schema.table("posts"), schema.table("profiles")
    assert posts.column_names == ("id", "account_id", "content", "rating")
    assert posts.column("id").autoincrement and profiles.column("id").autoincrement
    assert posts.column("rating").type == ColumnType("integer", length=8)
    assert posts.column("rating").default == "3"
    assert posts.foreign_keys == {ForeignKey(("account_id",), "profiles", ("id",),
                                             "RESTRICT", "CASCADE")}
    assert posts.uniques == frozenset()  # it used the dropped column
    assert posts.indexes == {Index(("LOWER(content)",), where="rating IS NOT NULL"),
                             Index(("account_id",))}
    assert {i.name for i in posts.indexes} == {"posts_body_idx", "posts_account_id_idx"}
    assert posts.checks == {Check("rating >= 1 AND rating <= 5")}
    assert profiles.column("note").nullable is False and profiles.column("note").default == "''"
    assert profiles.column("score").default is None and profiles.column("handle").nullable
    assert profiles.column("mood").type.values == ("happy", "meh", "sad")
    assert profiles.column("kind").type == ColumnType("string", length=10)
    assert profiles.uniques == {Unique(("handle",))}
    assert {u.name for u in profiles.uniques} == {"profiles_handle_key"}


@pytest.mark.postgres
def test_fold_is_what_postgres_builds(pg_engine: sa.Engine) -> None:
    with pg_engine.begin() as conn:
        conn.exec_driver_sql(HISTORY)
    static, live = from_sql_text(HISTORY, "postgres"), from_database(pg_engine)
    assert diff(static, live) == []
    assert static == live
    for name in static.table_names:
        ours, theirs = static.table(name), live.table(name)
        for kind in ("foreign_keys", "uniques", "indexes", "checks"):
            assert {c.name for c in getattr(ours, kind)} == {c.name for c in getattr(theirs, kind)}


def test_what_cannot_be_folded_is_noted_with_file_and_line() -> None:
    sql = """CREATE TABLE t (a INT);
-- a trigger body is plpgsql: sqlglot keeps it as a command
CREATE FUNCTION touch() RETURNS trigger AS $$ BEGIN NEW.a = 1; RETURN NEW; END $$
    LANGUAGE plpgsql;
CREATE TABLE copy AS SELECT * FROM t;
ALTER TABLE missing ADD COLUMN b INT;
ALTER TABLE IF EXISTS missing ADD COLUMN b INT;
DROP INDEX nowhere;
DROP INDEX IF EXISTS nowhere;
CREATE VIEW v AS SELECT a FROM t;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
SET search_path = public;
BEGIN;
UPDATE t SET a = 1;
COMMIT;
"""
    schema = from_sql_text(sql, "postgres", "001_init.sql")
    assert schema.notes == (
        "not folded: 001_init.sql:3: CREATE FUNCTION touch() RETURNS trigger AS ...",
        "not folded: 001_init.sql:5: CREATE TABLE copy AS SELECT * ...",
        "not folded: 001_init.sql:6: ALTER TABLE missing ADD COLUMN b ...",
        "not folded: 001_init.sql:8: DROP INDEX nowhere",
        "not folded: 001_init.sql:10: CREATE VIEW v AS SELECT a ...",
    )
    assert schema.table_names == ("t",)


def test_opaque_statements_from_the_splitter_are_noted() -> None:
    """The migrations layer marks what only runs verbatim; the fold says it skipped it."""
    statements = [
        Statement("CREATE TABLE t (a INT)", Path("m/001_a.sql"), 1, "CREATE TABLE t (a INT)"),
        Statement("DO $$ BEGIN PERFORM 1; END $$", Path("m/002_b.sql"), 4,
                  "DO $$ BEGIN PERFORM 1; END $$", opaque=True),
        Statement("ALTER TYPE nothing ADD VALUE 'x'", Path("m/003_c.sql"), 2,
                  "ALTER TYPE nothing ADD VALUE 'x'", opaque=True),
    ]
    assert from_sql(statements, "pg").notes == (
        "not folded: m/002_b.sql:4: DO $$ BEGIN PERFORM 1; END ...",
        "not folded: m/003_c.sql:2: ALTER TYPE nothing ADD VALUE 'x'",
    )


def test_sqlite_dialect_fold() -> None:
    schema = from_sql_text("""
        CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x',
                        other_id INTEGER REFERENCES other ON DELETE SET NULL);
        CREATE TABLE u (id INTEGER PRIMARY KEY AUTOINCREMENT, t_id BIGINT);
        CREATE TABLE other (key TEXT PRIMARY KEY);
        CREATE UNIQUE INDEX u_t ON u (t_id) WHERE t_id IS NOT NULL;
    """, "sqlite")
    assert not schema.exact_types and not schema.has_enums
    t = schema.table("t")
    assert t.column("id").autoincrement and not t.column("id").nullable  # the rowid
    assert t.foreign_keys == {ForeignKey(("other_id",), "other", ("key",), "SET NULL")}
    assert schema.table("u").column("id").autoincrement
    assert schema.table("other").column("key").nullable is False
