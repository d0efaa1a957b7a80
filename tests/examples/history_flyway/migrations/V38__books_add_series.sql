ALTER TABLE books ADD COLUMN series_id INTEGER REFERENCES series (id);
ALTER TABLE books ADD COLUMN series_position SMALLINT;
