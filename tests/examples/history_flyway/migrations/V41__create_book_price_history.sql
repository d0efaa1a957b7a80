CREATE TABLE book_price_history (
    book_id    INTEGER NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    valid_from TIMESTAMPTZ NOT NULL,
    price      NUMERIC(10, 2) NOT NULL,
    PRIMARY KEY (book_id, valid_from)
);
