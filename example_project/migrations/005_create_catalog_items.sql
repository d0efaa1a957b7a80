-- migrate:up
-- Expand: the new table exists next to the old one. From here on the application writes
-- both (app/catalog.py) and a backfill copies what was there before (app/backfills.py).
CREATE TABLE catalog_items (
    item_sku VARCHAR(40) PRIMARY KEY,
    title VARCHAR(200) NOT NULL,
    body TEXT,
    price_cents INTEGER NOT NULL,
    changed_at TIMESTAMPTZ
);

-- migrate:down
DROP TABLE catalog_items;
