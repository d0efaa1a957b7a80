CREATE TABLE customers (
    id         BIGSERIAL PRIMARY KEY,
    email      VARCHAR(320) NOT NULL,
    full_name  VARCHAR(200),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
