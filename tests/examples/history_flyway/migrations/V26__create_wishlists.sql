CREATE TABLE wishlists (
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    book_id     INTEGER NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    added_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, book_id)
);
