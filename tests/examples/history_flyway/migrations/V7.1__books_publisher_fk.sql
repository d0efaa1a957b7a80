ALTER TABLE books ADD COLUMN publisher_id INTEGER;

ALTER TABLE books
    ADD CONSTRAINT books_publisher_fk FOREIGN KEY (publisher_id)
        REFERENCES publishers (id) ON DELETE SET NULL;
