"""products -> catalog_items: rename a table and four of its columns (migrations 004-006).

`pytest --dualwrite` turns the spec below into the checks of docs/items.md: the backfill
keeps every product (and is idempotent and resumable), any interleaving of writes,
updates, deletes and backfill batches leaves both tables equal, the read path agrees with
`products`, and after 006 drops `products` every product is still in catalog_items.
Try `DUALWRITE_EXAMPLE_BROKEN=1 pytest --dualwrite -k products`: the backfill then cuts
names to 40 characters, and the failure shows the product, the field and both values.
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from pytest_dualwrite import DualWrite

from app import backfills, catalog
from app.legacy import products


def backfill_in_small_batches(conn: sa.Connection):
    """The production backfill in batches of 3, so that the checks stop it after any
    batch and interleave writes between its batches even with a handful of rows."""
    yield from backfills.products_to_catalog_items(conn, batch_size=3)


products_to_catalog_items = DualWrite(
    old="products",
    new="catalog_items",
    key={"sku": "item_sku"},
    columns={"name": "title", "description": "body", "price_cents": "price_cents",
             "updated_at": "changed_at"},
    expand=5,      # 005_create_catalog_items.sql
    contract=6,    # 006_drop_products.sql
    write=catalog.create_product,
    update=catalog.update_product,
    delete=catalog.delete_product,
    backfill=backfill_in_small_batches,
    read=catalog.get_product,
)


# --- hand-written tests of the repository ---------------------------------------------------------

WHEN = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=timezone.utc)


def _product(sku: str, name: str = "Lamp", **extra) -> dict:
    return {"sku": sku, "name": name, "description": None, "price_cents": 1999,
            "updated_at": WHEN, **extra}


def test_read_path_finds_products_before_and_after_the_backfill(engine_at):
    engine = engine_at(5)
    with engine.begin() as conn:  # rows written before the dual write existed
        conn.execute(sa.insert(products), [_product("A-1"), _product("B-2", "Desk")])
    with engine.begin() as conn:
        assert catalog.get_product(conn, "A-1")["name"] == "Lamp"  # from products
        assert conn.execute(sa.select(sa.func.count()).select_from(catalog.catalog_items)
                            ).scalar() == 0
        batches = list(backfills.products_to_catalog_items(conn, batch_size=1))
        assert batches == [1, 1]
        assert catalog.get_product(conn, "B-2")["name"] == "Desk"  # from catalog_items
        assert catalog.get_product(conn, "missing") is None


def test_dual_write_update_and_delete_reach_both_tables(engine_at):
    engine = engine_at(5)
    with engine.begin() as conn:
        catalog.create_product(conn, _product("A-1"))
        catalog.update_product(conn, "A-1", {"name": "Floor lamp", "price_cents": 2500})
        item = conn.execute(sa.select(catalog.catalog_items)).mappings().one()
        assert (item["title"], item["price_cents"]) == ("Floor lamp", 2500)
        catalog.delete_product(conn, "A-1")
        assert conn.execute(sa.select(products)).first() is None
        assert conn.execute(sa.select(catalog.catalog_items)).first() is None


def test_backfill_twice_changes_nothing(engine_at):
    engine = engine_at(5)
    with engine.begin() as conn:
        conn.execute(sa.insert(products), [_product(f"S-{i}") for i in range(7)])
        list(backfills.products_to_catalog_items(conn, batch_size=3))
        first = conn.execute(sa.select(catalog.catalog_items)
                             .order_by(catalog.catalog_items.c.item_sku)).all()
        list(backfills.products_to_catalog_items(conn, batch_size=3))
        again = conn.execute(sa.select(catalog.catalog_items)
                             .order_by(catalog.catalog_items.c.item_sku)).all()
    assert len(first) == 7 and first == again


def test_the_broken_variant_really_is_broken(engine_at, monkeypatch):
    """Keeps the planted bug honest: with it on, a long name does not survive."""
    monkeypatch.setenv("DUALWRITE_EXAMPLE_BROKEN", "1")
    engine = engine_at(5)
    with engine.begin() as conn:
        conn.execute(sa.insert(products), [_product("L-1", "x" * 41)])
        list(backfills.products_to_catalog_items(conn))
        assert catalog.get_product(conn, "L-1")["name"] == "x" * 40
