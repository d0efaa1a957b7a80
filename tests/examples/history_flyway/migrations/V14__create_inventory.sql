CREATE TABLE inventory (
    book_id  INTEGER PRIMARY KEY REFERENCES books (id),
    on_hand  INTEGER NOT NULL DEFAULT 0,
    reserved INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT inventory_nonneg CHECK (on_hand >= 0 AND reserved >= 0)
);
