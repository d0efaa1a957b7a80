-- expand: the new table the catalog moves to
CREATE TABLE catalog_items (
    item_sku    VARCHAR(40) PRIMARY KEY,
    title       VARCHAR(200) NOT NULL,
    body        TEXT,
    price_cents INTEGER NOT NULL,
    changed_at  TIMESTAMPTZ
);
CREATE INDEX ix_catalog_items_changed ON catalog_items (changed_at);
