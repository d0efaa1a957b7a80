"""A realistic history (users, tasks, conversations, messages) read by all three producers.

The migrations are Postgres SQL as a team writes it; the models are what the same team
writes in SQLAlchemy 2. Every producer must agree on them: a false positive here is a
check users would switch off. `declare(*plants)` builds the same models with mismatches
planted, for test_schema_mismatch.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pytest_dualwrite.schema.diff import diff
from pytest_dualwrite.schema.from_database import from_database
from pytest_dualwrite.schema.from_models import from_models
from pytest_dualwrite.schema.from_sql import from_sql, split_text
from pytest_dualwrite.schema.model import Schema, Table

MIGRATIONS = {
    "001_users.sql": """
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email VARCHAR(255) NOT NULL UNIQUE,
    display_name TEXT,
    is_admin BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
""",
    "002_tasks.sql": """
CREATE TABLE tasks (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name VARCHAR(200) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'doing', 'done')),
    priority INTEGER NOT NULL DEFAULT 0,
    due_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX ix_tasks_user_status ON tasks (user_id, status);
""",
    "003_conversations.sql": """
CREATE TABLE conversations (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    task_id UUID REFERENCES tasks(id) ON DELETE SET NULL,
    title TEXT,
    archived BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- only live conversations are listed, so only they are indexed
CREATE INDEX ix_conversations_live ON conversations (user_id) WHERE archived = false;

CREATE TABLE messages (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    conversation_id UUID NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role VARCHAR(20) NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
    content TEXT NOT NULL DEFAULT '',
    tool_calls JSONB NOT NULL DEFAULT '[]'::jsonb,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ix_messages_conversation_created ON messages (conversation_id, created_at);
""",
    "004_seed_cleanup.sql": """
ALTER TABLE tasks RENAME COLUMN name TO title;
ALTER TABLE tasks ADD CONSTRAINT tasks_priority_range CHECK (priority BETWEEN 0 AND 5);
ALTER TABLE messages ADD COLUMN token_count INTEGER;
ALTER TABLE users ADD COLUMN legacy_id INTEGER;
ALTER TABLE users DROP COLUMN legacy_id;
CREATE UNIQUE INDEX ux_users_email_lower ON users (lower(email));
DO $$ BEGIN RAISE NOTICE 'seeded'; END $$;
""",
}


def migration_statements() -> list:
    """The history as `Statement`s, file by file, as the runner would hand them over."""
    return [s for path, text in MIGRATIONS.items() for s in split_text(text, "postgres", path)]


def static_schema() -> Schema:
    return from_sql(migration_statements(), "postgres")


def apply_to_postgres(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for text in MIGRATIONS.values():
            conn.exec_driver_sql(text)


def declare(*plants: str) -> type[DeclarativeBase]:
    """The models matching MIGRATIONS, or with mismatches planted (see test_schema_mismatch)."""

    class Base(DeclarativeBase):
        pass

    json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    tz = sa.DateTime(timezone=True)

    class User(Base):
        __tablename__ = "users"
        id: Mapped[uuid.UUID] = mapped_column(
            primary_key=True, server_default=sa.text("gen_random_uuid()"))
        email: Mapped[str] = mapped_column(sa.String(100 if "length" in plants else 255),
                                           unique="unique" not in plants)
        display_name: Mapped[str | None] = mapped_column(sa.Text)
        is_admin: Mapped[bool] = mapped_column(server_default=sa.false())
        created_at: Mapped[datetime] = mapped_column(tz, server_default=sa.func.now())
        __table_args__ = (sa.Index("ux_users_email_lower", sa.func.lower(email), unique=True),)

    class Task(Base):
        __tablename__ = "tasks"
        id: Mapped[uuid.UUID] = mapped_column(
            primary_key=True, server_default=sa.text("gen_random_uuid()"))
        user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
        title: Mapped[str] = mapped_column(sa.String(200))
        status: Mapped[str] = mapped_column(sa.String(20), server_default="todo")
        priority: Mapped[int] = mapped_column(server_default="0")
        due_at: Mapped[datetime] = mapped_column(tz, nullable="nullable" not in plants)
        created_at: Mapped[datetime] = mapped_column(tz, server_default=sa.text("now()"))
        __table_args__ = (
            sa.CheckConstraint("status IN ('todo', 'doing', 'done')"),
            sa.CheckConstraint("priority >= 0 AND priority <= 5", name="tasks_priority_range"),
            sa.Index("ix_tasks_user_status", "user_id", "status"),
        )

    class Conversation(Base):
        __tablename__ = "conversations"
        id: Mapped[uuid.UUID] = mapped_column(
            primary_key=True, server_default=sa.text("gen_random_uuid()"))
        user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
        task_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey(
            "tasks.id", ondelete="CASCADE" if "on_delete" in plants else "SET NULL"))
        title: Mapped[str | None] = mapped_column(sa.Text)
        archived: Mapped[bool] = mapped_column(server_default=sa.text("false"))
        created_at: Mapped[datetime] = mapped_column(tz, server_default=sa.func.now())
        __table_args__ = (sa.Index("ix_conversations_live", "user_id",
                                   postgresql_where=sa.text("archived = false"),
                                   sqlite_where=sa.text("archived = false")),)

    roles = "'user', 'assistant', 'system'" + ("" if "check" in plants else ", 'tool'")

    class Message(Base):
        __tablename__ = "messages"
        id: Mapped[uuid.UUID] = mapped_column(
            primary_key=True, server_default=sa.text("gen_random_uuid()"))
        conversation_id: Mapped[uuid.UUID] = mapped_column(
            sa.ForeignKey("conversations.id", ondelete="CASCADE"))
        role: Mapped[str] = mapped_column(sa.String(20), sa.CheckConstraint(f"role IN ({roles})"))
        content: Mapped[str] = mapped_column(sa.Integer if "family" in plants else sa.Text,
                                             server_default="")
        tool_calls = mapped_column(json_type, nullable=False, server_default=sa.text("'[]'"))
        token_count: Mapped[int | None]
        created_at: Mapped[datetime] = mapped_column(tz, server_default=sa.func.now())
        if "extra_column" in plants:
            edited_at: Mapped[datetime | None] = mapped_column(tz)
        if "index" not in plants:
            __table_args__ = (sa.Index("ix_messages_conversation_created",
                                       "conversation_id", "created_at"),)

    return Base


Base = declare()


# --- the producers agree -----------------------------------------------------------------

def test_static_fold_reads_the_whole_history() -> None:
    schema = static_schema()
    assert schema.table_names == ("conversations", "messages", "tasks", "users")
    assert "title" in schema.table("tasks").column_names
    assert "legacy_id" not in schema.table("users").column_names
    # The DO block cannot be folded and says so; CREATE EXTENSION has no schema effect.
    assert schema.notes == ("not folded: 004_seed_cleanup.sql:8: DO $$ BEGIN RAISE NOTICE "
                            "'seeded'; ...",)


def test_migrations_match_models_statically() -> None:
    assert diff(from_models(Base), static_schema()) == []


@pytest.mark.postgres
def test_postgres_reflection_matches_models(pg_engine: sa.Engine) -> None:
    apply_to_postgres(pg_engine)
    assert diff(from_models(Base), from_database(pg_engine)) == []


@pytest.mark.postgres
def test_static_fold_agrees_with_postgres_on_everything(pg_engine: sa.Engine) -> None:
    """The static reading is only worth running without a server if it is this exact."""
    apply_to_postgres(pg_engine)
    static, live = static_schema(), from_database(pg_engine)
    assert static.table_names == live.table_names
    for name in static.table_names:
        ours, theirs = static.table(name), live.table(name)
        assert ours.column_names == theirs.column_names, name
        for column in ours.columns:
            other = theirs.column(column.name)
            where = f"{name}.{column.name}"
            assert column.type == other.type, where
            assert column.nullable == other.nullable, where
            assert column.default == other.default, where
            assert column.autoincrement == other.autoincrement, where
        assert ours.primary_key == theirs.primary_key, name
        assert ours.foreign_keys == theirs.foreign_keys, name
        assert ours.uniques == theirs.uniques, name
        assert ours.indexes == theirs.indexes, name
        assert ours.checks == theirs.checks, name
        # Unnamed constraints get the names Postgres gives them, so DROP CONSTRAINT works.
        assert _names(ours) == _names(theirs), name
    assert static == live
    assert diff(static, live) == []


def _names(table: Table) -> set[str | None]:
    return {c.name for c in (*table.foreign_keys, *table.uniques, *table.indexes, *table.checks)}


def test_sqlite_reflection_matches_models(sqlite_engine: sa.Engine) -> None:
    Base.metadata.create_all(sqlite_engine)
    live = from_database(sqlite_engine)
    assert not live.exact_types and not live.has_enums and live.has_checks
    assert diff(from_models(Base, dialect="sqlite"), live) == []


def test_sqlite_reflection_reads_expression_and_partial_indexes(sqlite_engine: sa.Engine) -> None:
    """SQLAlchemy's SQLite Inspector skips expression indexes; the stored DDL has them."""
    Base.metadata.create_all(sqlite_engine)
    live = from_database(sqlite_engine)
    users, conversations = live.table("users"), live.table("conversations")
    assert {(i.columns, i.unique) for i in users.indexes} == {(("LOWER(email)",), True)}
    assert {(i.columns, i.where) for i in conversations.indexes} == {
        (("user_id",), "archived = FALSE")}
    assert users.column("id").type.describe() == "char(32)"  # what SQLite really declares


def test_static_fold_and_sqlite_reflection_differ_only_in_words(sqlite_engine: sa.Engine) -> None:
    """PG-spelled migrations vs a SQLite database built from the models: still no alarm."""
    Base.metadata.create_all(sqlite_engine)
    assert diff(static_schema(), from_database(sqlite_engine)) == []
