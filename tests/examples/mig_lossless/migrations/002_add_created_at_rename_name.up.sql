ALTER TABLE accounts ADD COLUMN created_at TIMESTAMPTZ;
CREATE INDEX ix_accounts_created_at ON accounts (created_at);
-- rows keep their value under the new name: no declaration needed
ALTER TABLE accounts RENAME COLUMN display_name TO full_name;
