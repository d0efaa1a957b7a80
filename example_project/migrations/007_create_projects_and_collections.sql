-- migrate:up
-- Scenario 1, research collections. A collection belongs to exactly one project here;
-- migration 008 moves that link (and the research notes) into a junction table so that a
-- collection can later be shared between projects.
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Collections are soft-deleted: deleted_at is set, the row stays (the "trash" view and
-- undo read it). A live collection is one whose deleted_at IS NULL.
CREATE TABLE collections (
    collection_id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name VARCHAR(200) NOT NULL,
    description TEXT,
    tags JSONB NOT NULL DEFAULT '[]'::jsonb,
    deleted_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX ix_collections_project_id ON collections (project_id);

-- migrate:down
-- ix_collections_project_id goes with its table.
DROP TABLE collections;
DROP TABLE projects;
