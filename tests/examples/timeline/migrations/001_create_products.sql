CREATE TABLE products (
    sku         VARCHAR(40) PRIMARY KEY,
    name        VARCHAR(200) NOT NULL,
    description TEXT,
    price_cents INTEGER NOT NULL,
    updated_at  TIMESTAMPTZ
);
