ALTER TABLE tickets RENAME COLUMN description TO body;
