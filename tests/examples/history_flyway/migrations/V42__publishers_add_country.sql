ALTER TABLE publishers ADD COLUMN country CHAR(2);
UPDATE publishers SET country = 'GB' WHERE name IN ('Penguin', 'Faber & Faber');
UPDATE publishers SET country = 'US' WHERE country IS NULL;
