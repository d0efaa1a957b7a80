CREATE TABLE books (
    id           SERIAL PRIMARY KEY,
    author_id    INTEGER NOT NULL REFERENCES authors (id),
    title        VARCHAR(300) NOT NULL,
    isbn         CHAR(13) UNIQUE,
    published_on DATE
);
