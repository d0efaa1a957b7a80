INSERT INTO genres (name) VALUES ('Fiction'), ('Non-fiction');
INSERT INTO genres (name, parent_id) SELECT 'Crime', id FROM genres WHERE name = 'Fiction';
