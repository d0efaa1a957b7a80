-- migrate:up
-- Expand for the document store: the store itself lives outside the database, so this
-- step adds what the export needs here: which character was exported, with what checksum
-- (the backfill validates each document it writes and records it; a rerun skips what is
-- unchanged).
CREATE TABLE character_exports (
    character_id INTEGER PRIMARY KEY REFERENCES characters (id) ON DELETE CASCADE,
    checksum VARCHAR(64) NOT NULL,
    exported_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE character_exports;
