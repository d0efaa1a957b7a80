CREATE TABLE accounts (
    id           INTEGER PRIMARY KEY,
    email        VARCHAR(120) NOT NULL UNIQUE,
    display_name VARCHAR(80)
);
