CREATE TABLE genres (
    id        SERIAL PRIMARY KEY,
    name      VARCHAR(80) NOT NULL UNIQUE,
    parent_id INTEGER REFERENCES genres (id)
);
