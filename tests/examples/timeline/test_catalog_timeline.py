import catalog

from pytest_dualwrite import Cutover, DualWrite

products_timeline = DualWrite(
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
    cutover=Cutover(
        write=catalog.cutover_write,
        update=catalog.cutover_update,
        delete=catalog.cutover_delete,
    ),
)
