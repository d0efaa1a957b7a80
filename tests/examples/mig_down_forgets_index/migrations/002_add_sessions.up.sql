CREATE TABLE sessions (
    token      VARCHAR(64) PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id)
);
CREATE INDEX ix_accounts_created_at ON accounts (created_at);
