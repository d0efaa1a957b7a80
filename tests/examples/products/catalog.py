"""products -> catalog_items: the application side, with planted bugs behind DW_BUG."""

from __future__ import annotations

import os

import sqlalchemy as sa

BUG = os.environ.get("DW_BUG", "")
BATCH = 2

UPSERT = sa.text(
    "INSERT INTO catalog_items (item_sku, title, body, price_cents, changed_at) "
    "VALUES (:sku, :name, :description, :price_cents, :updated_at) "
    "ON CONFLICT (item_sku) DO UPDATE SET title = excluded.title, body = excluded.body, "
    "price_cents = excluded.price_cents, changed_at = excluded.changed_at")
INSERT_ONLY = sa.text(
    "INSERT INTO catalog_items (item_sku, title, body, price_cents, changed_at) "
    "VALUES (:sku, :name, :description, :price_cents, :updated_at)")
COLUMNS = "sku, name, description, price_cents, updated_at"


def write(conn: sa.Connection, row: dict) -> None:
    conn.execute(sa.text(f"INSERT INTO products ({COLUMNS}) VALUES "
                         "(:sku, :name, :description, :price_cents, :updated_at)"), row)
    conn.execute(UPSERT, row)


def update(conn: sa.Connection, sku: str, changes: dict) -> None:
    sets = ", ".join(f"{col} = :{col}" for col in changes)
    conn.execute(sa.text(f"UPDATE products SET {sets} WHERE sku = :sku"), {**changes, "sku": sku})
    if BUG == "update_old_only":
        return
    renamed = {"name": "title", "description": "body", "price_cents": "price_cents",
               "updated_at": "changed_at"}
    sets = ", ".join(f"{renamed[col]} = :{col}" for col in changes)
    conn.execute(sa.text(f"UPDATE catalog_items SET {sets} WHERE item_sku = :sku"),
                 {**changes, "sku": sku})


def delete(conn: sa.Connection, sku: str) -> None:
    conn.execute(sa.text("DELETE FROM products WHERE sku = :sku"), {"sku": sku})
    if BUG != "delete_old_only":
        conn.execute(sa.text("DELETE FROM catalog_items WHERE item_sku = :sku"), {"sku": sku})


def _copy(conn: sa.Connection, rows: list) -> None:
    for row in rows:
        row = dict(row)
        if BUG == "truncate40":
            row["name"] = row["name"][:40]
        conn.execute(INSERT_ONLY if BUG == "not_idempotent" else UPSERT, row)


def backfill(conn: sa.Connection):
    """Keyset pagination, an upsert per row, a yield per batch (the engine commits there)."""
    where = " WHERE description IS NOT NULL" if BUG == "skip_nulls" else ""
    if BUG == "stale_snapshot":
        snapshot = conn.execute(sa.text(f"SELECT {COLUMNS} FROM products ORDER BY sku")
                                ).mappings().all()
        for start in range(0, len(snapshot), BATCH):
            _copy(conn, snapshot[start:start + BATCH])
            yield
        return
    if BUG == "offset_skip":
        offset = 0
        while True:
            rows = conn.execute(sa.text(f"SELECT {COLUMNS} FROM products ORDER BY sku "
                                        "LIMIT :n OFFSET :o"), {"n": BATCH, "o": offset}
                                ).mappings().all()
            if not rows:
                return
            _copy(conn, rows)
            offset += BATCH + 1
            yield
    last = None
    while True:
        if last is None:
            query = sa.text(f"SELECT {COLUMNS} FROM products{where} ORDER BY sku LIMIT :n")
            rows = conn.execute(query, {"n": BATCH}).mappings().all()
        else:
            glue = " AND" if where else " WHERE"
            query = sa.text(f"SELECT {COLUMNS} FROM products{where}{glue} sku > :last "
                            "ORDER BY sku LIMIT :n")
            rows = conn.execute(query, {"n": BATCH, "last": last}).mappings().all()
        if not rows:
            return
        _copy(conn, rows)
        last = rows[-1]["sku"]
        yield


def read(conn: sa.Connection, sku: str) -> dict | None:
    """The migrated read path: catalog_items first, products as the fallback."""
    row = conn.execute(sa.text(
        "SELECT item_sku AS sku, title AS name, body AS description, price_cents, "
        "changed_at AS updated_at FROM catalog_items WHERE item_sku = :sku"), {"sku": sku}
    ).mappings().first()
    if row is not None or BUG == "read_no_fallback":
        return dict(row) if row is not None else None
    row = conn.execute(sa.text(f"SELECT {COLUMNS} FROM products WHERE sku = :sku"),
                       {"sku": sku}).mappings().first()
    return dict(row) if row is not None else None
