-- Contract: every reader and writer uses catalog_items now; the old table goes.
-- The line below tells each_step_preserves_rows that this loss is intended.
-- dualwrite: drops products
DROP TABLE products;
