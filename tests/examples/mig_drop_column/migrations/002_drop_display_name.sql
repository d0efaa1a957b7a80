-- contract: display names moved to the profiles service
ALTER TABLE accounts DROP COLUMN display_name;
