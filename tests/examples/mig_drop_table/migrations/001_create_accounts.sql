CREATE TABLE accounts (
    id    INTEGER PRIMARY KEY,
    email VARCHAR(120) NOT NULL UNIQUE
);
CREATE TABLE legacy_sessions (
    token      VARCHAR(64) PRIMARY KEY,
    account_id INTEGER NOT NULL,
    expires_at TIMESTAMPTZ
);
