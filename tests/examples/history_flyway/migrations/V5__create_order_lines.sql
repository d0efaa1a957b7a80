CREATE TABLE order_lines (
    order_id   BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no    SMALLINT NOT NULL,
    book_id    INTEGER NOT NULL REFERENCES books (id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    unit_price NUMERIC(10, 2) NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
