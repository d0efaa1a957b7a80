CREATE TABLE cart_items (
    cart_id  BIGINT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    book_id  INTEGER NOT NULL REFERENCES books (id),
    quantity INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (cart_id, book_id)
);
