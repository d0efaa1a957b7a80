"""products -> catalog_items: the dual-write repository (migrations 004-006).

Between the expand (005) and the contract (006) every write goes to both tables, inside
the caller's transaction: the functions take a `Connection` that is already in one and
never commit. Reads prefer the new table and fall back to the old one, so they are right
before, during and after the backfill (app/backfills.py).

    products            catalog_items
    sku          ->     item_sku
    name         ->     title
    description  ->     body
    price_cents  ->     price_cents
    updated_at   ->     changed_at
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from .db import broken, upsert
from .legacy import products
from .models import table

catalog_items = table("catalog_items")

# old column -> new column
TO_NEW = {"sku": "item_sku", "name": "title", "description": "body",
          "price_cents": "price_cents", "updated_at": "changed_at"}
TO_OLD = {new: old for old, new in TO_NEW.items()}


def to_new(values: Mapping[str, Any]) -> dict[str, Any]:
    """A products row (or part of one) in catalog_items' column names."""
    return {TO_NEW[c]: v for c, v in values.items() if c in TO_NEW}


def create_product(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    """Dual write of a new product. A duplicate sku fails on `products` before anything
    reaches catalog_items. The new side is an upsert: a stale catalog row for this sku
    (from a bug or a crashed job) is overwritten rather than failing the request."""
    conn.execute(sa.insert(products), [{c: v for c, v in row.items() if c in products.c}])
    upsert(conn, catalog_items, to_new(row), key=["item_sku"])


def update_product(conn: sa.Connection, sku: str, changes: Mapping[str, Any]) -> None:
    """Both tables, same changes. A row the backfill has not copied yet is simply not in
    catalog_items: the UPDATE there touches nothing and the backfill copies the new values
    later (it reads `products` as it is when the batch runs)."""
    old = {c: v for c, v in changes.items() if c in products.c}
    if not old:
        return
    conn.execute(sa.update(products).where(products.c.sku == sku).values(old))
    if broken("update-old-only"):
        return
    conn.execute(sa.update(catalog_items).where(catalog_items.c.item_sku == sku)
                 .values(to_new(old)))


def delete_product(conn: sa.Connection, sku: str) -> None:
    conn.execute(sa.delete(products).where(products.c.sku == sku))
    conn.execute(sa.delete(catalog_items).where(catalog_items.c.item_sku == sku))


def get_product(conn: sa.Connection, sku: str) -> dict[str, Any] | None:
    """The migrated read path: catalog_items first, products for rows not copied yet.
    Returns the product in the old column names, or None."""
    new = conn.execute(sa.select(catalog_items).where(catalog_items.c.item_sku == sku)
                       ).mappings().first()
    if new is not None:
        return {TO_OLD[c]: v for c, v in new.items()}
    old = conn.execute(sa.select(products).where(products.c.sku == sku)).mappings().first()
    return dict(old) if old is not None else None
