CREATE TABLE refunds (
    id         BIGSERIAL PRIMARY KEY,
    payment_id BIGINT NOT NULL REFERENCES payments (id),
    amount     NUMERIC(12, 2) NOT NULL CHECK (amount > 0),
    reason     TEXT
);
