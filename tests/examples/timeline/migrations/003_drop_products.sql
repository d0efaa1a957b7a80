-- contract: every record now lives in catalog_items
-- dualwrite: drops products
DROP TABLE products;
