CREATE TABLE payments (
    id       BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    amount   NUMERIC(12, 2) NOT NULL,
    method   VARCHAR(16) NOT NULL,
    paid_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
