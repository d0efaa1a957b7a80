ALTER TABLE authors RENAME COLUMN name TO display_name;
