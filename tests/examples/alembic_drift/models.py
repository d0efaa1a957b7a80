"""Models equal to the revision, some spelled differently: func.now() where the revision
writes CURRENT_TIMESTAMP, sa.desc() where it writes text("created_at DESC")."""
import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)


class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("authors.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), server_default="draft")
    created_at: Mapped[datetime.datetime] = mapped_column(server_default=sa.func.now())
    __table_args__ = (sa.Index("ix_posts_recent", sa.desc("created_at")),)
