CREATE TABLE IF NOT EXISTS teams (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name       VARCHAR(100) NOT NULL,
    slug       VARCHAR(100) NOT NULL UNIQUE, -- used in URLs: /t/<slug>
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
