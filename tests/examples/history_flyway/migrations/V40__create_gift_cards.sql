CREATE TABLE gift_cards (
    code       VARCHAR(20) PRIMARY KEY,
    balance    NUMERIC(10, 2) NOT NULL DEFAULT 0,
    issued_to  BIGINT REFERENCES customers (id),
    expires_on DATE
);
