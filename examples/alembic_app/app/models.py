"""The models at head: what the revisions build once customers have moved to accounts."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (sa.CheckConstraint("price_cents >= 0", name="products_price_cents_check"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(32), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200), index=True)
    price_cents: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(20), server_default="draft")


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    full_name: Mapped[str] = mapped_column(sa.String(80))
    email: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    created_at: Mapped[datetime.datetime] = mapped_column(server_default=sa.func.now())
