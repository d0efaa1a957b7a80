-- migrate:up
-- Scenario 6: the link shortener's table, before it moves to `redirects` (015).
CREATE TABLE short_links (
    slug VARCHAR(64) PRIMARY KEY,
    target_url TEXT NOT NULL,
    title TEXT,
    clicks INTEGER NOT NULL DEFAULT 0
);

-- migrate:down
DROP TABLE short_links;
