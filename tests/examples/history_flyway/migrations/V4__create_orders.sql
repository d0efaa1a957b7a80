CREATE TABLE orders (
    id          BIGSERIAL PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE RESTRICT,
    status      VARCHAR(20) NOT NULL DEFAULT 'new',
    placed_at   TIMESTAMP NOT NULL DEFAULT now()
);
