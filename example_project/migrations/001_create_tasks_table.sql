-- migrate:up
CREATE TABLE tasks (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title VARCHAR(200) NOT NULL,
    description TEXT,
    status VARCHAR(20) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'in_progress', 'done')),
    due_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- "my open tasks": every list view filters on both columns.
CREATE INDEX ix_tasks_user_id_status ON tasks (user_id, status);

-- migrate:down
-- ix_tasks_user_id_status goes with its table.
DROP TABLE tasks;
