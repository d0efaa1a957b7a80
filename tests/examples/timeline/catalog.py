"""products -> catalog_items over the whole timeline, with planted bugs behind DW_BUG.

Dual-write phase: both tables (an update copies the whole fresh record into the new
table). Write cutover: catalog_items only (old is frozen; a delete removes the old row
too, so no late backfill can bring it back). The backfill copies with ON CONFLICT DO
NOTHING: a row the application already wrote to the new table is newer than the old one.
On Postgres each batch is one statement that locks the rows it copies (FOR SHARE): an
update or delete in flight then finishes first, and the batch copies what it left, so no
live write races it (`backfill_races_live_writes`). SQLite has one writer: row by row.
"""

from __future__ import annotations

import os

import sqlalchemy as sa

BUG = os.environ.get("DW_BUG", "")
BATCH = 2
COLUMNS = "sku, name, description, price_cents, updated_at"
NEW_COLUMNS = "item_sku, title, body, price_cents, changed_at"
VALUES = "(:sku, :name, :description, :price_cents, :updated_at)"
RENAMED = {"sku": "item_sku", "name": "title", "description": "body",
           "price_cents": "price_cents", "updated_at": "changed_at"}

UPSERT = sa.text(
    f"INSERT INTO catalog_items ({NEW_COLUMNS}) VALUES {VALUES} "
    "ON CONFLICT (item_sku) DO UPDATE SET title = excluded.title, body = excluded.body, "
    "price_cents = excluded.price_cents, changed_at = excluded.changed_at")
COPY = UPSERT if BUG in ("backfill_overwrites", "race_lost_update") else sa.text(
    f"INSERT INTO catalog_items ({NEW_COLUMNS}) VALUES {VALUES} "
    "ON CONFLICT (item_sku) DO NOTHING")


# --- dual-write phase ----------------------------------------------------------------------
def write(conn: sa.Connection, row: dict) -> None:
    conn.execute(sa.text(f"INSERT INTO products ({COLUMNS}) VALUES {VALUES}"), row)
    conn.execute(UPSERT, row)


def update(conn: sa.Connection, sku: str, changes: dict) -> None:
    """The old row, then the whole fresh record into the new table (copied if it was not)."""
    sets = ", ".join(f"{col} = :{col}" for col in changes)
    conn.execute(sa.text(f"UPDATE products SET {sets} WHERE sku = :sku"), {**changes, "sku": sku})
    conn.execute(sa.text(
        f"INSERT INTO catalog_items ({NEW_COLUMNS}) SELECT {COLUMNS} FROM products "
        "WHERE sku = :sku ON CONFLICT (item_sku) DO UPDATE SET title = excluded.title, "
        "body = excluded.body, price_cents = excluded.price_cents, "
        "changed_at = excluded.changed_at"), {"sku": sku})


def delete(conn: sa.Connection, sku: str) -> None:
    conn.execute(sa.text("DELETE FROM products WHERE sku = :sku"), {"sku": sku})
    conn.execute(sa.text("DELETE FROM catalog_items WHERE item_sku = :sku"), {"sku": sku})


# One batch, one statement: the page of products, locked (FOR SHARE) so that an update or
# delete in flight commits first and the page holds what it left, copied; its last key.
LOCKED_PAGE = sa.text(
    f"WITH page AS (SELECT {COLUMNS} FROM products WHERE (CAST(:last AS TEXT) IS NULL "
    "OR sku > :last) ORDER BY sku LIMIT :n FOR SHARE), "
    f"copied AS (INSERT INTO catalog_items ({NEW_COLUMNS}) SELECT {COLUMNS} FROM page "
    "ON CONFLICT (item_sku) DO NOTHING) SELECT max(sku) FROM page")
# Bug 8: copies what the new table lacks, judged by NOT EXISTS, no ON CONFLICT. The page
# is locked as above (one mistake, not two): the batch waits for an update in flight,
# but NOT EXISTS looks at catalog_items as it was when the statement started, so the key
# that update has just mirrored is copied again.
NOT_EXISTS_PAGE = sa.text(
    f"WITH page AS (SELECT {COLUMNS} FROM products WHERE (CAST(:last AS TEXT) IS NULL "
    "OR sku > :last) ORDER BY sku LIMIT :n FOR SHARE), "
    f"copied AS (INSERT INTO catalog_items ({NEW_COLUMNS}) SELECT {COLUMNS} FROM page "
    "WHERE NOT EXISTS (SELECT 1 FROM catalog_items c WHERE c.item_sku = page.sku)) "
    "SELECT max(sku) FROM page")
