"""The application's SQLAlchemy models: what the code believes the schema is.

They must match what `migrations/` builds, or the code reads and writes columns the
database does not have (or has differently). `pytest --dualwrite` checks that in
`migrations::models_match_migrations[...]`, and `python -m pytest_dualwrite drift`
prints the same table without a test run.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# JSONB on Postgres (what the migrations create), plain JSON on other databases.
JSONB = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMPTZ = sa.DateTime(timezone=True)
NEW_UUID = sa.text("gen_random_uuid()")


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=NEW_UUID)
    email: Mapped[str] = mapped_column(sa.String(255), unique=True)
    display_name: Mapped[str | None] = mapped_column(sa.Text)
    is_active: Mapped[bool] = mapped_column(server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=sa.func.now())


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'in_progress', 'done')"),
        sa.Index("ix_tasks_user_id_status", "user_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=NEW_UUID)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), server_default="pending")
    due_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=sa.func.now())


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        sa.Index("ix_conversations_user_id_updated_at", "user_id", "updated_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=NEW_UUID)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    task_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("tasks.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=sa.func.now())
    updated_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=sa.func.now())


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        sa.CheckConstraint("role IN ('user', 'assistant', 'system', 'tool')"),
        sa.Index("ix_messages_conversation_id_created_at", "conversation_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=NEW_UUID)
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(sa.String(20))
    content: Mapped[str] = mapped_column(sa.Text)
    tool_calls: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=sa.text("'[]'"))
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=sa.func.now())
