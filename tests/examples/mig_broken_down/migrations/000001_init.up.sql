CREATE TABLE collections (
    id SERIAL PRIMARY KEY,
    name TEXT
);
CREATE TABLE files (
    id SERIAL PRIMARY KEY,
    collection_id INT NOT NULL REFERENCES collections (id)
);
