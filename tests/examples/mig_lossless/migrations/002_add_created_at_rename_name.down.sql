ALTER TABLE accounts RENAME COLUMN full_name TO display_name;
DROP INDEX ix_accounts_created_at;
ALTER TABLE accounts DROP COLUMN created_at;
