-- migrate:up
-- Expand for scenario 6: the redirect service's own table. The same records under the
-- names the service uses, and a status code (301 for every link copied: short links were
-- all permanent; 302 for the temporary ones the service adds).
CREATE TABLE redirects (
    slug VARCHAR(64) PRIMARY KEY,
    destination TEXT NOT NULL,
    title TEXT,
    hits INTEGER NOT NULL DEFAULT 0,
    status_code INTEGER NOT NULL DEFAULT 301
);

-- migrate:down
DROP TABLE redirects;
