-- migrate:up
-- Expand: the project <-> collection junction. Only live collections have a row here: a
-- soft delete in the old table is a hard delete in this one.
CREATE TABLE project_collections (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    collection_id INTEGER NOT NULL REFERENCES collections (collection_id) ON DELETE CASCADE,
    research_context TEXT,
    tags JSONB NOT NULL DEFAULT '[]'::jsonb,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, collection_id)
);

-- The primary key serves "collections of a project"; this serves "projects of a collection".
CREATE INDEX ix_project_collections_collection_id ON project_collections (collection_id);

-- migrate:down
-- ix_project_collections_collection_id goes with its table.
DROP TABLE project_collections;
