CREATE TABLE addresses (
    id          BIGSERIAL PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    line1       VARCHAR(200) NOT NULL,
    city        VARCHAR(100) NOT NULL,
    postcode    VARCHAR(16),
    country     CHAR(2) NOT NULL DEFAULT 'GB',
    is_default  BOOLEAN NOT NULL DEFAULT FALSE
);
