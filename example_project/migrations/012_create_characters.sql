-- migrate:up
-- Scenario 4: game characters, about to be mirrored to a JSON document store
-- (one file per character, see app/characters.py).
CREATE TABLE characters (
    id INTEGER PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    class VARCHAR(40),
    level INTEGER NOT NULL DEFAULT 1,
    bio TEXT
);

-- migrate:down
DROP TABLE characters;
