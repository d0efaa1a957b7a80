CREATE INDEX books_language_idx ON books (language);
