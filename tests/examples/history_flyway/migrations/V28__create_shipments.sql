CREATE TABLE shipments (
    id         BIGSERIAL PRIMARY KEY,
    order_id   BIGINT NOT NULL REFERENCES orders (id),
    carrier    VARCHAR(40) NOT NULL,
    shipped_at TIMESTAMPTZ
);
