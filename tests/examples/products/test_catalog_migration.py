import catalog

from pytest_dualwrite import DualWrite

products_to_catalog_items = DualWrite(
    old="products",
    new="catalog_items",
    key={"sku": "item_sku"},
    columns={"name": "title", "description": "body", "price_cents": "price_cents",
             "updated_at": "changed_at"},
    expand=2,
    contract=3,
    write=catalog.write,
    update=catalog.update,
    delete=catalog.delete,
    backfill=catalog.backfill,
    read=catalog.read,
)