ROW_BY_ROW = ("backfill_overwrites", "race_lost_update", "race_resurrect")


def backfill(conn: sa.Connection):
    """Keyset pagination, a yield per batch (a batch commits there)."""
    if conn.dialect.name == "sqlite" or BUG in ROW_BY_ROW:
        yield from _row_by_row(conn)
        return
    page = NOT_EXISTS_PAGE if BUG == "race_not_exists" else LOCKED_PAGE
    last = None
    while True:
        last = conn.execute(page, {"last": last, "n": BATCH}).scalar()
        if last is None:
            return
        yield


def _row_by_row(conn: sa.Connection):
    """A SELECT of the page, then a copy per row (bugs 6 and 7: what the SELECT read may
    be stale by the time it is written)."""
    last = None
    while True:
        if last is None:
            rows = conn.execute(sa.text(f"SELECT {COLUMNS} FROM products ORDER BY sku "
                                        "LIMIT :n"), {"n": BATCH}).mappings().all()
        else:
            rows = conn.execute(sa.text(f"SELECT {COLUMNS} FROM products WHERE sku > :last "
                                        "ORDER BY sku LIMIT :n"), {"n": BATCH, "last": last}
                                ).mappings().all()
        if not rows:
            return
        for row in rows:
            conn.execute(COPY, dict(row))
        last = rows[-1]["sku"]
        yield


def read(conn: sa.Connection, sku: str) -> dict | None:
    """catalog_items first, products as the fallback for rows not yet copied."""
    new = sa.text("SELECT item_sku AS sku, title AS name, body AS description, price_cents, "
                  "changed_at AS updated_at FROM catalog_items WHERE item_sku = :sku")
    old = sa.text(f"SELECT {COLUMNS} FROM products WHERE sku = :sku")
    for query in (old, new) if BUG == "read_old_first" else (new, old):
        row = conn.execute(query, {"sku": sku}).mappings().first()
        if row is not None:
            return dict(row)
    return None


# --- after the write cutover: catalog_items only ----------------------------------------------
def cutover_write(conn: sa.Connection, row: dict) -> None:
    if BUG == "skip_default":
        given = {k: v for k, v in row.items() if v is not None}
        names = ", ".join(RENAMED[k] for k in given)
        values = ", ".join(f":{k}" for k in given)
        conn.execute(sa.text(f"INSERT INTO catalog_items ({names}) VALUES ({values})"), given)
        return
    conn.execute(sa.text(f"INSERT INTO catalog_items ({NEW_COLUMNS}) VALUES {VALUES}"), row)


def cutover_update(conn: sa.Connection, sku: str, changes: dict) -> None:
    if BUG == "update_old_only":
        sets = ", ".join(f"{col} = :{col}" for col in changes)
        conn.execute(sa.text(f"UPDATE products SET {sets} WHERE sku = :sku"),
                     {**changes, "sku": sku})
        return
    # A row not copied yet is copied first, so the update lands on the whole record.
    conn.execute(sa.text(f"INSERT INTO catalog_items ({NEW_COLUMNS}) SELECT {COLUMNS} "
                         "FROM products WHERE sku = :sku ON CONFLICT (item_sku) DO NOTHING"),
                 {"sku": sku})
    sets = ", ".join(f"{RENAMED[col]} = :{col}" for col in changes)
    conn.execute(sa.text(f"UPDATE catalog_items SET {sets} WHERE item_sku = :sku"),
                 {**changes, "sku": sku})


def cutover_delete(conn: sa.Connection, sku: str) -> None:
    conn.execute(sa.text("DELETE FROM catalog_items WHERE item_sku = :sku"), {"sku": sku})
    if BUG != "resurrect":
        conn.execute(sa.text("DELETE FROM products WHERE sku = :sku"), {"sku": sku})
