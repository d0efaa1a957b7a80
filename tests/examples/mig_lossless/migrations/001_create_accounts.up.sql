CREATE TABLE accounts (
    id           INTEGER PRIMARY KEY,
    email        VARCHAR(120) NOT NULL UNIQUE,
    display_name VARCHAR(80)
);
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    action     VARCHAR(40) NOT NULL
);
