CREATE TABLE carts (
    id          BIGSERIAL PRIMARY KEY,
    customer_id BIGINT REFERENCES customers (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
