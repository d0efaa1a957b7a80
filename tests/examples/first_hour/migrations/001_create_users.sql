CREATE TABLE users (
    id    UUID PRIMARY KEY,
    name  VARCHAR(100) NOT NULL,
    email TEXT
);
