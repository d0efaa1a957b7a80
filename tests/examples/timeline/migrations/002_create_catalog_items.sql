-- expand: the new table the catalog moves to; a missing description reads as a default
CREATE TABLE catalog_items (
    item_sku    VARCHAR(40) PRIMARY KEY,
    title       VARCHAR(200) NOT NULL,
    body        TEXT DEFAULT 'no description yet',
    price_cents INTEGER NOT NULL,
    changed_at  TIMESTAMPTZ
);
