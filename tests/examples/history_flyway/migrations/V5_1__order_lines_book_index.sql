CREATE INDEX order_lines_book_id_idx ON order_lines (book_id);
