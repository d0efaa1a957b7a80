DROP INDEX IF NOT EXISTS files_collection_index;

ALTER TABLE collections
    DROP COLUMN encrypted_name
    DROP COLUMN nonce;
