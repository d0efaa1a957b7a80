CREATE TABLE accounts (
    id    INTEGER PRIMARY KEY,
    email VARCHAR(120) NOT NULL
);
