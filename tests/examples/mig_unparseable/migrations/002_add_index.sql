-- a typo on line 4
ALTER TABLE accounts ADD COLUMN nickname VARCHAR(40);

CREAT INDEX ix_accounts_nickname ON accounts (nickname);
