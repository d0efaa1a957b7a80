ALTER TABLE wishlists RENAME TO saved_books;
