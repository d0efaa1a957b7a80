-- forgets ix_accounts_created_at
DROP TABLE sessions;
