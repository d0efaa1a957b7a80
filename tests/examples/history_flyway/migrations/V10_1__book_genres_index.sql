CREATE INDEX book_genres_genre_id_idx ON book_genres (genre_id);
