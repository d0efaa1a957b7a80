ALTER TABLE books ADD CONSTRAINT books_price_nonneg CHECK (price >= 0);
