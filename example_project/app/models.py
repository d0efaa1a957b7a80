"""The application's models: the schema as it stands after every migration in migrations/.

pytest-dualwrite compares these with what the migrations build (`models_match_migrations`):
tables, column types with their lengths, nullability, primary and foreign keys with their
ON DELETE, unique constraints, indexes, checks and server defaults. So every
`server_default` here is the DEFAULT of the SQL, and a table the migrations drop
(`products`, `consensus_artifacts`) is not here: the dual-write code that still needs
those tables until the contract step declares them in `app/legacy.py`.

Types are the portable SQLAlchemy ones, so the same models run on SQLite in the tests:
`sa.Uuid` (UUID on Postgres, CHAR(32) on SQLite), `sa.DateTime(timezone=True)`
(TIMESTAMPTZ), and JSON that is JSONB on Postgres.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JSONB = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMPTZ = sa.DateTime(timezone=True)
NOW = sa.text("now()")
EMPTY_JSON_ARRAY = sa.text("'[]'::jsonb")


class Base(DeclarativeBase):
    pass


# --- scenario 3: the first tables (migrations 000-003) ---------------------------------------

class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True,
                                          server_default=sa.text("gen_random_uuid()"))
    email: Mapped[str] = mapped_column(sa.String(255), unique=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(100))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("true"))
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'in_progress', 'done')"),
        sa.Index("ix_tasks_user_id_status", "user_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True,
                                          server_default=sa.text("gen_random_uuid()"))
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), server_default=sa.text("'pending'"))
    due_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True,
                                          server_default=sa.text("gen_random_uuid()"))
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)
    updated_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        sa.CheckConstraint("role IN ('user', 'assistant', 'system', 'tool')"),
        sa.Index("ix_messages_conversation_id_created_at", "conversation_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True,
                                          server_default=sa.text("gen_random_uuid()"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(sa.String(20))
    content: Mapped[str] = mapped_column(sa.Text)
    tool_calls: Mapped[Any] = mapped_column(JSONB, server_default=EMPTY_JSON_ARRAY)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)


# --- products -> catalog_items (migrations 004-006; products is dropped by 006) ----------------

class CatalogItem(Base):
    __tablename__ = "catalog_items"

    item_sku: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str | None] = mapped_column(sa.Text)
    price_cents: Mapped[int] = mapped_column(sa.Integer)
    changed_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)


# --- scenario 1: collections -> project_collections (migrations 007-008) -----------------------

class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)


class Collection(Base):
    """A collection; soft-deleted (`deleted_at` set) rather than removed."""

    __tablename__ = "collections"
    __table_args__ = (sa.Index("ix_collections_project_id", "project_id"),)

    collection_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True,
                                               autoincrement=False)
    # Superseded by project_collections.project_id; kept until every reader has moved.
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    # Superseded by project_collections.research_context.
    description: Mapped[str | None] = mapped_column(sa.Text)
    tags: Mapped[Any] = mapped_column(JSONB, server_default=EMPTY_JSON_ARRAY)
    deleted_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)
    updated_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)


class ProjectCollection(Base):
    """The junction: one row per (project, live collection)."""

    __tablename__ = "project_collections"
    __table_args__ = (sa.Index("ix_project_collections_collection_id", "collection_id"),)

    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)
    collection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collections.collection_id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)
    research_context: Mapped[str | None] = mapped_column(sa.Text)
    tags: Mapped[Any] = mapped_column(JSONB, server_default=EMPTY_JSON_ARRAY)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)
    updated_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)


# --- scenario 2: consensus_artifacts -> consensus_runs + agent_outputs (009-011) ---------------

class ConsensusRun(Base):
    __tablename__ = "consensus_runs"
    __table_args__ = (sa.UniqueConstraint("spec_id", "stage"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)  # SERIAL
    spec_id: Mapped[str] = mapped_column(sa.String(64))
    stage: Mapped[str] = mapped_column(sa.String(32))
    synthesis: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)


class AgentOutput(Base):
    __tablename__ = "agent_outputs"

    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consensus_runs.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)
    agent: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    content: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)


# --- scenario 4: characters, mirrored to a JSON document store (012-013) -----------------------

class Character(Base):
    __tablename__ = "characters"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.String(100))
    class_: Mapped[str | None] = mapped_column("class", sa.String(40))
    level: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("1"))
    bio: Mapped[str | None] = mapped_column(sa.Text)


class CharacterExport(Base):
    """Which character the export wrote to the document store, and the document's hash."""

    __tablename__ = "character_exports"

    character_id: Mapped[int] = mapped_column(
        sa.ForeignKey("characters.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)
    checksum: Mapped[str] = mapped_column(sa.String(64))
    exported_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)


# --- scenario 6: short links -> redirects (014-015) ----------------------------------------------

class ShortLink(Base):
    """The link shortener's table; `redirects` takes over (app/links.py)."""

    __tablename__ = "short_links"

    slug: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    target_url: Mapped[str] = mapped_column(sa.Text)
    title: Mapped[str | None] = mapped_column(sa.Text)
    clicks: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))


class Redirect(Base):
    __tablename__ = "redirects"

    slug: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    destination: Mapped[str] = mapped_column(sa.Text)
    title: Mapped[str | None] = mapped_column(sa.Text)
    hits: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))
    status_code: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("301"))


def table(name: str) -> sa.Table:
    """A model's Core `Table`, for the repositories' SQLAlchemy Core statements."""
    return Base.metadata.tables[name]
