ALTER TABLE tickets RENAME COLUMN body TO description;
