ALTER TABLE collections ADD COLUMN encrypted_name TEXT, ADD COLUMN nonce TEXT;
ALTER TABLE collections ALTER COLUMN name DROP NOT NULL;
CREATE INDEX IF NOT EXISTS files_collection_index ON files (collection_id);
