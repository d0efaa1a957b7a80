-- migrate:up
-- Contract: every reader and writer uses catalog_items now; the old table goes.
-- The line below tells each_step_preserves_rows that this loss is intended.
-- dualwrite: drops products
DROP TABLE products;

-- migrate:down
-- The old table comes back exactly as 004 created it; its rows do not (restore them
-- from catalog_items if you ever roll back for real).
CREATE TABLE products (
    sku VARCHAR(40) PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    description TEXT,
    price_cents INTEGER NOT NULL,
    updated_at TIMESTAMPTZ
);
